"""The asynchronous path: stream -> dispatcher -> queue -> sender -> SES/SNS, in moto.

Events are shaped as AWS shapes them (see infra/local/pump.py); what was sent is read
from moto's SES and SNS backends.
"""

import datetime as dt
import json
import uuid

import boto3
import pytest
from helpers import fail_sends, post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import wiring
from chalicelib.adapters.dynamo.items import from_item
from infra.local.emulator import REGION

# UA-65 in the demo directory: the coordinator (e-mail, SMS), the southern desk
# (e-mail, SMS) and the Canadian liaison (e-mail).
EXPECTED_EMAILS = {
    "coordinator@nib.example.org",
    "south@ombudsman.example.org",
    "liaison@coalition-ca.example.org",
}
EXPECTED_SMS = {"+380441234567", "+380501112233"}


def sent_emails() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def deliveries(outputs, reference) -> dict[str, dict]:
    items = boto3.client("dynamodb").query(
        TableName=outputs["TableName"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}, ":d": {"S": "DELIVERY#"}},
    )["Items"]
    return {i["delivery_id"]: i for i in map(from_item, items)}


def queued_messages(outputs) -> list[dict]:
    return (
        boto3.client("sqs")
        .receive_message(
            QueueUrl=outputs["DeliveryQueueUrl"], MaxNumberOfMessages=10, AttributeNames=["All"]
        )
        .get("Messages", [])
    )


def sqs_event(outputs, bodies: list[str], receive_count: int = 1) -> dict:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": str(uuid.uuid4()),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": "1795829683000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795829683000",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": outputs["DeliveryQueueArn"],
                "awsRegion": REGION,
            }
            for body in bodies
        ]
    }


def test_a_report_alerts_its_oblast_and_the_coordinators_by_email_and_sms(
    client, aws, pump, report_body
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()

    emails = sent_emails()
    assert {to for m in emails for to in m.destinations["ToAddresses"]} == EXPECTED_EMAILS
    assert all(reference in m.subject and reference in m.body for m in emails)
    assert all("Ковальчук" in m.body for m in emails)  # consent allows sharing

    sms = sent_sms()
    assert {number for number, _ in sms} == EXPECTED_SMS
    for _, text in sms:
        assert reference in text
        for personal in ("Ковальчук", "Олександр", "Сашко", "Олешки", "Ірина"):
            assert personal not in text

    states = {d["state"] for d in deliveries(aws, reference).values()}
    assert states == {"sent"}


def test_a_replayed_stream_record_sends_nothing_twice(client, aws, pump, app_module, report_body):
    reference = post_report(client, report_body).json_body["reference"]
    records = pump._shard_records()
    event = {"Records": records}
    assert app_module.dispatch_alerts(event, None) == {"batchItemFailures": []}
    assert app_module.dispatch_alerts(event, None) == {"batchItemFailures": []}
    pump.run_until_idle()
    assert len(sent_emails()) == len(EXPECTED_EMAILS)
    assert len(sent_sms()) == len(EXPECTED_SMS)
    assert len(deliveries(aws, reference)) == 5


def test_a_redelivered_queue_message_is_not_sent_again(client, aws, pump, app_module, report_body):
    reference = post_report(client, report_body).json_body["reference"]
    pump.pump_stream()
    bodies = [m["Body"] for m in queued_messages(aws)]
    assert len(bodies) == 5
    first = app_module.send_deliveries(sqs_event(aws, bodies), None)
    again = app_module.send_deliveries(sqs_event(aws, bodies, receive_count=2), None)
    assert first == again == {"batchItemFailures": []}
    assert len(sent_emails()) + len(sent_sms()) == 5
    assert all(d["attempts"] == 1 for d in deliveries(aws, reference).values())


def test_a_poison_message_does_not_block_the_others(client, aws, pump, app_module, report_body):
    post_report(client, report_body)
    pump.pump_stream()
    bodies = [m["Body"] for m in queued_messages(aws)]
    event = sqs_event(aws, ["not json", *bodies, '{"reference": "HW-XXXX-XXXX"}'])
    result = app_module.send_deliveries(event, None)
    poison = {event["Records"][0]["messageId"], event["Records"][-1]["messageId"]}
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == poison
    assert len(sent_emails()) + len(sent_sms()) == 5


def test_a_message_for_a_delivery_that_does_not_exist_is_dropped(aws, app_module):
    body = json.dumps({"reference": "HW-AAAA-BBBB", "delivery": "report-received/x/sms"})
    assert app_module.send_deliveries(sqs_event(aws, [body]), None) == {"batchItemFailures": []}


def test_a_transient_failure_is_retried_and_then_sent_once(
    client, aws, pump, app_module, report_body
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.pump_stream()
    bodies = [m["Body"] for m in queued_messages(aws)]
    sms_bodies = [b for b in bodies if b.endswith('sms"}')]
    calls = fail_sends("sns", "Publish", "Throttling", times=1)

    result = app_module.send_deliveries(sqs_event(aws, sms_bodies), None)
    assert calls["n"] == 1
    assert len(result["batchItemFailures"]) == 1  # the throttled one comes back later
    states = sorted(
        d["state"] for d in deliveries(aws, reference).values() if d["channel"] == "sms"
    )
    assert states == ["pending", "sent"]

    result = app_module.send_deliveries(sqs_event(aws, sms_bodies, receive_count=2), None)
    assert result == {"batchItemFailures": []}
    assert sorted(n for n, _ in sent_sms()) == sorted(EXPECTED_SMS)


def test_after_the_last_attempt_a_delivery_is_parked_as_failed(
    client, aws, pump, app_module, report_body
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.pump_stream()
    sms_bodies = [m["Body"] for m in queued_messages(aws) if m["Body"].endswith('sms"}')]
    fail_sends("sns", "Publish", "ServiceUnavailable")
    result = app_module.send_deliveries(sqs_event(aws, sms_bodies, receive_count=5), None)
    # Reported as failed so that SQS moves the message to the dead-letter queue...
    assert len(result["batchItemFailures"]) == len(sms_bodies)
    parked = [d for d in deliveries(aws, reference).values() if d["channel"] == "sms"]
    # ...and kept visible as failed, with the reason.
    assert {d["state"] for d in parked} == {"failed"}
    assert all("ServiceUnavailable" in d["last_error"] for d in parked)
    assert sent_sms() == []


def test_a_refused_message_fails_without_retry(client, aws, pump, app_module, report_body):
    reference = post_report(client, report_body).json_body["reference"]
    pump.pump_stream()
    email_bodies = [m["Body"] for m in queued_messages(aws) if m["Body"].endswith('email"}')]
    fail_sends("ses", "SendEmail", "MessageRejected")
    result = app_module.send_deliveries(sqs_event(aws, email_bodies), None)
    assert result == {"batchItemFailures": []}
    failed = [d for d in deliveries(aws, reference).values() if d["channel"] == "email"]
    assert {d["state"] for d in failed} == {"failed"}


def test_a_dispatch_failure_reports_the_first_failed_record(
    client, aws, pump, app_module, report_body
):
    post_report(client, report_body)
    post_report(client, report_body)
    records = [r for r in pump._shard_records() if r["eventName"] == "INSERT"]
    alerts = [r for r in records if r["dynamodb"]["NewImage"].get("kind") == {"S": "alert"}]
    assert len(alerts) == 2
    fail_sends("sqs", "SendMessageBatch", "InternalError")
    result = app_module.dispatch_alerts({"Records": records}, None)
    first_alert = alerts[0]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": first_alert}]}


def test_the_pump_parks_a_stream_record_that_keeps_failing(client, aws, pump, report_body):
    post_report(client, report_body)
    fail_sends("sqs", "SendMessageBatch", "InternalError")
    for _ in range(5):
        pump.pump_stream()
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="homeward-local-stream-failures")["QueueUrl"]
    parked = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert len(parked) == 1
    assert "sequenceNumbers" in json.loads(parked[0]["Body"])


def test_the_schedule_requeues_deliveries_whose_message_was_lost(
    client, aws, pump, app_module, report_body
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.pump_stream()
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=aws["DeliveryQueueUrl"])  # the messages are lost
    assert pump.tick() == 0  # too recent to call lost

    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    from chalicelib.services import delivery

    assert (
        delivery.requeue_stale(stores=wiring.stores(), queue=wiring.delivery_queue(), now=later)
        == 5
    )
    pump.run_until_idle()
    assert {d["state"] for d in deliveries(aws, reference).values()} == {"sent"}
    assert len(sent_emails()) + len(sent_sms()) == 5


@pytest.mark.parametrize("language", ["uk", "en"])
def test_alerts_are_written_in_the_contacts_language(
    client, aws, pump, report_body, language, tmp_path
):
    from chalicelib.domain.contacts import read_contact_list, write_contact_list
    from infra.local import emulator

    contacts, _ = read_contact_list(emulator.DEMO_CONTACTS.read_text())
    path = tmp_path / "contacts.csv"
    path.write_text(
        write_contact_list([c.model_copy(update={"languages": [language]}) for c in contacts])
    )
    emulator.seed(path)
    wiring.reset()
    post_report(client, report_body)
    pump.run_until_idle()
    word = {"uk": "депортація", "en": "deported"}[language]
    assert all(word in text for _, text in sent_sms())
    assert all(word in m.subject for m in sent_emails())
