"""The data lifecycle on the fakes: a reporter's withdrawal, a person's requests about
their data, and retention with the clock moved on (time-machine).

The same paths run over moto in tests/handlers/test_lifecycle.py, which also looks for
what is left in the table, its stream and the bucket.
"""

import copy
import dataclasses
import datetime as dt
import hashlib

import pytest
import time_machine
from fakes import FakeFileStore
from helpers import EXAMPLE_REPORT

from chalicelib.domain.alerts import Alert, DeliveryState
from chalicelib.domain.attachments import Attachment, case_file_key, case_prefix
from chalicelib.domain.case import status_token
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.erasure import reporter_key
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.workflow import Status
from chalicelib.services import casework, data_requests, delivery, intake, reporter, retention
from chalicelib.services.access import Caller, CaseNotFound, NotPermitted

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
# At the intake desk, as the demo directory has it: a withdrawn case stays theirs.
INTAKE_DESK = Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True)
COORDINATOR = Caller(StaffMember("c-1", "coordinator", "UA-NIB"), "request-1", INTAKE_DESK)
SOUTH = Caller(StaffMember("w-1", "caseworker", "UA-OMBUDSMAN"), "request-2")
AUDITOR = Caller(StaffMember("a-1", "auditor", "UA-NIB"), "request-3")
DESK = {"coordinator@nib.example.org", "+380441234567"}


def submit(pipeline, now=T0, files=(), reference=None, **changes) -> str:
    body = copy.deepcopy(EXAMPLE_REPORT)
    for section, values in changes.items():
        body[section].update(values)
    submission = intake.Submission(
        Report.model_validate(body),
        repr(body),
        None,
        "198.51.100.7",
        tuple(files),
        reference=reference,
    )
    receipt, _ = intake.submit(
        submission, stores=pipeline.stores, settings=pipeline.settings, now=now
    )
    return receipt.reference


def withdraw(pipeline, reference, token=None):
    token = token or status_token(pipeline.settings.signing_key, reference)
    outcome = reporter.withdraw(
        reference,
        token,
        source="198.51.100.7",
        request_id="r-1",
        stores=pipeline.stores,
        settings=pipeline.settings,
    )
    pipeline.pump_stream()  # the request reaches the function that carries it out
    return outcome


def recipients(pipeline, since: int = 0) -> set[str]:
    return {m["to"] for m in (pipeline.email.sent + pipeline.sms.sent)[since:]}


def sent_count(pipeline) -> int:
    return len(pipeline.email.sent) + len(pipeline.sms.sent)


# -- withdrawal -----------------------------------------------------------------------------


def test_after_a_withdrawal_only_the_intake_desk_hears_of_the_case(pipeline, stores, db):
    mine = submit(pipeline)  # Kherson, deported: the south desk, Canada, the coordinators
    theirs = submit(pipeline, child={"given_name": "Oleksandr"})
    pipeline.run_until_idle(T0)
    assert db.cases[mine].agencies == {"UA-OMBUDSMAN", "UA-NIB", "CA-GAC"}
    assert stores.pairs.of_case(theirs)  # the two were found to be one child
    before = stores.statistics.read("CA-GAC")["total"]

    assert withdraw(pipeline, mine) == reporter.Withdrawal.WITHDRAWN
    case = stores.cases.get(mine)
    assert case.consent.withdrawn and not case.consent.may_contact
    assert case.report.reporter.email is None and case.report.reporter.phone is None
    assert case.report.child.medical_needs == EXAMPLE_REPORT["child"]["medical_needs"]
    assert db.cases[mine].agencies == {"UA-NIB"}
    assert mine not in db.mandates["CA-GAC"].values()
    assert mine not in db.mandates["UA-OMBUDSMAN"].values()
    assert stores.statistics.read("CA-GAC")["total"] == before - 1
    assert stores.pairs.of_case(mine) == [] and stores.pairs.of_case(theirs) == []
    assert not any(mine in keyed.values() for keyed in db.blocking.values())
    assert not any(mine in keyed.values() for keyed in db.reporters.values())
    (entry,) = [e for e in db.audit[mine] if e.action == "withdraw"]
    assert (entry.actor, entry.role) == ("reporter", "reporter")
    assert entry.detail == "mandate revoked: CA-GAC, UA-OMBUDSMAN"

    # The next alerts of the case reach the intake desk only: the escalation of its first
    # alert (written when everything was shared), and a match confirmed as the reporter
    # withdrew (written with the consent as it was).
    assert pipeline.tick(T0 + dt.timedelta(days=1, minutes=1)) >= 1
    uow = stores.unit_of_work()
    stores.alerts.add(
        uow, Alert.match_confirmed(case_before(db, mine), case_before(db, theirs), T0)
    )
    uow.commit()
    pipeline.run_until_idle(T0 + dt.timedelta(days=1, minutes=1))
    later = [
        d for d in stores.deliveries.of_case(mine) if d.delivery.alert.purpose != "report-received"
    ]
    assert {d.delivery.alert.purpose for d in later} == {
        "report-received~1",
        f"match-confirmed-{theirs}",
    }
    escalated = [d for d in later if d.delivery.alert.purpose == "report-received~1"]
    assert {d.delivery.address for d in escalated} == DESK
    # The match goes to each desk of either case once; the other case's desks learn only
    # the two references (match_email.txt prints nothing of either report).
    theirs_desks = {d.delivery.address for d in stores.deliveries.of_case(theirs)}
    matched = [d for d in later if d.delivery.alert.kind == "match"]
    sent_to = {d.delivery.address for d in matched}
    assert "coordinator@nib.example.org" in sent_to and sent_to <= DESK | theirs_desks
    assert {d.state for d in later} == {DeliveryState.SENT}

    # The staff API: the south desk lost the case; the coordinator sees no contact left.
    with pytest.raises(CaseNotFound):
        casework.read_case(SOUTH, mine, stores=stores)
    shown = casework.read_case(COORDINATOR, mine, stores=stores)
    assert shown.report.reporter.email is None and shown.report.child.family_name

    # Matching never offers it again, in either direction.
    third = submit(pipeline, child={"given_name": "Sashko"})
    pipeline.run_until_idle(T0)
    assert mine not in {p.other for p in stores.pairs.of_case(third)}
    assert withdraw(pipeline, mine) == reporter.Withdrawal.NOTHING_LEFT


def case_before(db, reference):
    """The case as an alert written before the withdrawal saw it."""
    return dataclasses.replace(db.cases[reference].case, withdrawn_at=None)


def test_alerts_routed_before_a_withdrawal_and_not_sent_stay_unsent(pipeline, stores, db):
    mine = submit(pipeline)
    pipeline.pump_stream(T0)  # routed and queued, nothing sent yet
    assert withdraw(pipeline, mine) == reporter.Withdrawal.WITHDRAWN
    pipeline.run_until_idle(T0)
    assert recipients(pipeline) == DESK
    stopped = [d for d in stores.deliveries.of_case(mine) if d.state == DeliveryState.FAILED]
    assert {d.delivery.agency for d in stopped} == {"UA-OMBUDSMAN", "CA-GAC"}
    assert {d.last_error for d in stopped} == {"consent withdrawn"}
    # Nor may a coordinator send them after all.
    with pytest.raises(delivery.ConsentWithdrawn):
        delivery.retry_for(
            COORDINATOR, mine, stopped[0].delivery_id, stores=stores, queue=pipeline.queue
        )


def test_a_wrong_code_withdraws_nothing(pipeline, stores):
    mine = submit(pipeline)
    for reference, token in ((mine, "wrong"), ("HW-2222-2222", status_token(b"x", mine))):
        assert withdraw(pipeline, reference, token) == reporter.Withdrawal.NOT_FOUND
    other = status_token(pipeline.settings.signing_key, "HW-2222-2222")
    assert withdraw(pipeline, "HW-2222-2222", other) == reporter.Withdrawal.NOT_FOUND
    assert not stores.cases.get(mine).consent.withdrawn


# -- a person's requests about their data -------------------------------------------------


def test_a_person_gets_everything_held_about_them_and_nothing_about_others(pipeline, stores, db):
    first = submit(pipeline)
    second = submit(pipeline, T0 + dt.timedelta(minutes=1), child={"given_name": "Іван"})
    other = submit(
        pipeline,
        child={"family_name": "Шевченко"},
        reporter={"name": "Петро", "email": "petro@example.org", "phone": "+380671112233"},
    )
    casework.add_note(COORDINATOR, first, text="called Iryna back", stores=stores)
    person = data_requests.Person(email="IRYNA@example.org")
    held = data_requests.export(COORDINATOR, person, stores=stores, settings=pipeline.settings)
    assert [h.file.reference for h in held] == [second, first]
    whole = held[1].file.case.report
    assert whole.reporter.email == "iryna@example.org"
    assert whole.child.medical_needs == EXAMPLE_REPORT["child"]["medical_needs"]
    assert [n.text for n in held[1].file.notes] == ["called Iryna back"]
    assert "note" in {e.action for e in held[1].audit}
    assert other not in {h.file.reference for h in held}
    by_phone = data_requests.Person(phone="+380 50 123 4567")
    assert [h.file.reference for h in data_requests.export(
        COORDINATOR, by_phone, stores=stores, settings=pipeline.settings
    )] == [second, first]  # fmt: skip
    by_reference = data_requests.Person(reference=other)
    (theirs,) = data_requests.export(
        COORDINATOR, by_reference, stores=stores, settings=pipeline.settings
    )
    assert theirs.file.case.report.reporter.email == "petro@example.org"
    # Audited on every case and in the requests' own trail, never with the address.
    assert ("c-1", "data-export", "by email") in actions(db, first)
    trail = data_requests.audit_trail(AUDITOR, stores=stores)
    assert {e.detail for e in trail if e.action == "data-export"} == {
        f"by email: {second}, {first}",
        f"by phone: {second}, {first}",
        f"by reference: {other}",
    }
    assert "iryna" not in repr(db.audit).lower()
    for refused in (SOUTH, AUDITOR):
        with pytest.raises(NotPermitted):
            data_requests.export(refused, person, stores=stores, settings=pipeline.settings)


def test_a_person_is_forgotten_and_their_childrens_cases_stay(pipeline, stores, db):
    first = submit(pipeline)
    second = submit(pipeline, T0 + dt.timedelta(minutes=1), child={"given_name": "Іван"})
    other = submit(pipeline, reporter={"email": "petro@example.org", "phone": None})
    pipeline.run_until_idle(T0)
    person = data_requests.Person(phone="+380501234567")
    done = data_requests.erase(COORDINATOR, person, stores=stores, settings=pipeline.settings)
    assert done.erased == [second, first] and done.nothing_left == []
    for reference in (first, second):
        case = stores.cases.get(reference)
        assert case.report.reporter.model_dump(include={"name", "email", "phone"}) == {
            "name": None,
            "email": None,
            "phone": None,
        }
        assert case.report.child.family_name == "Ковальчук"
        assert case.report.child.medical_needs  # the child's details stay
        assert case.consent.share_with_coalition and not case.consent.may_contact
        assert ("c-1", "data-erase", "by phone") in actions(db, reference)
    assert stores.cases.get(other).report.reporter.email == "petro@example.org"
    key = reporter_key(pipeline.settings.signing_key, "iryna@example.org")
    assert stores.reporters.references(key) == []
    again = data_requests.erase(
        COORDINATOR,
        data_requests.Person(reference=first),
        stores=stores,
        settings=pipeline.settings,
    )
    assert again.nothing_left == [first]
    empty = data_requests.export(COORDINATOR, person, stores=stores, settings=pipeline.settings)
    assert empty == []


def actions(db, reference):
    return [(e.actor, e.action, e.detail) for e in db.audit.get(reference, [])]


# -- retention --------------------------------------------------------------------------------


def a_file(files: FakeFileStore, reference: str) -> Attachment:
    data = b"\xff\xd8\xff" + reference.encode()
    sha = hashlib.sha256(data).hexdigest()
    key = case_file_key(reference, 1, sha)
    files.put(key, b"an older version", "image/jpeg")
    version = files.put(key, data, "image/jpeg")
    return Attachment(key, sha, len(data), "image/jpeg", version)


def close(stores, reference, *moves):
    version = stores.cases.get(reference).version
    for target in moves:
        casework.move_case(
            COORDINATOR, reference, target=target, note="done", version=version, stores=stores
        )
        version += 1


def test_retention_anonymises_due_cases_a_few_per_run_and_leaves_the_rest(pipeline, stores, db):
    files = FakeFileStore()
    settings = pipeline.settings.__class__(**{**vars(pipeline.settings), "retention_batch": 2})
    with time_machine.travel(T0, tick=False) as clock:
        references = ["HW-2222-2222", "HW-3333-3333", "HW-4444-4444"]
        unfounded = [
            submit(pipeline, None, (a_file(files, r),), r, child={"given_name": name})
            for r, name in zip(references, ("Іван", "Петро", "Марко"), strict=True)
        ]
        closed = submit(pipeline, None)
        working = submit(pipeline, None, child={"given_name": "Тарас"})
        pipeline.run_until_idle()
        for reference in unfounded:
            close(stores, reference, Status.UNFOUNDED)
        close(stores, closed, Status.TRIAGED, Status.CLOSED)
        casework.add_note(COORDINATOR, unfounded[0], text="spoke to Iryna", stores=stores)

        clock.shift(dt.timedelta(days=364))
        assert retention.anonymise_expired(stores=stores, files=files, settings=settings) == 0
        # One of them is reopened and set aside again: its year starts again.
        close(stores, unfounded[2], Status.TRIAGED, Status.UNFOUNDED)

        clock.shift(dt.timedelta(days=2))
        counts_before = stores.statistics.read()
        assert retention.anonymise_expired(stores=stores, files=files, settings=settings) == 2
        assert retention.anonymise_expired(stores=stores, files=files, settings=settings) == 0
        for reference in unfounded[:2]:
            case = stores.cases.get(reference)
            assert case.anonymised_at == T0 + dt.timedelta(days=366)
            assert case.report.child.family_name == "[erased]"
            assert case.report.reporter.email is None and case.report.child.medical_needs is None
            assert db.cases[reference].attachments == ()
            assert files.versions(case_prefix(reference)) == []
            assert ("retention", "anonymise", None) in actions(db, reference)
        assert db.notes[unfounded[0]] == {}
        assert not any(r in unfounded[:2] for keyed in db.blocking.values() for r in keyed.values())
        assert stores.statistics.read() == counts_before  # still counted
        for untouched in (unfounded[2], closed, working):
            assert stores.cases.get(untouched).report.child.family_name == "Ковальчук"
        assert files.versions(case_prefix(unfounded[2]))

        clock.shift(dt.timedelta(days=5 * 365))
        assert retention.anonymise_expired(stores=stores, files=files, settings=settings) == 2
        assert stores.cases.get(closed).anonymised_at is not None
        assert stores.cases.get(unfounded[2]).anonymised_at is not None
        assert stores.cases.get(working).anonymised_at is None
