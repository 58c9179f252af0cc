"""The staff case API: mandates, workflow, versions and the audit trail."""

import json

import boto3
import pytest
from helpers import post_report, refuse_inverted_between

# By the demo routing rules: UA-65 (deported) reaches UA-OMBUDSMAN, UA-NIB and CA-GAC;
# UA-14 (missing) reaches UA-JUVPOL and UA-NIB, not CA-GAC, whose rule is for deportations;
# UA-46 reaches the coordinators (UA-NIB) only.


@pytest.fixture
def cases(client, pump, report_body):
    """Three reports, dispatched so that their mandates exist: oblast -> reference."""
    references = {}
    for oblast, category, urgent in [
        ("UA-65", "deported", False),
        ("UA-14", "missing", True),
        ("UA-46", "deported", False),
    ]:
        report_body["residence"]["oblast"] = oblast
        report_body["event"]["category"] = category
        report_body["urgent"] = urgent
        references[oblast] = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return references


def audit_entries(aws, reference):
    items = boto3.client("dynamodb").query(
        TableName=aws["AuditTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
    )["Items"]
    return [{k: v["S"] for k, v in i.items() if "S" in v} for i in items]


def test_a_coordinator_sees_every_case_newest_first(staff, cases):
    page = staff("coordinator").get("/cases").json_body
    assert [c["reference"] for c in page["cases"]] == [
        cases["UA-46"],
        cases["UA-14"],
        cases["UA-65"],
    ]
    assert page["cursor"] is None
    # A list shows what a case is about, not who the child is.
    assert "Ковальчук" not in json.dumps(page, ensure_ascii=False)


def test_a_caseworker_sees_only_the_cases_routed_to_their_agency(staff, cases):
    south = staff("caseworker", "UA-OMBUDSMAN")
    assert [c["reference"] for c in south.get("/cases").json_body["cases"]] == [cases["UA-65"]]
    assert south.get(f"/cases/{cases['UA-65']}").status_code == 200
    foreign = south.get(f"/cases/{cases['UA-14']}")
    missing = south.get("/cases/HW-2222-3333")
    # Another agency's case looks exactly like a case that does not exist.
    assert foreign.status_code == missing.status_code == 404
    assert foreign.body == missing.body
    canada = staff("caseworker", "CA-GAC")
    assert [c["reference"] for c in canada.get("/cases").json_body["cases"]] == [cases["UA-65"]]


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


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?oblast=UA-14", ["UA-14"]),
        ("?category=deported", ["UA-46", "UA-65"]),
        ("?urgent=true", ["UA-14"]),
        ("?urgent=false", ["UA-46", "UA-65"]),
        ("?category=deported&oblast=UA-65", ["UA-65"]),
        ("?status=received&urgent=false", ["UA-46", "UA-65"]),
        ("?status=triaged", []),
        ("?received_from=2014-01-01&received_to=2100-01-01", ["UA-46", "UA-14", "UA-65"]),
        ("?received_to=2020-01-01", []),
    ],
)
def test_filters(staff, cases, query, expected):
    page = staff("coordinator").get(f"/cases{query}").json_body
    assert [c["reference"] for c in page["cases"]] == [cases[o] for o in expected]


def test_cursor_pagination_walks_every_case_once(staff, cases):
    coordinator = staff("coordinator")
    seen, cursor = [], None
    for _ in range(5):
        page = coordinator.get("/cases?limit=1" + (f"&cursor={cursor}" if cursor else "")).json_body
        seen += [c["reference"] for c in page["cases"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == [cases["UA-46"], cases["UA-14"], cases["UA-65"]]
    assert coordinator.get("/cases?cursor=bm90LWEtY3Vyc29y").status_code == 400


def test_invalid_queries_and_bodies_are_422(staff, cases):
    coordinator = staff("coordinator")
    assert coordinator.get("/cases?status=lost").status_code == 422
    assert coordinator.get("/cases?limit=1000").status_code == 422
    assert coordinator.get("/cases?oblast=UA-99").status_code == 422
    response = coordinator.post(f"/cases/{cases['UA-65']}/notes", {"text": ""})
    assert response.status_code == 422


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


def test_a_date_range_that_ends_before_it_starts_is_422_not_a_query(staff, cases):
    refuse_inverted_between()  # as DynamoDB does; moto would answer an empty page
    for role, agency in (("coordinator", "UA-NIB"), ("caseworker", "UA-OMBUDSMAN")):
        inverted = staff(role, agency).get("/cases?received_from=2026-12-02&received_to=2026-12-01")
        assert inverted.status_code == 422, inverted.body
        assert inverted.headers["Content-Type"] == "application/problem+json"
    one_day = staff("coordinator").get("/cases?received_from=2026-12-01&received_to=2026-12-01")
    assert one_day.status_code == 200


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
