"""A contact answers an alert's SMS with its code (two-way SMS): the same "seen" as the SMS
link, from the directory's number for that contact only; anything else is ignored and
counted, without the number or the words."""

import datetime as dt
import json
import logging
import re

import boto3
import pytest
import time_machine
from helpers import post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib.adapters.dynamo.items import from_item
from infra.local.emulator import REGION

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
LINK = re.compile(r"http://127\.0\.0\.1:8000(/ack/[A-Za-z0-9_-]+)")
CODE = re.compile(r" ([0-9]{5})$")
# South's desk (uk), reached by e-mail and SMS (infra/demo/contacts.csv).
SOUTH = "+380501112233"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sms_to(number: str) -> list[str]:
    return [
        t for n, t in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values() if n == number
    ]


def reply(app_module, number: str, text: str) -> bool:
    """What End User Messaging SMS publishes to the replies topic, through the function."""
    message = {
        "originationNumber": number,
        "destinationNumber": "+380445550100",
        "messageKeyword": "KEYWORD_ACCOUNT",
        "messageBody": text,
        "inboundMessageId": "4e1a8f7c-0b5d-4c57-9d1e-2f6a7b8c9d0e",
        "previousPublishedMessageId": "pub-1",
    }
    sns = {"Message": json.dumps(message), "Subject": None, "MessageAttributes": {}}
    return app_module.record_sms_replies(
        {"Records": [{"EventSource": "aws:sns", "Sns": sns}]}, None
    )


def item(aws, reference: str, sk: str) -> dict:
    found = boto3.client("dynamodb").get_item(
        TableName=aws["TableName"], Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": sk}}
    )
    return from_item(found["Item"])


def south_sms_delivery(aws, reference: str) -> dict:
    return item(aws, reference, "DELIVERY#report-received/south-ua-ombudsman/sms")


def audit_actions(aws, reference) -> list[tuple[str, str, str]]:
    items = boto3.client("dynamodb").query(
        TableName=aws["AuditTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
    )["Items"]
    return [(i["action"]["S"], i["actor"]["S"], i.get("detail", {}).get("S", "")) for i in items]


def emf(out: str) -> dict[str, float]:
    counted: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith('{"_aws"'):
            for name, value in json.loads(line).items():
                if name.startswith("SmsReplies"):
                    counted[name] = counted.get(name, 0) + value
    return counted


def test_the_sms_says_the_code_can_be_sent_back_and_names_no_child(client, pump, report_body):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (ukrainian,) = sms_to(SOUTH)
    assert reference in ukrainian and re.search(r"або SMS [0-9]{5}$", ukrainian)
    assert CODE.search(ukrainian) and LINK.search(ukrainian)
    child = report_body["child"]
    for name in (child["family_name"], child["given_name"], child["patronymic"]):
        assert name not in ukrainian


def test_a_reply_from_the_contacts_number_is_the_sms_link_seen(
    client, aws, pump, report_body, app_module, capsys, caplog
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (text,) = sms_to(SOUTH)
    capsys.readouterr()

    assert reply(app_module, SOUTH, f" {CODE.search(text).group(1)}.\n") is True

    # What the link records, and no more: the delivery seen, audited as the contact's,
    # the alert still waiting for its owner (an SMS does not stop the ladder).
    delivery = south_sms_delivery(aws, reference)
    assert delivery["state"] == "acknowledged" and delivery["acknowledged_at"]
    alert = item(aws, reference, "ALERT#report-received")
    assert "acknowledged_by" not in alert and alert["state_key"] == "ALERTS#unacknowledged"
    assert ("acknowledge-seen", "south-ua-ombudsman", "report-received by sms reply") in (
        audit_actions(aws, reference)
    )
    assert emf(capsys.readouterr().out) == {"SmsRepliesAcknowledged": 1}
    # Used once: the link after the reply, or the reply again, changes nothing.
    assert client.http.post(LINK.search(text).group(1), body=b"").status_code == 404
    assert reply(app_module, SOUTH, CODE.search(text).group(1)) is False


def test_anything_but_the_code_from_the_contacts_number_is_ignored_and_counted(
    client, aws, pump, report_body, app_module, capsys, caplog
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (text,) = sms_to(SOUTH)
    code = CODE.search(text).group(1)
    wrong = f"{(int(code) + 1) % 100000:05d}"
    capsys.readouterr()

    unknown = "+380671234567"
    ignored = [
        (unknown, code),  # a number the directory does not have
        (SOUTH, wrong),  # another code
        (SOUTH, f"ok {code}"),  # words
        (SOUTH, "STOP"),
        ("+380441234567", code),  # another contact's number with South's code
    ]
    # The app's logger ("homeward", Chalice's) does not propagate: listen to it directly.
    logger = logging.getLogger("homeward")
    logger.addHandler(caplog.handler)
    try:
        for number, words in ignored:
            assert reply(app_module, number, words) is False
    finally:
        logger.removeHandler(caplog.handler)
    # A message on the topic that is no reply at all.
    bad = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {"Message": "[]", "Subject": None, "MessageAttributes": {}},
            }
        ]
    }
    assert app_module.record_sms_replies(bad, None) is False

    assert south_sms_delivery(aws, reference)["state"] == "sent"
    assert not [a for a in audit_actions(aws, reference) if a[0].startswith("acknowledge")]
    logged = capsys.readouterr().out
    assert emf(logged) == {"SmsRepliesIgnored": len(ignored) + 1}
    # Logged by reason, never with the number or the words.
    logged = caplog.text
    assert "not a contact's number" in logged and "not a code" in logged
    assert unknown not in logged and SOUTH not in logged and f"ok {code}" not in logged


def test_a_reply_counts_only_while_the_link_would(
    client, aws, pump, report_body, app_module, clock
):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (text,) = sms_to(SOUTH)
    clock.shift(dt.timedelta(days=8))
    assert reply(app_module, SOUTH, CODE.search(text).group(1)) is False
    assert south_sms_delivery(aws, reference)["state"] == "sent"


def test_a_number_taken_out_of_the_directory_cannot_answer(
    client, aws, pump, report_body, app_module, staff
):
    """A lost phone: once the coordinators give the contact another number, the old one's
    replies count for nothing, though its code was sent to it."""
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (text,) = sms_to(SOUTH)
    coordinator = staff("coordinator")
    contact = coordinator.get("/contacts/south-ua-ombudsman").json_body
    contact = {k: v for k, v in contact.items() if k not in ("contact_id", "version", "rules")}
    changed = coordinator.put("/contacts/south-ua-ombudsman", {**contact, "phone": "+380501112299"})
    assert changed.status_code in (200, 201), changed.body
    assert reply(app_module, SOUTH, CODE.search(text).group(1)) is False
    assert south_sms_delivery(aws, reference)["state"] == "sent"
