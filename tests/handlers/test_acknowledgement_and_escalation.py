"""An alert is acknowledged through its link, or it climbs the escalation ladder."""

import datetime as dt
import re

import boto3
import pytest
import time_machine
from helpers import fail_sends, post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib.adapters.dynamo.items import from_item
from infra.local.emulator import REGION

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
LINK = re.compile(r"http://127\.0\.0\.1:8000(/ack/[A-Za-z0-9_-]+)")


def sms() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def outbox() -> list[dict]:
    """What was sent, as /dev/outbox shows it: e-mails with their text and HTML parts."""
    from infra.local.outbox import sent_messages

    return sent_messages()


def emails() -> list:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def to(number: str) -> list[str]:
    return [text for n, text in sms() if n == number]


COORDINATOR, SOUTH, NATIONAL = "+380441234567", "+380501112233", "+380931234567"
SOUTH_MAIL = "south@ombudsman.example.org"


def alert_item(aws, reference):
    item = boto3.client("dynamodb").get_item(
        TableName=aws["TableName"],
        Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "ALERT#report-received"}},
    )["Item"]
    return from_item(item)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def email_link(address: str, reference: str) -> str:
    """The acknowledgement path of the e-mail about `reference` sent to `address`."""
    (mail,) = [m for m in outbox() if m["to"] == address and reference in m["body"]]
    return LINK.search(mail["body"]).group(1)


def audit_actions(aws, reference) -> list[tuple[str, str]]:
    items = boto3.client("dynamodb").query(
        TableName=aws["AuditTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
    )["Items"]
    return [(i["action"]["S"], i["actor"]["S"]) for i in items]


def test_an_sms_link_marks_the_alert_seen_and_escalation_goes_on(client, aws, pump, report_body):
    """An SMS can be read by whoever holds the phone: it records "seen", once, audited."""
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (text,) = to(SOUTH)
    path = LINK.search(text).group(1)

    asked = client.http.get(path)
    assert asked.status_code == 200 and reference.encode() in asked.body
    assert alert_item(aws, reference).get("acknowledged_at") is None  # opening is not acking

    done = client.http.post(path, body=b"")
    assert done.status_code == 200
    alert = alert_item(aws, reference)
    assert "acknowledged_by" not in alert
    assert alert["state_key"] == "ALERTS#unacknowledged"  # still waiting: it may escalate
    assert ("acknowledge-seen", "south-ua-ombudsman") in audit_actions(aws, reference)

    # A used link, a forged one and an unknown one look the same, on GET as on POST.
    refused = [
        client.http.post(path, body=b""),
        client.http.post(path[:-2] + "AA", body=b""),
        client.http.get(path),
        client.http.get(path[:-2] + "AA"),
    ]
    assert {r.status_code for r in refused} == {404}
    assert len({r.body for r in refused}) == 1
    assert reference.encode() not in refused[0].body


def test_an_email_link_stops_the_escalation_of_the_alert(client, aws, pump, report_body, clock):
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    path = email_link("south@ombudsman.example.org", reference)
    assert client.http.post(path, body=b"").status_code == 200

    alert = alert_item(aws, reference)
    assert alert["acknowledged_by"] == "south-ua-ombudsman"
    assert "state_key" not in alert  # no longer waiting for anyone
    assert ("acknowledge", "south-ua-ombudsman") in audit_actions(aws, reference)
    clock.shift(dt.timedelta(hours=2))
    assert pump.tick_escalation() == 0
    # The other recipients' links still record that they saw it.
    other = email_link("coordinator@nib.example.org", reference)
    assert client.http.post(other, body=b"").status_code == 200


def test_an_expired_link_is_refused(client, aws, pump, report_body):
    post_report(client, report_body)
    pump.run_until_idle()
    path = LINK.search(to(SOUTH)[0]).group(1)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        assert client.http.post(path, body=b"").status_code == 404


def test_an_urgent_alert_climbs_the_ladder_until_acknowledged(
    client, aws, pump, report_body, clock
):
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    assert len(to(NATIONAL)) == 0

    clock.shift(dt.timedelta(minutes=14))
    assert pump.tick_escalation() == 0
    clock.shift(dt.timedelta(minutes=2))
    assert pump.tick_escalation() == 1
    pump.run_until_idle()
    (first,) = to(NATIONAL)  # level 1: the national desk
    assert first.startswith("ЕСКАЛАЦІЯ 1") and reference in first
    assert alert_item(aws, reference)["escalation_level"] == 1

    clock.shift(dt.timedelta(minutes=16))
    assert pump.tick_escalation() == 1
    pump.run_until_idle()
    # The demo rules have one rung of escalation: the coordinators are next.
    assert any(t.startswith("ЕСКАЛАЦІЯ 2") for t in to(COORDINATOR))

    # The national desk, an escalation rung that does not own the case, saw it: recorded,
    # and the alert still waits for the owning desk.
    mails = [m for m in outbox() if m["to"] == "desk@npu.example.org"]
    path = LINK.search(mails[0]["body"]).group(1)
    assert client.http.post(path, body=b"").status_code == 200
    assert "acknowledged_by" not in alert_item(aws, reference)
    assert ("acknowledge-seen", "ua-national-desk") in audit_actions(aws, reference)
    # The southern desk, which owns it, acknowledges from its e-mail: the ladder stops.
    assert client.http.post(email_link(SOUTH_MAIL, reference), body=b"").status_code == 200
    assert alert_item(aws, reference)["acknowledged_by"] == "south-ua-ombudsman"
    clock.shift(dt.timedelta(hours=2))
    assert pump.tick_escalation() == 0


def test_the_ladder_is_bounded(client, aws, pump, report_body, clock):
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    escalations = 0
    for _ in range(10):
        clock.shift(dt.timedelta(minutes=16))
        escalations += pump.tick_escalation()
        pump.run_until_idle()
    # The demo rules' one rung (the national desk), then the coordinators once more; then
    # only the digest keeps listing it.
    assert escalations == 2
    assert "state_key" not in alert_item(aws, reference)


def test_a_normal_alert_waits_a_day(client, aws, pump, report_body, clock):
    post_report(client, report_body)
    pump.run_until_idle()
    clock.shift(dt.timedelta(hours=23))
    assert pump.tick_escalation() == 0
    clock.shift(dt.timedelta(hours=2))
    assert pump.tick_escalation() == 1


def test_the_daily_digest_lists_what_came_in_and_what_waits(
    client, aws, pump, app_module, report_body, clock
):
    first = post_report(client, report_body).json_body["reference"]
    second = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    acknowledged = first
    client.http.post(email_link("south@ombudsman.example.org", first), body=b"")

    clock.shift(dt.timedelta(hours=21))
    before = len(emails())
    assert pump._schedule("send_daily_digest") == 1
    assert len(emails()) == before + 1
    (digest,) = [m for m in outbox() if "підсумок" in (m.get("subject") or "")]
    # In the coordinator's language (uk), as text and as HTML.
    assert digest["to"] == "coordinator@nib.example.org"
    assert "нових 2, не підтверджено 1" in digest["subject"]
    waiting = ({first, second} - {acknowledged}).pop()
    for part in (digest["body"], digest["html"]):
        assert waiting in part and acknowledged not in part
        assert "Херсонська" in part and "депортація" in part
        assert "Ковальчук" not in part and "/ack/" not in part
    assert pump._schedule("send_daily_digest") == 0  # once a day


def test_a_transient_failure_comes_back_later_not_at_once(client, aws, pump, report_body):
    post_report(client, report_body)
    pump.pump_stream()
    fail_sends("sns", "Publish", "Throttling", times=2)
    while pump.pump_queue():
        pass
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["DeliveryQueueUrl"], AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    # Backed off: invisible for a while, rather than retried in a tight loop.
    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 2


def test_an_acknowledged_case_can_still_be_read_and_worked(client, aws, pump, report_body, staff):
    """Acknowledging is an alert's main call to action: the case must stay workable after it."""
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (text,) = to(SOUTH)
    assert client.http.post(LINK.search(text).group(1), body=b"").status_code == 200

    coordinator = staff("coordinator")
    read = coordinator.get(f"/cases/{reference}")
    assert read.status_code == 200, read.body
    assert "acknowledged" in {d["state"] for d in read.json_body["deliveries"]}
    moved = coordinator.post(
        f"/cases/{reference}/status",
        {"status": "triaged", "note": "called the mother", "version": read.json_body["version"]},
    )
    assert moved.status_code == 200, moved.body
