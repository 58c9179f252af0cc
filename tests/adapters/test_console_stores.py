"""The console's store methods, on the fakes and on DynamoDB alike (tests/adapters)."""

import dataclasses
import datetime as dt

import pytest
from helpers import case_for, commit

from chalicelib.domain.alerts import Alert
from chalicelib.domain.casefile import CaseEvent, Counted, Filters
from chalicelib.domain.colleagues import Colleague
from chalicelib.domain.errors import Refused
from chalicelib.domain.matching import CandidatePair, Review, Verdict
from chalicelib.domain.workflow import Status

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def opened(stores, reference="HW-2222-3333", at=T0):
    case = dataclasses.replace(case_for(), reference=reference, received_at=at)
    commit(stores, lambda u: stores.cases.open(u, case))
    return case


def test_search_keys_list_their_cases_newest_first_and_bounded(stores):
    for n in range(3):
        commit(
            stores,
            lambda u, n=n: stores.search.add(
                u, f"HW-2222-333{n + 2}", T0 + dt.timedelta(minutes=n), ["sn:a", "sy:b"]
            ),
        )
    assert stores.search.references("sn:a", 2) == ["HW-2222-3334", "HW-2222-3333"]
    assert stores.search.references("sy:b", 10)[-1] == "HW-2222-3332"
    assert stores.search.references("sn:nothing", 10) == []


def test_staff_are_recorded_replaced_and_read_back(stores):
    olena = Colleague("s-olena", "Олена Коваль", "coordinator", "UA-NIB", T0)
    stores.staff.record(olena)
    assert stores.staff.get("s-olena") == olena
    renamed = dataclasses.replace(olena, name="Олена Коваль-Петренко", seen_at=T0 + dt.timedelta(1))
    stores.staff.record(renamed)
    assert stores.staff.get("s-olena") == renamed
    assert stores.staff.everyone().get("s-olena") == renamed
    assert stores.staff.get("nobody") is None


def test_a_session_signed_out_of_stays_signed_out_and_no_other(stores):
    assert not stores.staff.signed_out("session-a")
    stores.staff.sign_out("session-a", int(T0.timestamp()) + 3600)
    assert stores.staff.signed_out("session-a")
    assert not stores.staff.signed_out("session-b")


def test_events_are_read_with_the_case_and_a_correction_is_versioned(stores):
    case = opened(stores)
    event = CaseEvent(T0, "s-1", "UA-NIB", "assign", {"assignee": "s-2"})
    commit(stores, lambda u: stores.history.add_event(u, case.reference, event))
    assert stores.cases.file(case.reference).events == (event,)
    corrected = case.report.model_copy(
        update={
            "child": case.report.child.model_copy(update={"date_of_birth": dt.date(2012, 4, 3)})
        }
    )
    with pytest.raises(Refused) as stale:
        commit(
            stores,
            lambda u: stores.history.correct(
                u, case.reference, version=7, report=corrected, now=T0
            ),
        )
    assert stale.value.names == {"case"} and stale.value.old["case"]["version"] == 1
    commit(
        stores,
        lambda u: stores.history.correct(u, case.reference, version=1, report=corrected, now=T0),
    )
    file = stores.cases.file(case.reference)
    assert file.version == 2 and file.case.report.child.date_of_birth == dt.date(2012, 4, 3)
    # The sealed fields were not touched by the correction.
    assert file.case.report.reporter.email == case.report.reporter.email
    assert file.case.report.child.medical_needs == case.report.child.medical_needs


def test_briefs_hold_the_row_the_open_report_and_the_first_alerts_state(stores):
    waiting = opened(stores, "HW-2222-3333")
    quiet = opened(stores, "HW-4444-5555", at=T0 + dt.timedelta(minutes=1))
    alert = Alert.for_new_case(waiting)
    commit(stores, lambda u: stores.alerts.add(u, alert, acknowledge_by=T0 + dt.timedelta(1)))
    commit(stores, lambda u: stores.mandates.grant(u, waiting.reference, T0, ["UA-NIB"]))
    briefs = stores.case_index.briefs([waiting.reference, quiet.reference, "HW-9999-9999"])
    assert set(briefs) == {waiting.reference, quiet.reference}
    brief = briefs[waiting.reference]
    assert brief.summary.reference == waiting.reference and brief.agencies == {"UA-NIB"}
    assert brief.report.child.family_name == waiting.report.child.family_name
    assert brief.report.reporter.email is None  # sealed: never read for a list
    assert brief.acknowledgement == "waiting"
    assert briefs[quiet.reference].acknowledgement is None
    commit(
        stores,
        lambda u: stores.alerts.acknowledge(u, waiting.reference, alert.purpose, "desk", T0),
    )
    acknowledged = stores.case_index.briefs([waiting.reference])[waiting.reference]
    assert acknowledged.acknowledgement == "acknowledged" and acknowledged.acknowledged_at == T0


def test_a_list_narrowed_to_an_assignee(stores):
    mine = opened(stores, "HW-2222-3333")
    opened(stores, "HW-4444-5555", at=T0 + dt.timedelta(minutes=1))
    commit(
        stores,
        lambda u: stores.cases.change(
            u, mine.reference, version=1, now=T0, status=Status.TRIAGED, assignee="s-2"
        ),
    )
    page = stores.case_index.list(Filters(assignee="s-2"), agency=None)
    assert [c.reference for c in page.cases] == [mine.reference]
    both = Filters(assignee="s-2", status=Status.TRIAGED)
    assert [c.reference for c in stores.case_index.list(both, agency=None).cases] == [
        mine.reference
    ]


def test_a_pair_is_scored_again_until_someone_decides_it(stores):
    pair = CandidatePair(
        "HW-2222-3333", "HW-4444-5555", Verdict.POSSIBLE, 0.5, {"sex": "match"}, T0
    )
    assert stores.pairs.record(pair)
    better = dataclasses.replace(pair, verdict=Verdict.LIKELY, score=0.9, explanation={"a": "b"})
    assert stores.pairs.rescore(better)
    (mine,) = stores.pairs.of_case("HW-2222-3333")
    (theirs,) = stores.pairs.of_case("HW-4444-5555")
    assert (mine.verdict, mine.score, mine.explanation) == (Verdict.LIKELY, 0.9, {"a": "b"})
    assert (theirs.score, theirs.found_at) == (0.9, T0)
    commit(
        stores,
        lambda u: stores.pairs.decide(
            u, pair.reference, pair.other, decision=Review.REJECTED, decided_by="s", now=T0
        ),
    )
    assert not stores.pairs.rescore(pair)
    assert stores.pairs.of_case("HW-2222-3333")[0].score == 0.9


def test_reports_are_counted_by_the_week_they_came_in(stores):
    counted = Counted("received", "UA-65", "deported", False, "2026-W48")
    commit(stores, lambda u: stores.statistics.count_new(u, counted))
    commit(stores, lambda u: stores.statistics.count_new(u, counted, ["UA-NIB"]))
    assert stores.statistics.read()["week"] == {"2026-W48": 1}
    assert stores.statistics.read("UA-NIB")["week"] == {"2026-W48": 1}


def test_erasure_reaches_the_search_keys_and_corrections_of_a_case(stores):
    case = dataclasses.replace(case_for(), reference="HW-2222-3333", received_at=T0)
    commit(stores, lambda u: stores.cases.open(u, case, search_keys=["sn:a"]))
    commit(stores, lambda u: stores.search.add(u, case.reference, T0, ["sn:a"]))
    corrected = CaseEvent(T0, "s-1", "UA-NIB", "correct", {"before": "Коваленко"})
    assigned = CaseEvent(T0, "s-1", "UA-NIB", "assign", {"assignee": "s-2"})
    commit(
        stores,
        lambda u: stores.history.add_event(u, case.reference, corrected),
        lambda u: stores.history.add_event(u, case.reference, assigned),
        lambda u: stores.history.correct(
            u, case.reference, version=1, report=case.report, now=T0, added_keys=(["sn:b"], [])
        ),
        lambda u: stores.search.add(u, case.reference, T0, ["sn:b"]),
    )
    traces = stores.lifecycle.traces(case.reference)
    assert traces.search_keys == ("sn:a", "sn:b") and len(traces.events) == 1
    commit(
        stores,
        lambda u: stores.search.remove(u, case.reference, T0, list(traces.search_keys)),
        lambda u: stores.history.remove_events(u, case.reference, list(traces.events)),
    )
    assert stores.search.references("sn:a", 10) == stores.search.references("sn:b", 10) == []
    assert stores.cases.file(case.reference).events == (assigned,)
