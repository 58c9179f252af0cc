"""What the stores promise erasure and retention, on the fakes and on DynamoDB (moto).

Erasure reads a case's traces without opening anything sealed, deletes the items derived
from it, and rewrites the case item under the version its traces were read at.
"""

import dataclasses
import datetime as dt

import pytest
from helpers import case_for, commit

from chalicelib.domain import erasure
from chalicelib.domain.casefile import Counted, Filters
from chalicelib.domain.errors import Refused
from chalicelib.domain.matching import CandidatePair, Verdict
from chalicelib.domain.workflow import Status

# To the microsecond, as intake's clock is: derived items' keys are built from it.
T0 = dt.datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=dt.UTC)
# The dispatcher grants mandates with the time its alert item keeps, to the second.
T0_ALERT = T0.replace(microsecond=0)
KEY = b"contract-key"


def opened(stores, reference="HW-2222-3333", at=T0, **changes):
    case = dataclasses.replace(case_for(**changes), reference=reference, received_at=at)
    people = list(erasure.reporter_keys(KEY, case.report))
    uow = stores.unit_of_work()
    stores.cases.open(uow, case, blocking_keys=["k1", "k2"], reporter_keys=people)
    stores.match_index.add(uow, reference, at, ["k1", "k2"])
    stores.reporters.add(uow, reference, at, people)
    uow.commit()
    return case


def test_traces_name_everything_derived_and_open_nothing_sealed(stores):
    case = opened(stores)
    other = opened(stores, "HW-4444-5555", T0 + dt.timedelta(minutes=1))
    stores.pairs.record(CandidatePair(other.reference, case.reference, Verdict.LIKELY, 0.9, {}, T0))
    commit(
        stores,
        lambda u: stores.cases.add_note(u, case.reference, author="ana", text="called", at=T0),
        lambda u: stores.mandates.grant(u, case.reference, T0, ["UA-NIB", "CA-GAC"]),
    )
    traces = stores.lifecycle.traces(case.reference)
    assert (traces.reference, traces.version, traces.status) == (case.reference, 1, "received")
    assert traces.blocking_keys == ("k1", "k2")
    assert traces.reporter_keys == erasure.reporter_keys(KEY, case.report)
    assert traces.sealed == {"reporter", "child"}
    assert traces.pairs == (other.reference,) and len(traces.notes) == 1
    assert traces.agencies == {"UA-NIB", "CA-GAC"}
    assert traces.changed_at == T0
    # The open part only: erasure never needs a key.
    assert traces.report.reporter.email is None and traces.report.child.medical_needs is None
    assert traces.report.child.family_name == case.report.child.family_name
    assert stores.lifecycle.traces("HW-9999-9999") is None


def test_the_reporters_index_finds_a_persons_cases_newest_first(stores):
    first = opened(stores)
    second = opened(stores, "HW-4444-5555", T0 + dt.timedelta(minutes=1))
    other = opened(
        stores,
        "HW-6666-7777",
        T0 + dt.timedelta(minutes=2),
        reporter={"email": "someone.else@example.org", "phone": None},
    )
    by_email = erasure.reporter_key(KEY, " IRYNA@Example.org ")
    by_phone = erasure.reporter_key(KEY, "+380 50 123 4567")
    assert stores.reporters.references(by_email) == [second.reference, first.reference]
    assert stores.reporters.references(by_phone) == [second.reference, first.reference]
    assert stores.reporters.references(by_email, limit=1) == [second.reference]
    commit(stores, lambda u: stores.reporters.remove(u, first.reference, T0, [by_email]))
    assert stores.reporters.references(by_email) == [second.reference]
    assert other.reference not in stores.reporters.references(by_phone)


def test_withdrawing_erases_the_reporter_and_everything_that_shares_the_case(stores):
    case = opened(stores)
    other = opened(stores, "HW-4444-5555", T0 + dt.timedelta(minutes=1))
    stores.pairs.record(CandidatePair(other.reference, case.reference, Verdict.LIKELY, 0.9, {}, T0))
    grant = ["UA-NIB", "CA-GAC"]
    commit(stores, lambda u: stores.mandates.grant(u, case.reference, T0_ALERT, grant))
    traces = stores.lifecycle.traces(case.reference)
    assert traces.received_at == T0
    plan = erasure.withdraw(traces, intake_desk=frozenset({"UA-NIB"}), now=T0_ALERT)
    commit(
        stores,
        lambda u: stores.match_index.remove(u, case.reference, T0, list(plan.blocking_keys)),
        lambda u: stores.reporters.remove(u, case.reference, T0, list(plan.reporter_keys)),
        lambda u: stores.pairs.remove(u, case.reference, list(plan.pairs)),
        lambda u: stores.mandates.revoke(u, case.reference, T0, list(plan.revoked)),
    )
    commit(stores, lambda u: stores.lifecycle.erase(u, traces, plan))

    left = stores.cases.get(case.reference)
    assert left.version == 2 and left.withdrawn_at == T0_ALERT
    assert left.consent == left.consent.none_left() == stores.cases.consent_of(case.reference)
    assert (left.report.reporter.name, left.report.reporter.email) == (None, None)
    # The child's sealed details stay, for the child.
    assert left.report.child.medical_needs == case.report.child.medical_needs
    assert stores.match_index.references("k1", 5) == [other.reference]
    assert stores.pairs.of_case(other.reference) == []
    assert stores.reporters.references(erasure.reporter_key(KEY, "iryna@example.org")) == [
        other.reference
    ]
    assert stores.mandates.agencies_of([case.reference]) == {case.reference: {"UA-NIB"}}
    listed = stores.case_index.list(Filters(), agency="CA-GAC")
    assert case.reference not in {c.reference for c in listed.cases}
    assert [c.reference for c in stores.case_index.list(Filters(), agency="UA-NIB").cases] == [
        case.reference
    ]
    assert stores.cases.file(case.reference).agencies == {"UA-NIB"}
    after = stores.lifecycle.traces(case.reference)
    assert after.sealed == {"child"} and after.blocking_keys == () and after.reporter_keys == ()
    assert after.withdrawn_at == T0_ALERT and after.consent.withdrawn
    # Read before the erasure, stale after it.
    with pytest.raises(Refused) as refused:
        commit(stores, lambda u: stores.lifecycle.erase(u, traces, plan))
    assert refused.value.names == {"case"}


def test_anonymising_leaves_nobody_in_the_case(stores):
    case = opened(stores)
    commit(
        stores,
        lambda u: stores.cases.add_note(u, case.reference, author="ana", text="called", at=T0),
    )
    traces = stores.lifecycle.traces(case.reference)
    plan = erasure.anonymise(traces, now=T0_ALERT + dt.timedelta(days=1))
    commit(stores, lambda u: stores.lifecycle.remove_notes(u, case.reference, list(plan.notes)))
    commit(stores, lambda u: stores.lifecycle.erase(u, traces, plan))
    left = stores.cases.get(case.reference)
    child = left.report.child
    assert (child.family_name, child.given_name, child.patronymic) == ("[erased]",) * 2 + (None,)
    assert child.date_of_birth is None and child.birth_year == 2012
    assert child.medical_needs is None and left.report.reporter.email is None
    assert left.report.residence.settlement is None and left.report.event.place is None
    assert left.report.last_known_location.institution is None
    assert left.report.last_known_location.country == case.report.last_known_location.country
    assert left.anonymised_at == T0_ALERT + dt.timedelta(days=1)
    assert stores.cases.file(case.reference).notes == ()
    assert stores.lifecycle.traces(case.reference).sealed == frozenset()


def test_the_retention_index_brings_the_cases_that_last_changed_before_a_day(stores):
    old = opened(stores, "HW-2222-2222", T0)
    changed = opened(stores, "HW-3333-3333", T0 + dt.timedelta(minutes=1))
    recent = opened(stores, "HW-4444-4444", T0 + dt.timedelta(days=10))
    for case in (old, changed, recent):
        commit(
            stores,
            lambda u, c=case: stores.cases.change(
                u, c.reference, version=1, now=c.received_at, status=Status.UNFOUNDED
            ),
        )
    # A later change restarts the clock: a link, here.
    later = T0 + dt.timedelta(days=20)
    commit(stores, lambda u: stores.cases.link_back(u, changed.reference, old.reference, later))
    due = stores.lifecycle.due(Status.UNFOUNDED, T0 + dt.timedelta(days=15), 10)
    assert due == [old.reference, recent.reference]
    assert stores.lifecycle.due(Status.UNFOUNDED, T0 + dt.timedelta(days=15), 1) == [old.reference]
    assert stores.lifecycle.due(Status.CLOSED, T0 + dt.timedelta(days=15), 10) == []
    # Anonymised, a case leaves the index.
    traces = stores.lifecycle.traces(old.reference)
    commit(stores, lambda u: stores.lifecycle.erase(u, traces, erasure.anonymise(traces, now=T0)))
    assert stores.lifecycle.due(Status.UNFOUNDED, T0 + dt.timedelta(days=15), 10) == [
        recent.reference
    ]


def test_a_case_leaves_an_agencys_statistics_with_its_mandate(stores):
    case = opened(stores)
    counted = Counted.of_case(case)
    commit(stores, lambda u: stores.statistics.count_new(u, counted, [None, "CA-GAC"]))
    commit(stores, lambda u: stores.statistics.count_removed(u, counted, ["CA-GAC"]))
    assert stores.statistics.read("CA-GAC")["total"] == 0
    assert stores.statistics.read("CA-GAC")["status"] == {}
    assert stores.statistics.read()["total"] == 1
