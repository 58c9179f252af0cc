"""Coordinators keep the contacts and routing rules: checked, versioned and audited.

A change is refused when it would make an alert reach nobody that reached someone
before (a rule or rung left without a reachable contact, the last coordinator gone).
Problems that were already there do not block an unrelated change: a directory being
filled in one contact at a time is incomplete on the way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from chalicelib.adapters.caseload import Caseload
from chalicelib.adapters.directory import DirectoryChanged, DirectoryStore
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.contacts import Contact
from chalicelib.domain.routing import Directory, RoutingRule
from chalicelib.domain.staff import StaffMember
from chalicelib.services.casework import NotPermitted

log = logging.getLogger("homeward.directory")

# The audit trail of directory changes is kept under this name, beside the cases'.
AUDIT_REFERENCE = "directory"
_ATTEMPTS = 3


class ChangeRefused(Exception):
    """The change would leave alerts reaching nobody; `problems` says where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class NotInDirectory(Exception):
    pass


def _coordinator(staff: StaffMember) -> None:
    if staff.role != "coordinator":
        raise NotPermitted


def read(
    staff: StaffMember, *, store: DirectoryStore, caseload: Caseload, request_id: str
) -> Directory:
    """The directory for a coordinator; the read is audited (it holds staff's addresses)."""
    _coordinator(staff)
    caseload.record([AuditEntry.of(staff, AUDIT_REFERENCE, "read-directory", request_id)])
    return store.read()


def audit_trail(staff: StaffMember, *, caseload: Caseload, request_id: str) -> list[dict]:
    """Who read or changed the directory, for auditors; reading it is recorded too."""
    if not staff.reads_audit:
        raise NotPermitted
    trail = caseload.audit_trail(AUDIT_REFERENCE)
    caseload.record([AuditEntry.of(staff, AUDIT_REFERENCE, "read-audit", request_id)])
    return trail


def _change(
    staff: StaffMember,
    action: str,
    subject: str,
    edit: Callable[[Directory], tuple[Directory, dict]],
    *,
    store: DirectoryStore,
    caseload: Caseload,
    request_id: str,
) -> tuple[Directory, Directory]:
    """Apply `edit` to the current directory, check it, and write it as the next version.

    `edit` returns the changed directory and what to write; on a concurrent change the
    directory is read and checked again, so the check always holds for what is written.
    Returns the directory before and after.
    """
    _coordinator(staff)
    for attempt in range(_ATTEMPTS):
        current = store.read()
        changed, writes = edit(current)
        introduced = sorted(changed.problems() - current.problems())
        if introduced:
            raise ChangeRefused(introduced)
        entry = AuditEntry.of(staff, AUDIT_REFERENCE, action, request_id, detail=subject)
        try:
            version = store.change(current.version, audit=[caseload.audit_put(entry)], **writes)
        except DirectoryChanged:
            log.info("directory changed under %s; reading it again", action)
            time.sleep(0.05 * (attempt + 1))
            continue
        return current, Directory(changed.contacts, changed.rules, version)
    raise DirectoryChanged


def put_contact(staff: StaffMember, contact: Contact, **adapters) -> bool:
    """Add or replace a contact; True if it is new."""
    before, _ = _change(
        staff,
        "put-contact",
        contact.contact_id,
        lambda d: (d.with_contact(contact), {"contacts": [contact]}),
        **adapters,
    )
    return before.contact(contact.contact_id) is None


def remove_contact(staff: StaffMember, contact_id: str, **adapters) -> None:
    def edit(directory: Directory):
        if directory.contact(contact_id) is None:
            raise NotInDirectory(contact_id)
        return directory.without_contact(contact_id), {"removed_contacts": [contact_id]}

    _change(staff, "remove-contact", contact_id, edit, **adapters)


def put_rule(staff: StaffMember, rule: RoutingRule, **adapters) -> bool:
    """Add or replace a routing rule; True if it is new."""
    before, _ = _change(
        staff,
        "put-rule",
        rule.rule_id,
        lambda d: (d.with_rule(rule), {"rules": [rule]}),
        **adapters,
    )
    return before.rule(rule.rule_id) is None


def remove_rule(staff: StaffMember, rule_id: str, **adapters) -> None:
    def edit(directory: Directory):
        if directory.rule(rule_id) is None:
            raise NotInDirectory(rule_id)
        return directory.without_rule(rule_id), {"removed_rules": [rule_id]}

    _change(staff, "remove-rule", rule_id, edit, **adapters)


class DirectoryCache:
    """The directory as routing reads it, re-read at most once per `ttl` seconds by a warm
    Lambda: a coordinator's change reaches the dispatcher within that time."""

    def __init__(self, store: DirectoryStore, ttl: float) -> None:
        self._store = store
        self._ttl = ttl
        self._directory = Directory()
        self._loaded_at = float("-inf")

    def current(self) -> Directory:
        if time.monotonic() - self._loaded_at > self._ttl:
            self._directory = self._store.read()
            self._loaded_at = time.monotonic()
        return self._directory
