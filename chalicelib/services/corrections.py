"""Correcting a field of a report: for a reason, versioned, audited, and matched again.

The corrected report is checked by the same rules as a new one (domain/corrections.py).
The change, its event on the timeline (with the value before and after, and the reason)
and its audit entry (the field's name only: an audit trail carries no personal data) are
one unit of work, guarded by the case's version. A correction of who the child is adds
the case's new search and blocking keys in the same unit, then runs matching again.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.casefile import ShownCase
from chalicelib.domain.corrections import IDENTITY, NotCorrectable, corrected, shown_value, value_of
from chalicelib.domain.matching import blocking_keys
from chalicelib.domain.report import identity_of
from chalicelib.domain.search import index_keys
from chalicelib.services import matching
from chalicelib.services.access import Caller, changeable_case
from chalicelib.services.casework import StaleVersion, _commit, _read_back, event
from chalicelib.services.ports import Stores

__all__ = ["NotCorrectable", "correct_case"]


def correct_case(
    caller: Caller,
    reference: str,
    *,
    field: str,
    value: str | None,
    reason: str,
    version: int,
    stores: Stores,
    now: dt.datetime | None = None,
) -> ShownCase:
    now = now or dt.datetime.now(dt.UTC)
    # Nobody corrects what the reporter's consent keeps from them.
    case = changeable_case(caller, reference, "correct", stores, now)
    if case.version != version:
        raise StaleVersion(case.version)
    if not reason.strip():
        raise NotCorrectable("reason")
    before = case.case.report
    after = corrected(before, field, value)
    if value_of(after, field) == value_of(before, field):
        return _read_back(caller, reference, stores)
    identity = identity_of(after)
    search_keys: list[str] = []
    match_keys: list[str] = []
    if field in IDENTITY:
        search_keys = index_keys(identity)
        match_keys = blocking_keys(identity) if after.consent.tracing else []
    uow = stores.unit_of_work()
    stores.history.correct(
        uow, reference, version=version, report=after, now=now, added_keys=(search_keys, match_keys)
    )
    detail = {
        "field": field,
        "before": shown_value(value_of(before, field)),
        "after": shown_value(value_of(after, field)),
        "reason": reason.strip(),
    }
    stores.history.add_event(uow, reference, event(caller, "correct", now, **detail))
    stores.audit.add(uow, caller.entry(reference, "correct", detail=field, at=now))
    stores.search.add(uow, reference, case.case.received_at, search_keys)
    stores.match_index.add(uow, reference, case.case.received_at, match_keys)
    _commit(uow)
    if field in IDENTITY:
        # The pairs the corrected child makes with earlier reports, for review.
        matching.rematch(reference, after, stores=stores, now=now)
    return _read_back(caller, reference, stores)
