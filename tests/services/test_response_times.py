"""Statistics of how alerts are answered: median and 90th percentile time to acknowledge
per desk and per week, alerts waiting past their deadline, open cases per person."""

import copy
import datetime as dt

from helpers import EXAMPLE_REPORT

from chalicelib.domain.colleagues import Colleague
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.report import Report
from chalicelib.domain.response_times import AckSample, percentile, summarised
from chalicelib.domain.staff import StaffMember
from chalicelib.services import casework, intake, response_times
from chalicelib.services.access import Caller

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # a Wednesday
COORDINATOR = Caller(
    StaffMember("c-1", "coordinator", "UA-NIB"),
    "r1",
    Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True),
)
SOUTH = Caller(
    StaffMember("w-1", "caseworker", "UA-OMBUDSMAN"),
    "r2",
    Recipient(OrganisationKind.NATIONAL_AUTHORITY),
)


def test_median_and_90th_percentile_are_the_nearest_rank_ones():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile([float(n) for n in range(1, 21)], 0.9) == 18.0
    rows = summarised(
        [AckSample("A", "2026-W48", s, s > 100) for s in (60, 120, 600)]
        + [AckSample("B", "2026-W49", 30, False)],
        "agency",
    )
    assert [(r.key, r.count, r.median_seconds, r.p90_seconds, r.late) for r in rows] == [
        ("A", 3, 120, 600, 2),
        ("B", 1, 30, 30, 0),
    ]


def submit(pipeline, n: int, at: dt.datetime) -> str:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["urgent"] = True
    body["child"]["given_name"] = f"Дитина{n}"
    submission = intake.Submission(Report.model_validate(body), str(n), None, f"192.0.2.{n}")
    receipt, _ = intake.submit(
        submission, stores=pipeline.stores, settings=pipeline.settings, now=at
    )
    pipeline.run_until_idle(at)
    return receipt.reference


def test_times_per_desk_and_week_overdue_and_open_cases_per_person(pipeline, db):
    pipeline.stores.staff.record(Colleague.of(SOUTH.staff, T0))
    # Three Kherson cases worked by the southern desk: after 4, 10 and (escalated) 20 min.
    minutes = {0: 4, 1: 10, 2: 20}
    cases = {n: submit(pipeline, n, T0) for n in minutes}
    for n, after in minutes.items():
        if after < 16:
            casework.add_note(
                SOUTH,
                cases[n],
                text="on it",
                stores=pipeline.stores,
                now=T0 + dt.timedelta(minutes=after),
            )
    assert pipeline.tick(T0 + dt.timedelta(minutes=16)) == 1  # the third escalates
    version = db.cases[cases[2]].case.version
    casework.assign_case(
        SOUTH,
        cases[2],
        assignee="w-1",
        version=version,
        stores=pipeline.stores,
        now=T0 + dt.timedelta(minutes=20),
    )
    # A fourth, the next week, nobody answers: it waits past its deadline.
    submit(pipeline, 3, T0 + dt.timedelta(days=7))
    now = T0 + dt.timedelta(days=7, minutes=30)

    found = response_times.statistics(
        COORDINATOR, stores=pipeline.stores, directory=pipeline.directory.current(), now=now
    )["responses"]
    (desk,) = found.by_desk
    assert (desk.key, desk.count, desk.median_seconds, desk.p90_seconds, desk.late) == (
        "UA-OMBUDSMAN",
        3,
        600,
        1200,
        1,
    )
    assert [(w.key, w.count) for w in found.by_week] == [("2026-W48", 3)]
    assert found.overdue == {"UA-NIB": 1, "UA-OMBUDSMAN": 1}
    assert found.open_by_person == {"w-1": 1}

    # A caseworker's cover their own desk.
    own = response_times.statistics(
        SOUTH, stores=pipeline.stores, directory=pipeline.directory.current(), now=now
    )["responses"]
    assert [d.key for d in own.by_desk] == ["UA-OMBUDSMAN"] and own.overdue == {"UA-OMBUDSMAN": 1}

    # Closed, the case leaves its assignee's open caseload.
    version = db.cases[cases[2]].case.version
    casework.move_case(
        SOUTH,
        cases[2],
        target="triaged",
        note="seen",
        version=version,
        stores=pipeline.stores,
        now=now,
    )
    casework.move_case(
        SOUTH,
        cases[2],
        target="closed",
        note="home",
        version=version + 1,
        stores=pipeline.stores,
        now=now,
    )
    again = response_times.statistics(
        COORDINATOR, stores=pipeline.stores, directory=pipeline.directory.current(), now=now
    )["responses"]
    assert again.open_by_person == {}
