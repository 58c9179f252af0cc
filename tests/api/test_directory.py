"""Coordinators keep the contacts and routing rules through the staff API."""

import datetime as dt

import boto3
import pytest
import time_machine
from helpers import post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from infra.local.emulator import REGION

NEW_DESK = {
    "organisation": "Kharkiv regional desk (test)",
    "agency": "UA-KHARKIV",
    "kind": "national_authority",
    "member_state": "UA",
    "name": "Regional desk",
    "email": "desk@kharkiv.example.org",
    "phone": "+380577001122",
    "languages": ["uk"],
    "channels": ["email", "sms"],
}


def sms_to(number: str) -> list[str]:
    return [
        t for n, t in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values() if n == number
    ]


def directory_audit(aws) -> list[dict]:
    items = boto3.client("dynamodb").query(
        TableName=aws["AuditTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "CASE#directory"}},
    )["Items"]
    return [{k: v["S"] for k, v in i.items() if "S" in v} for i in items]


def test_only_coordinators_see_or_change_the_directory(client, staff, aws):
    for role in ("caseworker", "auditor"):
        member = staff(role)
        assert member.get("/contacts").status_code == 403
        assert member.get("/routing-rules").status_code == 403
        assert member.put("/contacts/kharkiv-desk", NEW_DESK).status_code == 403
        assert member.delete("/routing-rules/south").status_code == 403
    assert client.http.get("/api/v1/staff/contacts").status_code == 401
    assert staff("coordinator").get("/contacts/kharkiv-desk").status_code == 404


def test_a_coordinator_lists_the_demo_directory_and_the_read_is_audited(staff, aws):
    listed = staff("coordinator").get("/contacts").json_body
    assert [c["contact_id"] for c in listed["contacts"]] == [
        "audit-ua-nib",
        "ca-liaison",
        "coord-ua-nib",
        "east-ua-police",
        "med-ua-clinic",
        "psy-ua-hope",
        "south-ua-ombudsman",
        "ua-national-desk",
    ]
    assert listed["problems"] == []
    rules = staff("coordinator").get("/routing-rules").json_body["rules"]
    assert {r["rule_id"] for r in rules} >= {"every-report", "south", "east"}
    desk = staff("coordinator").get("/contacts/ua-national-desk").json_body
    assert desk["rules"] == ["east", "every-report", "south", "urgent-belarus"]
    assert [e["action"] for e in directory_audit(aws)].count("read-directory") == 3


def test_contacts_are_validated_with_e164_phones_and_real_addresses(staff, aws):
    coordinator = staff("coordinator")
    bad = coordinator.put("/contacts/kharkiv-desk", {**NEW_DESK, "phone": "0577001122"})
    assert bad.status_code == 422
    assert bad.json_body["errors"][0]["loc"] == ["phone"]
    assert "E.164" in bad.json_body["errors"][0]["msg"]
    bad = coordinator.put("/contacts/kharkiv-desk", {**NEW_DESK, "email": "desk@@kharkiv"})
    assert bad.status_code == 422 and bad.json_body["errors"][0]["loc"] == ["email"]
    other = coordinator.put("/contacts/kharkiv-desk", {**NEW_DESK, "contact_id": "someone-else"})
    assert other.status_code == 422
    assert coordinator.put("/contacts/kharkiv-desk", NEW_DESK).status_code == 201
    assert coordinator.put("/contacts/kharkiv-desk", NEW_DESK).status_code == 200
    changes = [e for e in directory_audit(aws) if e["action"] == "put-contact"]
    assert [e["detail"] for e in changes] == ["kharkiv-desk", "kharkiv-desk"]
    assert changes[0]["role"] == "coordinator"


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


def test_a_new_rule_routes_reports_and_escalates_by_its_own_policy(
    client, staff, aws, pump, report_body, clock
):
    coordinator = staff("coordinator")
    assert coordinator.put("/contacts/kharkiv-desk", NEW_DESK).status_code == 201
    rule = {
        "description": "Urgent disappearances in Kharkiv oblast",
        "oblasts": ["UA-63"],
        "categories": ["missing"],
        "urgency": "urgent",
        "contacts": ["kharkiv-desk"],
        "channels": ["sms"],
        "escalation": {"levels": [["ua-national-desk"]], "urgent_after_minutes": 5},
    }
    created = coordinator.put("/routing-rules/kharkiv-urgent", rule)
    assert created.status_code == 201, created.json_body

    report_body["residence"]["oblast"] = "UA-63"
    report_body["event"]["category"] = "missing"
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    (first,) = sms_to(NEW_DESK["phone"])
    assert reference in first and "Ковальчук" not in first

    # Not the default 15 minutes: the rule's 5.
    clock.shift(dt.timedelta(minutes=6))
    assert pump.tick_escalation() == 1
    pump.run_until_idle()
    assert any(reference in t and t.startswith("ЕСКАЛАЦІЯ 1") for t in sms_to("+380931234567"))

    # A normal report from elsewhere is not this rule's.
    report_body["urgent"] = False
    post_report(client, report_body)
    pump.run_until_idle()
    assert len(sms_to(NEW_DESK["phone"])) == 1


def test_no_change_may_leave_a_rule_routing_to_nobody(staff, aws):
    coordinator = staff("coordinator")
    south = coordinator.get("/contacts/south-ua-ombudsman").json_body
    south.pop("rules")
    retired = coordinator.put("/contacts/south-ua-ombudsman", {**south, "active": False})
    assert retired.status_code == 409
    assert retired.json_body["type"] == "/problems/routes-to-nobody"
    assert [e["msg"] for e in retired.json_body["errors"]] == [
        "rule south, first alert: no active contact reachable by email or sms"
    ]
    assert coordinator.delete("/contacts/south-ua-ombudsman").status_code == 409
    unknown = coordinator.put("/routing-rules/west", {"contacts": ["nobody-here"]})
    assert unknown.status_code == 409
    assert "rule west, first alert: no contact nobody-here" in {
        e["msg"] for e in unknown.json_body["errors"]
    }
    coordinator_gone = coordinator.get("/contacts/coord-ua-nib").json_body
    coordinator_gone.pop("rules")
    assert (
        coordinator.put("/contacts/coord-ua-nib", {**coordinator_gone, "coordinator": False})
    ).status_code == 409

    # Take the rule away first, then the contact may go.
    assert coordinator.delete("/routing-rules/south").status_code == 204
    assert coordinator.delete("/contacts/south-ua-ombudsman").status_code == 204
    assert coordinator.get("/contacts/south-ua-ombudsman").status_code == 404
    assert coordinator.delete("/routing-rules/south").status_code == 404
    actions = [e["action"] for e in directory_audit(aws)]
    assert actions.count("remove-rule") == actions.count("remove-contact") == 1


def test_an_auditor_reads_who_changed_the_directory_and_nobody_else_does(staff, aws):
    staff("coordinator").put("/contacts/kharkiv-desk", NEW_DESK)
    assert staff("coordinator").get("/directory/audit").status_code == 403
    assert staff("caseworker").get("/directory/audit").status_code == 403
    entries = staff("auditor").get("/directory/audit").json_body["entries"]
    (change,) = [e for e in entries if e["action"] == "put-contact"]
    assert change["detail"] == "kharkiv-desk" and change["role"] == "coordinator"
    # The trail names ids, never the contact's addresses.
    assert "kharkiv.example.org" not in str(entries) and "+380577001122" not in str(entries)
    assert "read-audit" in [e["action"] for e in directory_audit(aws)]


def test_a_change_made_to_a_version_someone_else_changed_is_not_written(aws):
    from chalicelib import wiring
    from chalicelib.domain.contacts import Contact
    from chalicelib.domain.errors import Refused

    stores = wiring.stores()
    read = stores.directory.read()
    desk = Contact.model_validate({**NEW_DESK, "contact_id": "kharkiv-desk"})
    uow = stores.unit_of_work()
    assert stores.directory.change(uow, read.version, contacts=[desk]) == read.version + 1
    uow.commit()
    # A second writer who read the same version must read again (and check again).
    uow = stores.unit_of_work()
    stores.directory.change(uow, read.version, contacts=[desk.model_copy(update={"active": False})])
    with pytest.raises(Refused) as refused:
        uow.commit()
    assert refused.value.names == {"version"}
    assert stores.directory.read().contact("kharkiv-desk").active
