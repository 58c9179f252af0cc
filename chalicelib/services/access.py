"""Who may do what, checked once for every staff use case, and every refusal recorded.

A case outside a caseworker's mandate is "not found", exactly as a case that does not
exist, and costs the same to answer: the mandate is checked on a small projection of the
case item before anything else is read, so the time to answer cannot tell them apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.casefile import CaseFile
from chalicelib.domain.staff import StaffMember
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.access")

# The audit trail of directory changes is kept under this name, beside the cases'.
DIRECTORY_TRAIL = "directory"


class CaseNotFound(Exception):
    pass


class NotPermitted(Exception):
    """The role does not do this at all (not about one case: that would be CaseNotFound)."""


@dataclass(frozen=True)
class Caller:
    """Who asks, in which request: every staff use case is given one."""

    staff: StaffMember
    request_id: str

    def entry(
        self,
        reference: str,
        action: str,
        *,
        detail: str | None = None,
        at: dt.datetime | None = None,
    ) -> AuditEntry:
        return AuditEntry.of(self.staff, reference, action, self.request_id, detail=detail, at=at)


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
    """The case, if the caller may work it (role and mandate); else a recorded refusal."""
    works_cases(caller, reference, action, stores)
    if caller.staff.role != "coordinator":
        agencies = stores.mandates.agencies_of([reference]).get(reference)
        if agencies is None or not caller.staff.may_read_case(agencies):
            refuse(caller, reference, action, stores, CaseNotFound())
    case = stores.cases.file(reference)
    if case is None:
        refuse(caller, reference, action, stores, CaseNotFound())
    return case
