"""The console's inbox: what waits to be acknowledged first, then the cases newest first.

Both parts go through the same rules as the staff API's list (the mandate, the consent,
an audit entry for every row shown), and both cost a bounded number of calls whatever
the table holds: the waiting alerts are one query of the `by_state` index, earliest
deadline first (an urgent report's deadline is the soonest), and each part's rows are one
batch read of their cases and first alerts (CaseIndex.briefs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.casefile import CaseBrief, Filters
from chalicelib.domain.disclosure import Disclosure, view_for
from chalicelib.domain.list_filters import ChildFilters
from chalicelib.services import casework
from chalicelib.services.access import Caller
from chalicelib.services.ports import Stores

# How many unacknowledged alerts, of every case, are read to find the caller's own: the
# bound of the inbox's first part (a caseworker sees those in their agency's mandate).
WAITING_READ = 50
WAITING_SHOWN = 10


@dataclass(frozen=True)
class Inbox:
    waiting: list[CaseBrief]
    rows: list[CaseBrief]
    cursor: str | None


def inbox(
    caller: Caller,
    filters: Filters,
    *,
    stores: Stores,
    limit: int = 25,
    cursor: str | None = None,
    now: dt.datetime | None = None,
    child: ChildFilters | None = None,
) -> Inbox:
    """`child` narrows both parts further by what only the report says (the child's sex
    and age) and by flags: rows read and left out leave a page shorter, not wrong."""
    now = now or dt.datetime.now(dt.UTC)
    child = child or ChildFilters()
    page = casework.list_cases(caller, filters, stores=stores, limit=limit, cursor=cursor)
    found = stores.case_index.briefs([c.reference for c in page.cases])
    waiting: list[CaseBrief] = []
    alerted: set[str] = set()
    if cursor is None:
        waiting, alerted = _waiting(caller, filters, stores, now)
    rows = [
        shown(caller, still_waiting(found[c.reference], alerted))
        for c in page.cases
        if c.reference in found
    ]
    today = now.date()
    return Inbox(
        waiting=[b for b in waiting if child.admits(b, today)],
        rows=[b for b in rows if child.admits(b, today)],
        cursor=page.cursor,
    )


def still_waiting(brief: CaseBrief, alerted: set[str]) -> CaseBrief:
    """A row reads "waiting" while any alert of its case does (a brief tells how the first
    alert stands: acknowledged, while the alert of a confirmed match nobody has seen yet
    escalates)."""
    if brief.summary.reference not in alerted or brief.acknowledgement == "waiting":
        return brief
    return dataclasses.replace(brief, acknowledgement="waiting", acknowledged_at=None)


def _waiting(
    caller: Caller, filters: Filters, stores: Stores, now: dt.datetime
) -> tuple[list[CaseBrief], set[str]]:
    """The caller's cases whose alert nobody acknowledged, narrowed like the list below,
    and the references of every case with such an alert among those read."""
    alerts = stores.alerts.waiting(due_before=now + dt.timedelta(days=3650), limit=WAITING_READ)
    references = [
        w.alert.reference
        for w in alerts
        if view_for(caller.recipient, w.alert.consent).level > Disclosure.NOTHING
    ]
    references = list(dict.fromkeys(references))
    found = stores.case_index.briefs(references)
    mine = [
        shown(caller, still_waiting(found[r], set(references)))
        for r in references
        if r in found
        and (caller.staff.is_coordinator or caller.staff.agency in found[r].agencies)
        and filters.admits(found[r].summary)
    ][:WAITING_SHOWN]
    stores.audit.record([caller.entry(b.summary.reference, "list") for b in mine])
    return mine, set(references)


def shown(caller: Caller, brief: CaseBrief) -> CaseBrief:
    """A row without the report (the child's name) for whom the consent lets know only
    that the report exists."""
    level = view_for(caller.recipient, brief.summary.consent).level
    return brief if level == Disclosure.DETAILS else dataclasses.replace(brief, report=None)
