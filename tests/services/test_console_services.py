"""What the console (and the staff API) do, on the fakes: search within the mandate and
the consent, assignment to named colleagues only, corrections, acknowledging one's own
alert, the inbox's order, routing previews, file links, weekly counts."""

import copy
import datetime as dt

import pytest
from fakes import FakeFileStore
from helpers import EXAMPLE_REPORT
from pydantic import ValidationError

from chalicelib.domain.attachments import Attachment
from chalicelib.domain.casefile import Filters
from chalicelib.domain.colleagues import UnknownAssignee
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import (
    acknowledgement,
    attachment_links,
    casework,
    colleagues,
    corrections,
    directory,
    inbox,
    intake,
    matching,
    search,
)
from chalicelib.services.access import Caller, CaseNotFound, NotPermitted

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
SOUTH_DESK = Recipient(OrganisationKind.NATIONAL_AUTHORITY)
INTAKE = Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True)
TARAS = StaffMember(
    "t-1", "caseworker", "UA-OMBUDSMAN", "Тарас Бондар", "south@ombudsman.example.org"
)
OKSANA = StaffMember("t-2", "caseworker", "UA-OMBUDSMAN", "Оксана Гриценко")
ANDRII = StaffMember("e-1", "caseworker", "UA-JUVPOL", "Андрій Лисенко")
OLENA = StaffMember("c-1", "coordinator", "UA-NIB", "Олена Коваль", "coordinator@nib.example.org")
SOUTH = Caller(TARAS, "r-1", SOUTH_DESK)
EAST = Caller(ANDRII, "r-2", Recipient(OrganisationKind.LAW_ENFORCEMENT))
COORDINATOR = Caller(OLENA, "r-3", INTAKE)
AUDITOR = Caller(StaffMember("a-1", "auditor", "UA-NIB"), "r-4", INTAKE)


def report(**child):
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["child"].update(child)
    return body


def submit(pipeline, body, now=T0):
    receipt, _ = intake.submit(
        intake.Submission(Report.model_validate(body), str(body), None, "198.51.100.7"),
        stores=pipeline.stores,
        settings=pipeline.settings,
        now=now,
    )
    return receipt.reference


@pytest.fixture
def people(stores):
    for person in (TARAS, OKSANA, ANDRII, OLENA):
        colleagues.record(person, stores=stores, now=T0)


@pytest.fixture
def kherson(pipeline, people):
    """A Kherson report about Коваленко Максим, dispatched: the south desk works it."""
    reference = submit(pipeline, report(family_name="Коваленко", given_name="Максим"))
    pipeline.run_until_idle(T0)
    return reference


def actions(db, reference):
    return [(e.actor, e.action, e.detail) for e in db.audit.get(reference, [])]


# -- search ---------------------------------------------------------------------------------


def test_a_latin_spelling_finds_the_cyrillic_case_in_bounded_queries(stores, db, kherson):
    found = search.search(SOUTH, "Kovalenko Maksym", stores=stores)
    assert [b.summary.reference for b in found.cases] == [kherson]
    assert found.cases[0].report.child.family_name == "Коваленко"
    assert 0 < found.queries <= 4
    assert ("t-1", "search", None) in actions(db, kherson)
    assert search.search(SOUTH, kherson.lower(), stores=stores).cases[0].report is not None
    assert search.search(SOUTH, "Kovalenko Oleksandr", stores=stores).cases == []


def test_search_keeps_to_the_mandate_like_a_missing_case(stores, kherson):
    for typed in ("Kovalenko Maksym", kherson):
        assert search.search(EAST, typed, stores=stores).cases == []
    assert search.search(SOUTH, "HW-2222-3333", stores=stores).cases == []
    with pytest.raises(NotPermitted):
        search.search(AUDITOR, kherson, stores=stores)


def test_a_withheld_report_is_found_by_its_reference_but_never_by_the_childs_name(
    pipeline, stores, people
):
    body = report(family_name="Шевченко", given_name="Тарас")
    body["consent"]["share_with_coalition"] = False
    reference = submit(pipeline, body)
    pipeline.run_until_idle(T0)
    # A coordinator of an agency that is not the intake desk sees every case, but may know
    # only that this report exists.
    elsewhere = Caller(StaffMember("c-2", "coordinator", "UA-OMBUDSMAN"), "r-5", SOUTH_DESK)
    assert search.search(elsewhere, "Shevchenko Taras", stores=stores).cases == []
    (row,) = search.search(elsewhere, reference, stores=stores).cases
    assert row.report is None
    # The intake desk works it, details and all.
    assert search.search(COORDINATOR, "Shevchenko Taras", stores=stores).cases


def test_a_case_without_consent_to_tracing_is_still_found_by_who_may_open_it(
    pipeline, stores, people
):
    body = report(family_name="Мельник", given_name="Ірина", sex="female")
    body["consent"]["tracing"] = False
    reference = submit(pipeline, body)
    pipeline.run_until_idle(T0)
    found = search.search(COORDINATOR, "Melnyk Iryna", stores=stores)
    assert [b.summary.reference for b in found.cases] == [reference]


# -- assignment -----------------------------------------------------------------------------


def test_a_case_is_assigned_to_a_named_colleague_never_to_free_text(stores, db, kherson):
    for nobody in ("me", "t-9", "e-1"):  # free text, unknown, not of this case's agencies
        with pytest.raises(UnknownAssignee):
            casework.assign_case(SOUTH, kherson, assignee=nobody, version=1, stores=stores)
    assert ("t-1", "refused", "assign") in actions(db, kherson)
    shown = casework.assign_case(SOUTH, kherson, assignee="t-2", version=1, stores=stores)
    assert shown.file.assignee == "t-2"
    (event,) = shown.file.events
    assert (event.action, event.actor, event.detail) == ("assign", "t-1", {"assignee": "t-2"})
    mine = Filters(assignee="t-2")
    assert [c.reference for c in casework.list_cases(SOUTH, mine, stores=stores).cases] == [kherson]
    names = stores.staff.everyone()
    assert [p.subject for p in colleagues.assignable(SOUTH, shown.file.agencies, names)] == [
        "t-2",
        "t-1",
    ]


# -- corrections ----------------------------------------------------------------------------


def test_a_mistyped_date_of_birth_is_corrected_with_a_reason_and_matching_runs_again(
    pipeline, stores, db, people
):
    first = submit(pipeline, report(family_name="Коваленко", given_name="Максим"))
    # A second report of him, whose reporter typed the 15th for the 14th.
    second = submit(
        pipeline, report(family_name="Коваленко", given_name="Максим", date_of_birth="2012-03-15")
    )
    pipeline.run_until_idle(T0)
    (before,) = matching.matches_of(COORDINATOR, second, stores=stores)
    assert before.other == first and before.explanation["date_of_birth"] != "match"
    with pytest.raises(casework.StaleVersion):
        corrections.correct_case(
            COORDINATOR,
            second,
            field="child.date_of_birth",
            value="2012-03-14",
            reason="typed the 15th",
            version=9,
            stores=stores,
        )
    shown = corrections.correct_case(
        COORDINATOR,
        second,
        field="child.date_of_birth",
        value="2012-03-14",
        reason="the mother says the 14th",
        version=1,
        stores=stores,
        now=T0,
    )
    assert shown.report.child.date_of_birth == dt.date(2012, 3, 14) and shown.version == 2
    (event,) = [e for e in shown.file.events if e.action == "correct"]
    assert event.detail == {
        "field": "child.date_of_birth",
        "before": "2012-03-15",
        "after": "2012-03-14",
        "reason": "the mother says the 14th",
    }
    # The trail names the field, never the values.
    assert ("c-1", "correct", "child.date_of_birth") in actions(db, second)
    # Matching ran again: the pair is scored as the report now stands, on both sides.
    (after,) = matching.matches_of(COORDINATOR, second, stores=stores)
    assert after.explanation["date_of_birth"] == "match" and after.score >= before.score
    assert matching.matches_of(COORDINATOR, first, stores=stores)[0].score == after.score
    # Search finds the corrected birth date, and no longer the mistyped one.
    assert [
        b.summary.reference
        for b in search.search(COORDINATOR, "Kovalenko 15.03.2012", stores=stores).cases
    ] == []
    assert second in [
        b.summary.reference
        for b in search.search(COORDINATOR, "Kovalenko 14.03.2012", stores=stores).cases
    ]


def test_a_correction_is_checked_like_a_new_report(stores, kherson):
    with pytest.raises(ValidationError):
        corrections.correct_case(
            SOUTH,
            kherson,
            field="child.date_of_birth",
            value="2099-01-01",
            reason="?",
            version=1,
            stores=stores,
        )
    for field in ("reporter.email", "residence.oblast"):
        with pytest.raises(corrections.NotCorrectable):
            corrections.correct_case(
                SOUTH, kherson, field=field, value="x", reason="why", version=1, stores=stores
            )
    with pytest.raises(corrections.NotCorrectable):
        corrections.correct_case(
            SOUTH,
            kherson,
            field="child.patronymic",
            value="Петрович",
            reason=" ",
            version=1,
            stores=stores,
        )
    with pytest.raises(CaseNotFound):
        corrections.correct_case(
            EAST, kherson, field="child.patronymic", value="x", reason="y", version=1, stores=stores
        )


# -- acknowledging one's own alert ----------------------------------------------------------


def test_a_person_acknowledges_the_alert_sent_to_them_and_it_stops_escalating(
    pipeline, stores, db, kherson
):
    file = stores.cases.file(kherson)
    current = pipeline.directory.current()
    mine = acknowledgement.addressed_to(TARAS.email, file.deliveries, current)
    assert {d.delivery.contact_id for d in mine} == {"south-ua-ombudsman"}
    # Not someone else's alert, nor one a person without that address received.
    coordinators = [d for d in file.deliveries if d.delivery.contact_id == "coord-ua-nib"]
    with pytest.raises(acknowledgement.NotYours):
        acknowledgement.acknowledge_in_console(
            SOUTH, kherson, coordinators[0].delivery_id, stores=stores, directory=current
        )
    done = acknowledgement.acknowledge_in_console(
        SOUTH, kherson, mine[0].delivery_id, stores=stores, directory=current, now=T0
    )
    assert done.handled
    states = {
        d.delivery.channel: d.state
        for d in stores.cases.file(kherson).deliveries
        if d.delivery.contact_id == "south-ua-ombudsman"
    }
    assert set(states.values()) == {"acknowledged"}  # the SMS too
    assert ("t-1", "acknowledge", "report-received in the console") in actions(db, kherson)
    # Acknowledged: the alert no longer escalates.
    assert pipeline.tick(T0 + dt.timedelta(days=2)) == 0
    with pytest.raises(acknowledgement.NotYours):
        acknowledgement.acknowledge_in_console(
            SOUTH, kherson, mine[0].delivery_id, stores=stores, directory=current
        )


# -- the inbox ------------------------------------------------------------------------------


def test_the_inbox_puts_what_waits_for_acknowledgement_first_the_urgent_soonest(
    pipeline, stores, people
):
    calm = submit(pipeline, report(given_name="Петро"), now=T0)
    urgent_body = report(given_name="Іван")
    urgent_body["urgent"] = True
    urgent = submit(pipeline, urgent_body, now=T0 + dt.timedelta(minutes=1))
    pipeline.run_until_idle(T0)
    box = inbox.inbox(SOUTH, Filters(), stores=stores, now=T0)
    assert [b.summary.reference for b in box.waiting] == [urgent, calm]
    assert [b.summary.reference for b in box.rows] == [urgent, calm]  # newest first
    assert {b.acknowledgement for b in box.rows} == {"waiting"}
    assert box.rows[1].report.child.given_name == "Петро"
    assert inbox.inbox(EAST, Filters(), stores=stores, now=T0).waiting == []


def test_a_case_whose_confirmed_match_nobody_acknowledged_reads_as_waiting(
    pipeline, stores, settings, people
):
    first = submit(pipeline, report(family_name="Коваленко", given_name="Максим"))
    second = submit(pipeline, report(family_name="Коваленко", given_name="Максим"))
    pipeline.run_until_idle(T0)
    current = pipeline.directory.current()
    for reference in (first, second):
        (mine, *_) = acknowledgement.addressed_to(
            TARAS.email, stores.cases.file(reference).deliveries, current
        )
        acknowledgement.acknowledge_in_console(
            SOUTH, reference, mine.delivery_id, stores=stores, directory=current, now=T0
        )
    box = inbox.inbox(SOUTH, Filters(), stores=stores, now=T0)
    assert box.waiting == [] and {b.acknowledgement for b in box.rows} == {"acknowledged"}
    # The coordinator confirms the pair: its alert reaches the south desk, and waits.
    matching.review_match(
        COORDINATOR, second, first, decision="confirmed", stores=stores, settings=settings, now=T0
    )
    pipeline.run_until_idle(T0)
    box = inbox.inbox(SOUTH, Filters(), stores=stores, now=T0)
    (waiting,) = box.waiting
    assert waiting.acknowledgement == "waiting" and waiting.acknowledged_at is None
    row = next(b for b in box.rows if b.summary.reference == waiting.summary.reference)
    assert row.acknowledgement == "waiting"
    other = next(b for b in box.rows if b.summary.reference != waiting.summary.reference)
    assert other.acknowledgement == "acknowledged"


# -- coordinators -----------------------------------------------------------------------------


def test_a_routing_preview_is_the_routing_itself_rung_by_rung(stores):
    rungs = directory.preview(
        COORDINATOR, oblast="UA-65", category="deported", urgent=True, stores=stores
    )
    first = {d.contact_id for d in rungs[0].deliveries}
    assert first == {"coord-ua-nib", "south-ua-ombudsman", "ca-liaison"}
    assert {d.contact_id for d in rungs[1].deliveries} == {"ua-national-desk"}
    assert {d.contact_id for d in rungs[-1].deliveries} == {"coord-ua-nib"}
    with pytest.raises(NotPermitted):
        directory.preview(SOUTH, oblast="UA-65", category="deported", urgent=True, stores=stores)


def test_a_file_is_opened_through_a_short_link_audited_and_only_by_who_sees_the_report(
    pipeline, stores, db, people
):
    files = FakeFileStore()
    version = files.put("cases/x/1-" + "a" * 64, b"\xff\xd8\xff", "image/jpeg")
    attachment = Attachment("cases/x/1-" + "a" * 64, "a" * 64, 3, "image/jpeg", version)
    receipt, _ = intake.submit(
        intake.Submission(
            Report.model_validate(report()), "f", None, "198.51.100.7", attachments=(attachment,)
        ),
        stores=stores,
        settings=pipeline.settings,
        now=T0,
    )
    pipeline.run_until_idle(T0)
    reference = receipt.reference
    link = attachment_links.open_attachment(SOUTH, reference, "a" * 64, stores=stores, files=files)
    assert f"version={version}" in link and "expires=60" in link
    assert ("t-1", "open-attachment", "a" * 16) in actions(db, reference)
    for who, sha in ((EAST, "a" * 64), (SOUTH, "b" * 64)):
        with pytest.raises(CaseNotFound):
            attachment_links.open_attachment(who, reference, sha, stores=stores, files=files)


def test_statistics_count_reports_by_the_week_they_came_in(pipeline, stores, kherson):
    assert stores.statistics.read()["week"] == {"2026-W48": 1}
    assert stores.statistics.read("UA-OMBUDSMAN")["week"] == {"2026-W48": 1}


def test_an_anonymised_case_leaves_no_search_key_and_no_corrected_value(stores, db, kherson):
    from chalicelib.services import erasure

    corrections.correct_case(
        COORDINATOR,
        kherson,
        field="child.family_name",
        value="Коваленков",
        reason="misspelt",
        version=1,
        stores=stores,
        now=T0,
    )
    assert search.search(COORDINATOR, "Kovalenkov Maksym", stores=stores).cases
    erasure.anonymise_case(
        kherson, still_due=lambda _: True, stores=stores, files=None, request_id="r-9"
    )
    for typed in ("Kovalenkov Maksym", "Коваленко Максим", "14.03.2012"):
        assert search.search(COORDINATOR, typed, stores=stores).cases == [], typed
    assert not any(kherson in entries.values() for entries in db.search.values())
    # The correction's values and reason went with the report; the case's history stays.
    events = db.events.get(kherson, [])
    assert [e for e in events if e.action == "correct"] == []
    assert db.cases[kherson].search_keys == () == db.cases[kherson].blocking_keys
