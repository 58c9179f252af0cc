"""Casework, matching review and the directory on the fakes: mandates, refusals, audit."""

import copy
import datetime as dt

import pytest
from helpers import EXAMPLE_REPORT

from chalicelib.domain.casefile import Filters
from chalicelib.domain.contacts import Contact
from chalicelib.domain.matching import Review
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.workflow import MoveNotAllowed, Status
from chalicelib.services import casework, directory, intake, matching
from chalicelib.services.access import Caller, CaseNotFound, NotPermitted

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
COORDINATOR = Caller(StaffMember("c-1", "coordinator", "UA-NIB"), "request-1")
SOUTH = Caller(StaffMember("w-1", "caseworker", "UA-OMBUDSMAN"), "request-2")
EAST = Caller(StaffMember("w-2", "caseworker", "UA-JUVPOL"), "request-3")
AUDITOR = Caller(StaffMember("a-1", "auditor", "UA-NIB"), "request-4")


@pytest.fixture
def case(pipeline):
    """A Kherson report, dispatched: the south desk's agency may work it, the east's not."""
    body = copy.deepcopy(EXAMPLE_REPORT)
    receipt, _ = intake.submit(
        intake.Submission(Report.model_validate(body), "f", None, "198.51.100.7"),
        stores=pipeline.stores,
        settings=pipeline.settings,
        now=T0,
    )
    pipeline.run_until_idle(T0)
    return receipt.reference


def actions(db, reference):
    return [(e.actor, e.action, e.detail) for e in db.audit.get(reference, [])]


def test_a_case_outside_the_mandate_is_not_found_and_the_refusal_recorded(stores, db, case):
    assert casework.read_case(SOUTH, case, stores=stores).reference == case
    for missing in (case, "HW-2222-3333"):
        with pytest.raises(CaseNotFound):
            casework.read_case(EAST, missing, stores=stores)
    assert ("w-2", "refused", "read") in actions(db, case)
    assert ("w-2", "refused", "read") in actions(db, "HW-2222-3333")
    assert ("w-1", "read", None) in actions(db, case)
    with pytest.raises(NotPermitted):
        casework.read_case(AUDITOR, case, stores=stores)
    assert ("a-1", "refused", "read") in actions(db, case)


def test_an_auditor_asking_for_the_trail_of_no_case_is_refused_and_recorded(stores, db):
    with pytest.raises(CaseNotFound):
        casework.audit_trail(AUDITOR, "HW-2222-3333", stores=stores)
    assert ("a-1", "refused", "read-audit") in actions(db, "HW-2222-3333")


def test_the_workflow_with_versions_notes_and_statistics(stores, db, case):
    moved = casework.move_case(
        SOUTH, case, target=Status.TRIAGED, note="called the mother", version=1, stores=stores
    )
    assert moved.status == Status.TRIAGED and moved.version == 2
    assert moved.file.notes[-1].text == "received → triaged: called the mother"
    with pytest.raises(casework.StaleVersion) as stale:
        casework.assign_case(SOUTH, case, assignee="w-1", version=1, stores=stores)
    assert stale.value.current == 2
    with pytest.raises(MoveNotAllowed):
        casework.move_case(SOUTH, case, target=Status.RETURNED, note="x", version=2, stores=stores)
    assert stores.statistics.read()["status"] == {"triaged": 1}
    assert ("w-1", "status", "received -> triaged") in actions(db, case)


def test_lists_follow_the_mandate_and_are_audited(stores, db, case):
    assert [c.reference for c in casework.list_cases(SOUTH, Filters(), stores=stores).cases] == [
        case
    ]
    assert casework.list_cases(EAST, Filters(), stores=stores).cases == []
    assert ("w-1", "list", None) in actions(db, case)


def test_a_confirmed_match_links_both_cases_and_alerts_each_side_once(pipeline, stores, db):
    references = []
    for given in ("Олександр", "Oleksandr"):
        body = copy.deepcopy(EXAMPLE_REPORT)
        body["child"]["given_name"] = given
        receipt, _ = intake.submit(
            intake.Submission(Report.model_validate(body), given, None, "198.51.100.7"),
            stores=stores,
            settings=pipeline.settings,
            now=T0,
        )
        references.append(receipt.reference)
    pipeline.run_until_idle(T0)
    first, second = references
    (pair,) = matching.matches_of(SOUTH, second, stores=stores)
    assert pair.other == first and pair.review == Review.POTENTIAL
    sent = len(pipeline.email.sent) + len(pipeline.sms.sent)

    decided = matching.review_match(
        SOUTH, second, first, decision=Review.CONFIRMED, stores=stores, settings=pipeline.settings
    )
    assert decided.review == Review.CONFIRMED and decided.decided_by == "w-1"
    assert stores.cases.file(first).links == {second}
    with pytest.raises(matching.AlreadyDecided):
        matching.review_match(
            SOUTH,
            second,
            first,
            decision=Review.REJECTED,
            stores=stores,
            settings=pipeline.settings,
        )
    pipeline.run_until_idle(T0)
    assert len(pipeline.email.sent) + len(pipeline.sms.sent) > sent
    assert ("w-1", "match-confirmed", first) in actions(db, second)


def test_a_directory_change_that_routes_to_nobody_is_refused(stores, db):
    east = stores.directory.read().contact("east-ua-police")
    with pytest.raises(directory.ChangeRefused) as refused:
        directory.put_contact(COORDINATOR, east.model_copy(update={"active": False}), stores=stores)
    assert any("rule east" in p for p in refused.value.problems)
    with pytest.raises(NotPermitted):
        directory.put_contact(SOUTH, east, stores=stores)
    new = Contact.model_validate({**east.model_dump(), "contact_id": "east-2"})
    assert directory.put_contact(COORDINATOR, new, stores=stores)
    assert [(e.action, e.detail) for e in db.audit["directory"]][-1] == ("put-contact", "east-2")


def test_a_directory_race_is_read_and_checked_again(stores, db):
    east = stores.directory.read().contact("east-ua-police")
    db.conflicts = 1
    assert not directory.put_contact(
        COORDINATOR, east.model_copy(update={"name": "Eastern unit, night"}), stores=stores
    )
    assert stores.directory.read().contact("east-ua-police").name == "Eastern unit, night"
