"""Staff working cases: every read and change checked against the mandate and audited.

A case outside a caseworker's mandate is "not found", exactly as a case that does not
exist, so that asking cannot reveal whether a child has been reported.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.caseload import Caseload, Filters, Page, StaleVersion
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.workflow import check_move

__all__ = ["CaseNotFound", "NotPermitted", "StaleVersion"]


class CaseNotFound(Exception):
    pass


class NotPermitted(Exception):
    """The role does not do this at all (not about one case: that would be CaseNotFound)."""


def _works_cases(staff: StaffMember) -> None:
    if not staff.works_cases:
        raise NotPermitted()


def _visible(staff: StaffMember, reference: str, caseload: Caseload) -> dict[str, Any]:
    """The case, if the staff member's mandate covers it; else CaseNotFound, as if absent."""
    case = caseload.case_file(reference)
    if case is None or not staff.may_read_case(case["agencies"]):
        raise CaseNotFound()
    return case


def workable_case(staff: StaffMember, reference: str, caseload: Caseload) -> dict[str, Any]:
    """A case the staff member may work (role and mandate), for other services to check."""
    _works_cases(staff)
    return _visible(staff, reference, caseload)


def list_cases(
    staff: StaffMember,
    filters: Filters,
    *,
    caseload: Caseload,
    request_id: str,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    _works_cases(staff)
    agency = None if staff.role == "coordinator" else staff.agency
    page = caseload.list_cases(filters, agency=agency, limit=limit, cursor=cursor)
    caseload.record([AuditEntry.of(staff, c["reference"], "list", request_id) for c in page.cases])
    return page


def read_case(
    staff: StaffMember, reference: str, *, caseload: Caseload, request_id: str
) -> dict[str, Any]:
    _works_cases(staff)
    case = _visible(staff, reference, caseload)
    # Written before the case is returned: a read that cannot be recorded is not served.
    caseload.record([AuditEntry.of(staff, reference, "read", request_id)])
    return case


def move_case(
    staff: StaffMember,
    reference: str,
    *,
    target: str,
    note: str,
    version: int,
    caseload: Caseload,
    request_id: str,
) -> dict[str, Any]:
    _works_cases(staff)
    case = _visible(staff, reference, caseload)
    if case["version"] != version:
        raise StaleVersion(case["version"])
    check_move(case["status"], target, note)
    entry = AuditEntry.of(
        staff, reference, "status", request_id, detail=f"{case['status']} -> {target}"
    )
    caseload.move(
        reference, version=version, current=case["status"], target=target, note=note, entry=entry
    )
    return read_back(reference, caseload)


def assign_case(
    staff: StaffMember,
    reference: str,
    *,
    assignee: str,
    version: int,
    caseload: Caseload,
    request_id: str,
) -> dict[str, Any]:
    _works_cases(staff)
    _visible(staff, reference, caseload)
    entry = AuditEntry.of(staff, reference, "assign", request_id, detail=assignee)
    caseload.assign(reference, version=version, assignee=assignee, entry=entry)
    return read_back(reference, caseload)


def add_note(
    staff: StaffMember, reference: str, *, text: str, caseload: Caseload, request_id: str
) -> dict[str, Any]:
    _works_cases(staff)
    _visible(staff, reference, caseload)
    caseload.add_note(
        reference, text=text, entry=AuditEntry.of(staff, reference, "note", request_id)
    )
    return read_back(reference, caseload)


def link_cases(
    staff: StaffMember,
    reference: str,
    *,
    other: str,
    version: int,
    caseload: Caseload,
    request_id: str,
) -> dict[str, Any]:
    _works_cases(staff)
    if other == reference:
        raise CaseNotFound()
    _visible(staff, reference, caseload)
    _visible(staff, other, caseload)
    entries = [
        AuditEntry.of(staff, reference, "link", request_id, detail=other),
        AuditEntry.of(staff, other, "link", request_id, detail=reference),
    ]
    caseload.link(reference, other, version=version, entries=entries)
    return read_back(reference, caseload)


def read_back(reference: str, caseload: Caseload) -> dict[str, Any]:
    """The case as it stands after a change (the change's audit entry covers this read)."""
    case = caseload.case_file(reference)
    assert case is not None
    return case


def audit_trail(
    staff: StaffMember, reference: str, *, caseload: Caseload, request_id: str
) -> list[dict[str, Any]]:
    if not staff.reads_audit:
        raise NotPermitted()
    if caseload.case_file(reference) is None:
        raise CaseNotFound()
    trail = caseload.audit_trail(reference)
    caseload.record([AuditEntry.of(staff, reference, "read-audit", request_id)])
    return trail


def statistics(staff: StaffMember, *, caseload: Caseload) -> dict[str, Any]:
    # Counts only, no case in them: every role may see them.
    return caseload.statistics()
