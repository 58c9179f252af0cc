"""Staff working cases: every read and change checked against the mandate and audited.

Every change is one unit of work: the case (guarded by the version it was based on), its
note, the statistics, and the audit entry that records it, so a change without its trace
cannot happen. Reads are recorded before they are answered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.domain.alerts import Alert
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import Case
from chalicelib.domain.casefile import Filters, Page, ShownCase
from chalicelib.domain.disclosure import BreakGlassReason, Disclosure, view_for
from chalicelib.domain.erasure import mentions_reporter
from chalicelib.domain.errors import Refused
from chalicelib.domain.progress import reporter_stage
from chalicelib.domain.webhooks import WebhookEvent
from chalicelib.domain.workflow import Status, check_move, is_open
from chalicelib.services import acknowledgement
from chalicelib.services.access import (
    Caller,
    CaseNotFound,
    NotPermitted,
    changeable_case,
    event,
    refuse,
    require_role,
    shown_to,
    visible_case,
    works_cases,
)
from chalicelib.services.colleagues import check_assignee
from chalicelib.services.ports import Stores

__all__ = ["CaseNotFound", "NotPermitted", "StaleVersion", "event"]


class StaleVersion(Exception):
    def __init__(self, current: int | None) -> None:
        super().__init__(current)
        self.current = current


def _commit(uow: Any) -> None:
    try:
        uow.commit()
    except Refused as refused:
        if "case" in refused.names:
            current = refused.old.get("case", {}).get("version")
            raise StaleVersion(int(current) if current is not None else None) from None
        if "other" in refused.names:
            raise CaseNotFound() from None
        raise


def list_cases(
    caller: Caller,
    filters: Filters,
    *,
    stores: Stores,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    works_cases(caller, "cases", "list", stores)
    agency = None if caller.staff.is_coordinator else caller.staff.agency
    page = stores.case_index.list(filters, agency=agency, limit=limit, cursor=cursor)
    # A row says only what and where, but a reader the consent keeps out must not learn
    # even that the case exists.
    page.cases = [
        c for c in page.cases if view_for(caller.recipient, c.consent).level > Disclosure.NOTHING
    ]
    stores.audit.record([caller.entry(c.reference, "list") for c in page.cases])
    return page


def read_case(caller: Caller, reference: str, *, stores: Stores) -> ShownCase:
    case = visible_case(caller, reference, "read", stores)
    # Written before the case is returned: a read that cannot be recorded is not served.
    stores.audit.record([caller.entry(reference, "read")])
    return shown_to(caller, case, stores)


def move_case(
    caller: Caller,
    reference: str,
    *,
    target: Status,
    note: str,
    version: int,
    stores: Stores,
    now: dt.datetime | None = None,
) -> ShownCase:
    now = now or dt.datetime.now(dt.UTC)
    case = changeable_case(caller, reference, "status", stores, now)
    if case.version != version:
        raise StaleVersion(case.version)
    check_move(case.status, target, note)
    uow = stores.unit_of_work()
    stores.cases.change(uow, reference, version=version, now=now, status=target)
    stores.cases.add_note(
        uow,
        reference,
        author=caller.staff.subject,
        text=f"{case.status} → {target}: {note}",
        at=now,
        names_reporter=mentions_reporter(note, case.case.report),
    )
    stores.statistics.count_move(uow, case.status, target, sorted(case.agencies))
    if case.assignee and is_open(case.status) != is_open(target):
        # Set aside, it leaves its assignee's open caseload; reopened, it comes back.
        leaves = not is_open(target)
        stores.statistics.count_caseload(
            uow,
            case.assignee if leaves else None,
            None if leaves else case.assignee,
            sorted(case.agencies),
        )
    stores.audit.add(uow, caller.entry(reference, "status", detail=f"{case.status} -> {target}"))
    _owe_webhook(uow, case.case, target, version + 1, now, stores)
    acknowledgement.by_working(caller, reference, "status", uow=uow, stores=stores, now=now)
    _commit(uow)
    return _read_back(caller, reference, stores)


def _owe_webhook(uow: Any, case: Case, target: Status, version: int, now, stores: Stores):
    """A partner's report that moves to another coarse stage owes the partner a webhook
    (if it registered an address), written with the move: the outbox of webhooks."""
    if case.partner is None or reporter_stage(target) == reporter_stage(case.status):
        return
    partner = stores.partners.get(case.partner)
    if partner is None or not partner.active or not partner.webhook_url:
        return
    event = WebhookEvent.of_move(
        case.partner, case.reference, case.external_id, reporter_stage(target), version, now
    )
    stores.webhooks.add(uow, event)


def assign_case(
    caller: Caller,
    reference: str,
    *,
    assignee: str,
    version: int,
    stores: Stores,
    now: dt.datetime | None = None,
) -> ShownCase:
    now = now or dt.datetime.now(dt.UTC)
    case = changeable_case(caller, reference, "assign", stores, now)
    if case.version != version:
        raise StaleVersion(case.version)
    # A named colleague who may work this case, never free text.
    check_assignee(caller, reference, case.agencies, assignee, stores=stores)
    uow = stores.unit_of_work()
    stores.cases.change(uow, reference, version=version, now=now, assignee=assignee)
    if is_open(case.status) and case.assignee != assignee:
        stores.statistics.count_caseload(uow, case.assignee, assignee, sorted(case.agencies))
    stores.audit.add(uow, caller.entry(reference, "assign", detail=assignee, at=now))
    stores.history.add_event(uow, reference, event(caller, "assign", now, assignee=assignee))
    acknowledgement.by_working(caller, reference, "assign", uow=uow, stores=stores, now=now)
    _commit(uow)
    return _read_back(caller, reference, stores)


def add_note(
    caller: Caller, reference: str, *, text: str, stores: Stores, now: dt.datetime | None = None
) -> ShownCase:
    now = now or dt.datetime.now(dt.UTC)
    case = changeable_case(caller, reference, "note", stores, now)
    uow = stores.unit_of_work()
    stores.cases.require(uow, reference)
    stores.cases.add_note(
        uow,
        reference,
        author=caller.staff.subject,
        text=text,
        at=now,
        names_reporter=mentions_reporter(text, case.case.report),
    )
    stores.audit.add(uow, caller.entry(reference, "note", at=now))
    acknowledgement.by_working(caller, reference, "note", uow=uow, stores=stores, now=now)
    _commit(uow)
    return _read_back(caller, reference, stores)


def link_cases(
    caller: Caller,
    reference: str,
    *,
    other: str,
    version: int,
    stores: Stores,
    now: dt.datetime | None = None,
) -> ShownCase:
    """Link two related cases both ways; only the first case's version is checked."""
    now = now or dt.datetime.now(dt.UTC)
    works_cases(caller, reference, "link", stores)
    if other == reference:
        refuse(caller, reference, "link", stores, CaseNotFound())
    changeable_case(caller, reference, "link", stores, now)
    changeable_case(caller, other, "link", stores, now)
    uow = stores.unit_of_work()
    stores.cases.change(uow, reference, version=version, now=now, link=other)
    stores.cases.link_back(uow, other, reference, now)
    stores.audit.add(uow, caller.entry(reference, "link", detail=other, at=now))
    stores.audit.add(uow, caller.entry(other, "link", detail=reference, at=now))
    stores.history.add_event(uow, reference, event(caller, "link", now, other=other))
    stores.history.add_event(uow, other, event(caller, "link", now, other=reference))
    _commit(uow)
    return _read_back(caller, reference, stores)


def _read_back(caller: Caller, reference: str, stores: Stores) -> ShownCase:
    """The case as it stands after a change (the change's audit entry covers this read)."""
    case = stores.cases.file(reference)
    assert case is not None
    return shown_to(caller, case, stores)


# How long a coordinator's break-glass access lasts.
BREAK_GLASS = dt.timedelta(minutes=30)


def break_glass(
    caller: Caller,
    reference: str,
    *,
    reason: BreakGlassReason,
    explanation: str,
    stores: Stores,
    now: dt.datetime | None = None,
) -> ShownCase:
    """A coordinator who must see what the disclosure policy withholds, says why: one of
    the reasons, and in their own words.

    The access lasts BREAK_GLASS. The reason goes to the case's audit trail and to the
    auditors (an outbox alert routed to the directory's auditors); the words, which often
    name the child, are a sealed note of the case, and go with it.
    """
    now = now or dt.datetime.now(dt.UTC)
    require_role(caller, caller.staff.is_coordinator, reference, "break-glass", stores)
    case = visible_case(caller, reference, "break-glass", stores)
    uow = stores.unit_of_work()
    stores.cases.grant_break_glass(uow, reference, caller.staff.subject, now + BREAK_GLASS)
    stores.cases.add_note(
        uow,
        reference,
        author=caller.staff.subject,
        text=f"Break-glass: {explanation}",
        at=now,
        names_reporter=mentions_reporter(explanation, case.case.report),
    )
    stores.audit.add(uow, caller.entry(reference, "break-glass", detail=str(reason), at=now))
    who = caller.staff.name or caller.staff.subject
    stores.alerts.add(
        uow,
        Alert.break_glass(
            case.case,
            f"{who} ({caller.staff.agency})",
            str(reason),
            now,
            request_id=caller.request_id,
        ),
        name="break-glass-alert",
    )
    _commit(uow)
    return _read_back(caller, reference, stores)


def audit_trail(caller: Caller, reference: str, *, stores: Stores) -> list[AuditEntry]:
    require_role(caller, caller.staff.reads_audit, reference, "read-audit", stores)
    if stores.cases.get(reference) is None:
        refuse(caller, reference, "read-audit", stores, CaseNotFound())
    trail = stores.audit.trail(reference)
    stores.audit.record([caller.entry(reference, "read-audit")])
    return trail


def statistics(caller: Caller, *, stores: Stores) -> dict[str, Any]:
    """Counts only, no case in them. A caseworker's cover the agency's mandate; a
    coordinator's and an auditor's, every case; a provider's, none."""
    require_role(caller, not caller.staff.provides_services, "statistics", "statistics", stores)
    if caller.staff.is_caseworker:
        return stores.statistics.read(caller.staff.agency)
    return stores.statistics.read()
