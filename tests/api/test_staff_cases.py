"""The staff case API: mandates, workflow, versions and the audit trail."""

import json

import boto3
import pytest
from helpers import file_three_cases, post_report

# Which agencies each of the three cases reaches: helpers.file_three_cases.


@pytest.fixture
def cases(client, pump, report_body):
    """Three reports, dispatched so that their mandates exist: oblast -> reference. Each
    test here changes them; test_staff_case_lists.py reads one filing for its module."""
    return file_three_cases(client, pump, report_body)


def audit_entries(aws, reference):
    items = boto3.client("dynamodb").query(
        TableName=aws["AuditTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
    )["Items"]
    return [{k: v["S"] for k, v in i.items() if "S" in v} for i in items]


def test_an_auditor_reads_the_trail_but_not_the_case(staff, cases, aws):
    reference = cases["UA-65"]
    staff("caseworker", "UA-OMBUDSMAN").get(f"/cases/{reference}")
    auditor = staff("auditor")
    assert auditor.get(f"/cases/{reference}").status_code == 403
    assert auditor.get("/cases").status_code == 403
    trail = auditor.get(f"/cases/{reference}/audit").json_body["entries"]
    reads = [e for e in trail if e["action"] == "read"]
    assert reads and reads[0]["role"] == "caseworker" and reads[0]["agency"] == "UA-OMBUDSMAN"
    assert reads[0]["request_id"]
    assert staff("coordinator").get(f"/cases/{reference}/audit").status_code == 403
    # Reading the trail is itself recorded.
    assert "read-audit" in {e["action"] for e in audit_entries(aws, reference)}


def test_every_staff_request_leaves_its_audit_entry(staff, cases, aws):
    reference = cases["UA-65"]
    coordinator = staff("coordinator")
    coordinator.get("/cases")
    coordinator.get(f"/cases/{reference}")
    coordinator.post(
        f"/cases/{reference}/status", {"status": "triaged", "note": "seen", "version": 1}
    )
    coordinator.post(
        f"/cases/{reference}/assignee", {"assignee": "demo-taras-bondar", "version": 2}
    )
    coordinator.post(f"/cases/{reference}/notes", {"text": "called the mother"})
    coordinator.post(f"/cases/{reference}/links", {"reference": cases["UA-14"], "version": 3})
    actions = [e["action"] for e in audit_entries(aws, reference)]
    # The triage by the owning desk (the coordinators') acknowledged the waiting alert.
    assert sorted(actions) == sorted(
        ["list", "read", "status", "acknowledge", "assign", "note", "link"]
    )
    assert {e["action"] for e in audit_entries(aws, cases["UA-14"])} == {"list", "link"}


def test_the_workflow_moves_a_case_step_by_step_with_notes(staff, cases):
    reference = cases["UA-65"]
    coordinator = staff("coordinator")
    moved = coordinator.post(
        f"/cases/{reference}/status", {"status": "triaged", "note": "first look", "version": 1}
    )
    assert moved.status_code == 200
    assert (moved.json_body["status"], moved.json_body["version"]) == ("triaged", 2)
    assert "received → triaged: first look" in [n["text"] for n in moved.json_body["notes"]]

    skipped = coordinator.post(
        f"/cases/{reference}/status", {"status": "returned", "note": "?", "version": 2}
    )
    assert skipped.status_code == 422
    assert "verified" in skipped.json_body["detail"]
    silent = coordinator.post(f"/cases/{reference}/status", {"status": "verified", "version": 2})
    assert silent.status_code == 422
    assert ["note"] in [e["loc"] for e in silent.json_body["errors"]]


def test_a_stale_update_is_409_and_changes_nothing(staff, cases, aws):
    reference = cases["UA-65"]
    coordinator = staff("coordinator")
    coordinator.post(f"/cases/{reference}/status", {"status": "triaged", "note": "a", "version": 1})
    before = audit_entries(aws, reference)
    stale = coordinator.post(
        f"/cases/{reference}/status", {"status": "unfounded", "note": "b", "version": 1}
    )
    assert stale.status_code == 409
    assert "version 2" in stale.json_body["detail"]
    stale_assign = coordinator.post(f"/cases/{reference}/assignee", {"assignee": "x", "version": 1})
    assert stale_assign.status_code == 409
    case = coordinator.get(f"/cases/{reference}").json_body
    assert (case["status"], case["version"], case["assignee"]) == ("triaged", 2, None)
    assert len(audit_entries(aws, reference)) == len(before) + 1  # only the read


def test_links_join_both_cases_and_keep_their_data(staff, cases):
    coordinator = staff("coordinator")
    a, b = cases["UA-65"], cases["UA-14"]
    linked = coordinator.post(f"/cases/{a}/links", {"reference": b, "version": 1})
    assert linked.json_body["links"] == [b]
    other = coordinator.get(f"/cases/{b}").json_body
    assert other["links"] == [a]
    assert other["report"]["residence"]["oblast"] == "UA-14"


def test_a_caseworker_cannot_link_to_a_case_outside_the_mandate(staff, cases):
    south = staff("caseworker", "UA-OMBUDSMAN")
    response = south.post(
        f"/cases/{cases['UA-65']}/links", {"reference": cases["UA-14"], "version": 1}
    )
    assert response.status_code == 404


def test_statistics_count_by_status_oblast_and_category(staff, cases):
    coordinator = staff("coordinator")
    coordinator.post(
        f"/cases/{cases['UA-65']}/status", {"status": "triaged", "note": "x", "version": 1}
    )
    numbers = staff("auditor").get("/statistics").json_body
    assert numbers["total"] == 3 and numbers["urgent"] == 1
    assert numbers["status"] == {"received": 2, "triaged": 1}
    assert numbers["oblast"] == {"UA-14": 1, "UA-46": 1, "UA-65": 1}
    assert numbers["category"] == {"deported": 2, "missing": 1}
    # A caseworker's cover the agency's mandate only: the east's the one Donetsk case.
    east = staff("caseworker", "UA-JUVPOL").get("/statistics").json_body
    assert east["total"] == 1 and east["oblast"] == {"UA-14": 1} and east["urgent"] == 1
    south = staff("caseworker", "UA-OMBUDSMAN").get("/statistics").json_body
    assert south["status"] == {"triaged": 1} and south["oblast"] == {"UA-65": 1}


def test_reports_of_one_second_list_newest_first_for_caseworkers_too(
    client, pump, report_body, staff, monkeypatch
):
    import datetime as dt

    import time_machine

    # Newest last in the alphabet's order, so that only the time can put it first.
    references = iter(["HW-ZZZZ-ZZZZ", "HW-2222-2222"])
    monkeypatch.setattr("chalicelib.services.intake.new_reference", lambda: next(references))
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        post_report(client, report_body)
        clock.shift(dt.timedelta(milliseconds=1))
        post_report(client, report_body)
        pump.run_until_idle()
        for role, agency in (("coordinator", "UA-NIB"), ("caseworker", "UA-OMBUDSMAN")):
            listed = staff(role, agency).get("/cases").json_body["cases"]
            assert [c["reference"] for c in listed] == ["HW-2222-2222", "HW-ZZZZ-ZZZZ"], role


NOTE = "Called mother on +380501234567; boy seen in Anapa"


def test_a_coordinator_who_may_only_know_a_case_exists_gets_no_notes_and_cannot_change_it(
    client, staff, report_body, aws
):
    """The attack: a coordinator whose agency may only know that a case exists
    (`withheld: ["report"]`) read its notes and moved it along the workflow."""
    report_body["consent"]["share_with_coalition"] = False
    reference = post_report(client, report_body).json_body["reference"]
    desk = staff("coordinator")
    desk.post(f"/cases/{reference}/notes", {"text": NOTE})
    desk.post(f"/cases/{reference}/status", {"status": "triaged", "note": NOTE, "version": 1})
    canada = staff("coordinator", "CA-GAC")
    seen = canada.get(f"/cases/{reference}")
    assert seen.status_code == 200 and seen.json_body["withheld"] == ["report"]
    assert seen.json_body["notes"] == [] and "Anapa" not in seen.body.decode()
    for path, body in [
        ("status", {"status": "verified", "note": "checked", "version": 2}),
        ("assignee", {"assignee": "demo-taras-bondar", "version": 2}),
        ("notes", {"text": "nothing to add"}),
    ]:
        assert canada.post(f"/cases/{reference}/{path}", body).status_code == 403, path
    after = desk.get(f"/cases/{reference}").json_body
    assert (after["status"], after["version"], after["assignee"]) == ("triaged", 2, None)
    assert [n["text"] for n in after["notes"]].count(NOTE) == 1
    refused = [e for e in audit_entries(aws, reference) if e["action"] == "refused"]
    assert {e["detail"] for e in refused} == {"status", "assign", "note"}


def test_notes_are_sealed_in_the_table(client, staff, report_body, aws):
    reference = post_report(client, report_body).json_body["reference"]
    staff("coordinator").post(f"/cases/{reference}/notes", {"text": NOTE})
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    assert "Anapa" not in json.dumps(items, default=str, ensure_ascii=False)
    assert staff("coordinator").get(f"/cases/{reference}").json_body["notes"][0]["text"] == NOTE


def test_break_glass_tells_the_auditors_the_reason_chosen_never_the_words(
    client, pump, staff, report_body, aws
):
    """The attack: the break-glass reason (free text, often the child's name) reached the
    auditors' API, page and e-mail, and the ALERT, DELIVERY and audit items."""
    from infra.local.outbox import sent_messages

    report_body["consent"]["share_with_coalition"] = False
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    canada = staff("coordinator", "CA-GAC")
    words = "Сашко Ковальчук is ill in Anapa, his mother says"
    free_text_only = canada.post(f"/cases/{reference}/break-glass", {"reason": words})
    assert free_text_only.status_code == 422
    opened = canada.post(
        f"/cases/{reference}/break-glass", {"reason": "child_at_risk", "explanation": words}
    )
    assert opened.status_code == 200
    assert opened.json_body["report"]["child"]["medical_needs"] == "asthma, needs an inhaler"
    # The words stay with the case, as a sealed note its readers in full see.
    assert f"Break-glass: {words}" in [n["text"] for n in opened.json_body["notes"]]
    pump.run_until_idle()
    (mail,) = [m for m in sent_messages() if m["to"] == "audit@nib.example.org"]
    assert "життю чи здоров'ю дитини загрожує небезпека" in mail["body"]
    trail = staff("auditor").get(f"/cases/{reference}/audit").json_body["entries"]
    assert ("break-glass", "child_at_risk") in {(e["action"], e["detail"]) for e in trail}
    stored = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    stored += boto3.client("dynamodb").scan(TableName=aws["AuditTableName"])["Items"]
    for seen in (mail["body"], mail.get("html") or "", json.dumps(trail, ensure_ascii=False)):
        assert "Anapa" not in seen and "Сашко" not in seen
    assert "Anapa" not in json.dumps(stored, ensure_ascii=False, default=str)


@pytest.mark.parametrize("typed", ["²", "２０１２", "٢٠١٢", "2012²"])
def test_a_number_in_another_script_is_a_clear_refusal(client, staff, report_body, typed):
    """The attack: `{"field": "child.birth_year", "value": "²"}` answered 500 (isdigit()
    holds for it, int() refuses it)."""
    reference = post_report(client, report_body).json_body["reference"]
    fix = {"field": "child.birth_year", "value": typed, "reason": "typo", "version": 1}
    refused = staff("coordinator").post(f"/cases/{reference}/corrections", fix)
    assert refused.status_code == 422, refused.body
    assert staff("coordinator").get(f"/cases/{reference}").json_body["version"] == 1


def test_matches_and_links_do_not_tell_the_police_of_a_report_refused_to_them(
    client, pump, staff, report_body
):
    """The attack: a police coordinator learnt from a case's matches and links that a
    report refused to the authorities exists."""
    shared = post_report(client, report_body).json_body["reference"]
    refused_body = json.loads(json.dumps(report_body))
    refused_body["consent"]["share_with_authorities"] = False
    refused = post_report(client, refused_body).json_body["reference"]
    pump.run_until_idle()
    desk = staff("coordinator")
    found = desk.get(f"/cases/{shared}/matches").json_body["matches"]
    assert refused in [m["reference"] for m in found]
    assert (
        desk.post(f"/cases/{shared}/links", {"reference": refused, "version": 1}).status_code == 200
    )
    police = staff("coordinator", "UA-JUVPOL")
    assert police.get(f"/cases/{refused}").status_code == 404
    case = police.get(f"/cases/{shared}")
    assert case.status_code == 200 and refused not in case.body.decode()
    matches = police.get(f"/cases/{shared}/matches")
    assert matches.status_code == 200 and refused not in matches.body.decode()
