"""Who may do what, checked once for every staff use case, and every refusal recorded.

A case outside a caseworker's mandate is "not found", exactly as a case that does not
exist, and costs the same to answer: the mandate is checked on a small projection of the
case item before anything else is read, so the time to answer cannot tell them apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.casefile import CaseEvent, CaseFile, ShownCase, shown
from chalicelib.domain.disclosure import Disclosure, OrganisationKind, Recipient, View, view_for
from chalicelib.domain.staff import StaffMember
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.access")

# The audit trail of directory changes is kept under this name, beside the cases'.
DIRECTORY_TRAIL = "directory"


# An agency the directory does not know: treated as an authority outside the intake desk.
UNKNOWN_AGENCY = Recipient(OrganisationKind.LAW_ENFORCEMENT)


class CaseNotFound(Exception):
    pass


class NotPermitted(Exception):
    """The role does not do this at all (not about one case: that would be CaseNotFound)."""


@dataclass(frozen=True)
class Caller:
    """Who asks, in which request: every staff use case is given one."""

    staff: StaffMember
    request_id: str
    # What the caller's agency is, for the disclosure policy (from the directory); an
    # agency the directory does not know sees only what was shared with everyone.
    recipient: Recipient = UNKNOWN_AGENCY

    def entry(
        self,
        reference: str,
        action: str,
        *,
        detail: str | None = None,
        at: dt.datetime | None = None,
    ) -> AuditEntry:
        return AuditEntry.of(self.staff, reference, action, self.request_id, detail=detail, at=at)


def event(caller: Caller, action: str, at: dt.datetime, **detail: str | None) -> CaseEvent:
    """A step of a case's timeline, as the caller took it."""
    return CaseEvent(at, caller.staff.subject, caller.staff.agency, action, detail)


def refuse(caller: Caller, reference: str, action: str, stores: Stores, error: Exception):
    """Record a refused request in the audit trail and the log, then raise `error`."""
    log.warning(
        "refused %s on %s for %s (%s)", action, reference, caller.staff.subject, caller.staff.role
    )
    stores.audit.record([caller.entry(reference, "refused", detail=action)])
    raise error


def require_role(caller: Caller, allowed: bool, reference: str, action: str, stores: Stores):
    if not allowed:
        refuse(caller, reference, action, stores, NotPermitted())


def works_cases(caller: Caller, reference: str, action: str, stores: Stores) -> None:
    require_role(caller, caller.staff.works_cases, reference, action, stores)


def visible_case(caller: Caller, reference: str, action: str, stores: Stores) -> CaseFile:
    """The case, if the caller may work it (role, mandate and the reporter's consent);
    else a recorded refusal, the same as for a case that does not exist."""
    works_cases(caller, reference, action, stores)
    if not caller.staff.is_coordinator:
        agencies = stores.mandates.agencies_of([reference]).get(reference)
        if agencies is None or not caller.staff.may_read_case(agencies):
            refuse(caller, reference, action, stores, CaseNotFound())
    case = stores.cases.file(reference)
    if case is None or view_of(caller, case).level == Disclosure.NOTHING:
        refuse(caller, reference, action, stores, CaseNotFound())
    return case


def changeable_case(
    caller: Caller, reference: str, action: str, stores: Stores, now: dt.datetime | None = None
) -> CaseFile:
    """The case, if the caller may change it: changing a case needs its full detail (a
    reader who may only know that it exists is refused, and the refusal recorded)."""
    case = visible_case(caller, reference, action, stores)
    if view_of(caller, case, now).level < Disclosure.DETAILS:
        refuse(caller, reference, action, stores, NotPermitted())
    return case


def view_of(caller: Caller, case: CaseFile, now: dt.datetime | None = None) -> View:
    """What the caller may see of the case: the disclosure policy, or everything while a
    break-glass access the caller asked for lasts."""
    if broke_glass(caller, case, now):
        return View.everything()
    return view_for(caller.recipient, case.case.consent)


def broke_glass(caller: Caller, case: CaseFile, now: dt.datetime | None = None) -> bool:
    """Whether a break-glass access the caller asked for on this case still lasts."""
    until = case.break_glass.get(caller.staff.subject)
    return until is not None and until > (now or dt.datetime.now(dt.UTC))


def shown_to(caller: Caller, case: CaseFile, stores: Stores | None = None) -> ShownCase:
    """The case as the caller may see it; with `stores`, without the links (and their
    steps on the timeline) to cases the reporter's consent keeps from the caller: a link
    would tell that such a report exists."""
    if stores is not None and case.links:
        hidden = {r for r in case.links if not may_know_of(caller, r, stores)}
        if hidden:
            case = replace(
                case,
                links=case.links - hidden,
                events=tuple(e for e in case.events if e.detail.get("other") not in hidden),
            )
    return shown(case, view_of(caller, case))


def may_know_of(caller: Caller, reference: str, stores: Stores) -> bool:
    """Whether the reporter's consent lets the caller's agency know the case exists (a
    match or a link names it)."""
    consent = stores.cases.consent_of(reference)
    if consent is None:
        return False
    return view_for(caller.recipient, consent).level > Disclosure.NOTHING
