"""The statistics a coordinator answers for: the counts of cases (casework.statistics),
and how fast alerts are acknowledged, per desk and per week (median and 90th
percentile), how many wait past their deadline, and each person's open caseload.

A caseworker's cover their own desk; a coordinator's and an auditor's, every desk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.casefile import week_of
from chalicelib.domain.response_times import TimeToAcknowledge, summarised
from chalicelib.domain.routing import Directory
from chalicelib.services import casework
from chalicelib.services.access import Caller
from chalicelib.services.ports import Stores

WEEKS = 12
_EVER = dt.timedelta(days=3650)


@dataclass(frozen=True)
class Responses:
    by_desk: list[TimeToAcknowledge]
    by_week: list[TimeToAcknowledge]
    # Per desk: alerts of cases it owns that wait past their deadline (they escalate).
    overdue: dict[str, int]
    # Per person (staff subject): open cases assigned to them.
    open_by_person: dict[str, int]


def last_weeks(now: dt.datetime, weeks: int = WEEKS) -> list[str]:
    return [week_of(now - dt.timedelta(weeks=back)) for back in range(weeks - 1, -1, -1)]


def statistics(
    caller: Caller, *, stores: Stores, directory: Directory, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The counts of cases and the response figures, as one answer."""
    now = now or dt.datetime.now(dt.UTC)
    counts = casework.statistics(caller, stores=stores)
    desk = caller.staff.agency if caller.staff.is_caseworker else None
    samples = [
        s
        for s in stores.statistics.acknowledgements(last_weeks(now))
        if desk is None or s.agency == desk
    ]
    overdue: dict[str, int] = {}
    for waiting in stores.alerts.waiting(due_before=now + _EVER, limit=1_000_000):
        if waiting.level == 0 and waiting.due > now:
            continue
        for owner in directory.owners(waiting.alert):
            if desk is None or owner == desk:
                overdue[owner] = overdue.get(owner, 0) + 1
    responses = Responses(
        by_desk=summarised(samples, "agency"),
        by_week=summarised(samples, "week"),
        overdue=dict(sorted(overdue.items())),
        open_by_person=counts.pop("assignee", {}),
    )
    return {**counts, "responses": responses}
