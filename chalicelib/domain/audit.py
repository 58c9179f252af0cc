"""Audit entries: who saw or changed which case, in what role, when, in which request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.staff import StaffMember


@dataclass(frozen=True)
class AuditEntry:
    reference: str
    actor: str
    role: str
    agency: str
    action: str
    at: dt.datetime
    request_id: str
    # What changed, in words that carry no personal data (a status, an assignee id).
    detail: str | None = None

    @classmethod
    def of(
        cls,
        staff: StaffMember,
        reference: str,
        action: str,
        request_id: str,
        *,
        detail: str | None = None,
        at: dt.datetime | None = None,
    ) -> AuditEntry:
        return cls(
            reference=reference,
            actor=staff.subject,
            role=staff.role,
            agency=staff.agency,
            action=action,
            at=at or dt.datetime.now(dt.UTC),
            request_id=request_id,
            detail=detail,
        )
