"""The staff case lists: mandates, filters and pages over one filing of three cases.

Every test here only reads, so the module files its three reports once, in one emulated
account (test_staff_cases.py changes cases, each test in an account of its own)."""

import copy
import json

import pytest
from helpers import EXAMPLE_REPORT, file_three_cases, refuse_inverted_between

from infra.local import emulator


@pytest.fixture
def aws(shared_aws):
    return shared_aws


@pytest.fixture(scope="module")
def cases(module_aws):
    """Three reports, dispatched so that their mandates exist: oblast -> reference."""
    from chalice.test import Client

    import app
    from infra.local.pump import EventPump

    with Client(app.app, stage_name="local") as client:
        pump = EventPump(app, module_aws, emulator.REGION)
        return file_three_cases(client, pump, copy.deepcopy(EXAMPLE_REPORT))


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


def test_a_date_range_that_ends_before_it_starts_is_422_not_a_query(staff, cases):
    refuse_inverted_between()  # as DynamoDB does; moto would answer an empty page
    for role, agency in (("coordinator", "UA-NIB"), ("caseworker", "UA-OMBUDSMAN")):
        inverted = staff(role, agency).get("/cases?received_from=2026-12-02&received_to=2026-12-01")
        assert inverted.status_code == 422, inverted.body
        assert inverted.headers["Content-Type"] == "application/problem+json"
    one_day = staff("coordinator").get("/cases?received_from=2026-12-01&received_to=2026-12-01")
    assert one_day.status_code == 200
