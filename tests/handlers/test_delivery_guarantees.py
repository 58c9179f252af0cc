"""Fault injection against moto: deliveries end sent exactly once or parked and listed.

The suite runs a small batch here (8 reports, 40 deliveries: every path a delivery can
take, retried, sent, parked and listed, is taken; the first report's messages always
fail, so something is parked whatever the order of sends); `make bench` (faults) runs
this one at full size, 500 reports: `FAULT_REPORTS=500 pytest tests/handlers/...`.
"""

import datetime as dt
import json
import random

import boto3
import time_machine
from botocore.exceptions import ClientError
from helpers import post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import wiring
from chalicelib.adapters.dynamo.items import from_item
from infra.local.emulator import REGION

REPORTS = int(__import__("os").environ.get("FAULT_REPORTS", "8"))
SURNAMES = ["Ковальчук", "Шевченко", "Бондар", "Ткаченко", "Мельник", "Кравець", "Олійник"]
GIVEN = ["Олександр", "Іван", "Дмитро", "Максим", "Артем", "Назар", "Богдан", "Тарас"]


def all_deliveries(aws) -> list[dict]:
    client = boto3.client("dynamodb")
    items, kwargs = [], {"TableName": aws["TableName"]}
    while True:
        page = client.scan(**kwargs)
        items += [from_item(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [i for i in items if i.get("kind") == "delivery"]


def sent_message_ids() -> list[str]:
    emails = [m.id for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]
    return emails + list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages)


def flaky(rate: float, seed: int = 2022, down: set[str] = frozenset()):
    """30% of e-mails and SMS fail with a throttling error, as SES and SNS do under load.

    Messages about a case in `down` always fail: the order in which the pump sends is
    not fixed, so chance alone may park nothing in a small batch.
    """
    rng = random.Random(seed)

    def maybe_fail(params, **kwargs):
        if any(reference in str(params) for reference in down) or rng.random() < rate:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "injected"}, "ResponseMetadata": {}},
                "Send",
            )

    wiring.client("ses").meta.events.register("before-call.ses.SendEmail", maybe_fail)
    wiring.client("sns").meta.events.register("before-call.sns.Publish", maybe_fail)


def test_reports_with_30_percent_transient_failures(
    client, aws, pump, report_body, token, monkeypatch
):
    monkeypatch.setenv("HOMEWARD_RETRY_BASE_SECONDS", "0")  # retry at once, in a test
    monkeypatch.setenv("HOMEWARD_RATE_LIMIT", "100000")
    wiring.reset()
    down: set[str] = set()
    flaky(0.3, down=down)
    rng = random.Random(500)
    for number in range(REPORTS):
        # Different children: matching has little to do, as in real life.
        report_body["child"].update(
            family_name=rng.choice(SURNAMES),
            given_name=rng.choice(GIVEN),
            patronymic=None,
            other_names=[],
            date_of_birth=f"{rng.randint(2006, 2021)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
        )
        response = post_report(client, report_body)
        assert response.status_code == 201
        if number == 0:
            down.add(response.json_body["reference"])
    pump.run_until_idle(rounds=500)

    deliveries = all_deliveries(aws)
    assert len(deliveries) == REPORTS * 5
    states = {d["state"] for d in deliveries}
    assert states <= {"sent", "failed"}, states
    sent = [d for d in deliveries if d["state"] == "sent"]
    parked = [d for d in deliveries if d["state"] == "failed"]
    # Exactly once: every sent delivery has its own message, and nothing else was sent.
    provider_ids = [d["provider_message_id"] for d in sent]
    assert sorted(provider_ids) == sorted(sent_message_ids())
    # The case whose messages never go out (its five), and 0.3^5 of the rest by chance
    # (about 6 of 2,500 at full size): a handful parked after their last attempt, each
    # listed for a human.
    assert {d["reference"] for d in parked} >= down
    assert 5 <= len(parked) < 5 + max(10, REPORTS // 15)
    assert all(int(d["attempts"]) == 5 for d in parked)
    headers = {"Authorization": f"Bearer {token('coordinator')}"}
    response = client.http.get("/api/v1/staff/deliveries/undelivered", headers=headers)
    assert response.status_code == 200, response.body
    listed = response.json_body
    assert {(d["reference"], d["delivery_id"]) for d in listed["deliveries"]} == {
        (d["reference"], d["delivery_id"]) for d in parked
    }
    sqs = boto3.client("sqs")
    dead = sqs.get_queue_attributes(
        QueueUrl=sqs.get_queue_url(QueueName="homeward-local-deliveries-dlq")["QueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages"],
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert int(dead) == len(parked)

    # A coordinator sends one again, once SES and SNS are well.
    wiring.reset()
    one = parked[0]
    retried = client.http.post(
        "/api/v1/staff/deliveries/retry",
        headers={**headers, "Content-Type": "application/json"},
        body=json.dumps({"reference": one["reference"], "delivery_id": one["delivery_id"]}),
    )
    assert retried.status_code == 202
    pump.run_until_idle()
    again = next(d for d in all_deliveries(aws) if d["sk"] == one["sk"])
    assert again["state"] == "sent"


def test_a_crash_between_sending_and_recording_repeats_the_message_at_most_once(
    client, aws, pump, report_body
):
    """The sender dies after SNS accepted the SMS but before the delivery says so.

    The message comes back after its visibility timeout; the lease of the dead sender has
    run out by then, so the delivery is claimed and sent again: one repeat, no loss.
    """
    reference = post_report(client, report_body).json_body["reference"]
    pump.pump_stream()
    crashed = {"n": 0}

    def crash_on_settle(params, **kwargs):
        values = params.get("ExpressionAttributeValues", {})
        settling_sms = values.get(":a0") == {"S": "sent"} and "sms" in params["Key"]["sk"]["S"]
        if settling_sms and crashed["n"] == 0:
            crashed["n"] += 1
            raise RuntimeError("Lambda timed out")

    wiring.client("dynamodb").meta.events.register(
        "before-parameter-build.dynamodb.UpdateItem", crash_on_settle
    )
    while pump.pump_queue():
        pass
    assert crashed["n"] == 1
    before = len(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)):
        # Visibility timeout (180 s) and lease (45 s) have both passed.
        sqs = boto3.client("sqs")
        for message in sqs.receive_message(
            QueueUrl=aws["DeliveryQueueUrl"], MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", []):
            sqs.change_message_visibility(
                QueueUrl=aws["DeliveryQueueUrl"],
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=0,
            )
        while pump.pump_queue():
            pass
    after = len(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages)
    assert after == before + 1  # the one repeat
    states = {d["state"] for d in all_deliveries(aws) if d["reference"] == reference}
    assert states == {"sent"}
