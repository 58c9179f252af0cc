"""Coordinators keep the contacts and routing rules: checked, versioned and audited.

A change is refused when it would make an alert reach nobody that reached someone
before (a rule or rung left without a reachable contact, the last coordinator gone).
Problems that were already there do not block an unrelated change: a directory being
filled in one contact at a time is incomplete on the way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.alerts import REPORT_RECEIVED, Alert, Delivery
from chalicelib.domain.contacts import Contact
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.routing import Directory, Problem, RoutingRule
from chalicelib.services.access import DIRECTORY_TRAIL, Caller, require_role
from chalicelib.services.ports import DirectoryStore, Stores

log = logging.getLogger("homeward.directory")

_ATTEMPTS = 3


class DirectoryChanged(Exception):
    """Someone else changed the directory since it was read, again and again."""


class ChangeRefused(Exception):
    """The change would leave alerts reaching nobody; `problems` says where."""

    def __init__(self, found: list[Problem]) -> None:
        self.problems = [str(p) for p in found]
        super().__init__("; ".join(self.problems))
        # The same, for a page to word in its reader's language.
        self.found = found


class NotInDirectory(Exception):
    pass


def _coordinator(caller: Caller, action: str, stores: Stores) -> None:
    require_role(caller, caller.staff.is_coordinator, DIRECTORY_TRAIL, action, stores)


def read(caller: Caller, *, stores: Stores) -> Directory:
    """The directory for a coordinator; the read is audited (it holds staff's addresses)."""
    _coordinator(caller, "read-directory", stores)
    stores.audit.record([caller.entry(DIRECTORY_TRAIL, "read-directory")])
    return stores.directory.read()


def contact_list(caller: Caller, *, stores: Stores) -> dict:
    """Every contact, with the directory's version and what is wrong with it."""
    current = read(caller, stores=stores)
    contacts = sorted(current.contacts, key=lambda c: c.contact_id)
    return {
        "contacts": contacts,
        "version": current.version,
        "problems": sorted(current.problems()),
    }


def contact_entry(caller: Caller, contact_id: str, *, stores: Stores) -> dict:
    """One contact, with the routing rules that name it at any rung."""
    current = read(caller, stores=stores)
    contact = current.contact(contact_id)
    if contact is None:
        raise NotInDirectory(contact_id)
    return {**contact.model_dump(), "rules": current.rules_naming(contact_id)}


def rule_list(caller: Caller, *, stores: Stores) -> dict:
    current = read(caller, stores=stores)
    rules = sorted(current.rules, key=lambda r: r.rule_id)
    return {"rules": rules, "version": current.version, "problems": sorted(current.problems())}


def rule_entry(caller: Caller, rule_id: str, *, stores: Stores) -> RoutingRule:
    rule = read(caller, stores=stores).rule(rule_id)
    if rule is None:
        raise NotInDirectory(rule_id)
    return rule


def audit_trail(caller: Caller, *, stores: Stores):
    """Who read or changed the directory, for auditors; reading it is recorded too."""
    require_role(caller, caller.staff.reads_audit, DIRECTORY_TRAIL, "read-audit", stores)
    trail = stores.audit.trail(DIRECTORY_TRAIL)
    stores.audit.record([caller.entry(DIRECTORY_TRAIL, "read-audit")])
    return trail


def _change(
    caller: Caller,
    action: str,
    subject: str,
    edit: Callable[[Directory], tuple[Directory, dict]],
    *,
    stores: Stores,
) -> tuple[Directory, Directory]:
    """Apply `edit` to the current directory, check it, and write it as the next version.

    `edit` returns the changed directory and what to write; on a concurrent change the
    directory is read and checked again, so the check always holds for what is written.
    Returns the directory before and after.
    """
    _coordinator(caller, action, stores)
    for attempt in range(_ATTEMPTS):
        current = stores.directory.read()
        changed, writes = edit(current)
        introduced = sorted(changed.problem_list() - current.problem_list(), key=str)
        if introduced:
            raise ChangeRefused(introduced)
        uow = stores.unit_of_work()
        version = stores.directory.change(uow, current.version, **writes)
        stores.audit.add(uow, caller.entry(DIRECTORY_TRAIL, action, detail=subject))
        try:
            uow.commit()
        except (Refused, Conflict) as exc:
            if isinstance(exc, Refused) and "version" not in exc.names:
                raise
            log.info("directory changed under %s; reading it again", action)
            time.sleep(0.05 * (attempt + 1))
            continue
        return current, Directory(changed.contacts, changed.rules, version)
    raise DirectoryChanged


def put_contact(caller: Caller, contact: Contact, *, stores: Stores) -> bool:
    """Add or replace a contact; True if it is new."""
    before, _ = _change(
        caller,
        "put-contact",
        contact.contact_id,
        lambda d: (d.with_contact(contact), {"contacts": [contact]}),
        stores=stores,
    )
    return before.contact(contact.contact_id) is None


def remove_contact(caller: Caller, contact_id: str, *, stores: Stores) -> None:
    def edit(directory: Directory):
        if directory.contact(contact_id) is None:
            raise NotInDirectory(contact_id)
        return directory.without_contact(contact_id), {"removed_contacts": [contact_id]}

    _change(caller, "remove-contact", contact_id, edit, stores=stores)


def put_rule(caller: Caller, rule: RoutingRule, *, stores: Stores) -> bool:
    """Add or replace a routing rule; True if it is new."""
    before, _ = _change(
        caller,
        "put-rule",
        rule.rule_id,
        lambda d: (d.with_rule(rule), {"rules": [rule]}),
        stores=stores,
    )
    return before.rule(rule.rule_id) is None


def remove_rule(caller: Caller, rule_id: str, *, stores: Stores) -> None:
    def edit(directory: Directory):
        if directory.rule(rule_id) is None:
            raise NotInDirectory(rule_id)
        return directory.without_rule(rule_id), {"removed_rules": [rule_id]}

    _change(caller, "remove-rule", rule_id, edit, stores=stores)


class DirectoryCache:
    """The directory as routing reads it, re-read at most once per `ttl` seconds by a warm
    Lambda: a coordinator's change reaches the dispatcher within that time."""

    def __init__(self, store: DirectoryStore, ttl: float) -> None:
        self._store = store
        self._ttl = ttl
        self._directory = Directory()
        self._loaded_at = float("-inf")

    def forget(self) -> None:
        """Read the directory again next time (this process just changed it)."""
        self._loaded_at = float("-inf")

    def current(self) -> Directory:
        if time.monotonic() - self._loaded_at > self._ttl:
            self._directory = self._store.read()
            self._loaded_at = time.monotonic()
        return self._directory


# -- who a report would reach ------------------------------------------------------------


@dataclass(frozen=True)
class Rung:
    """One rung of a preview: 0 the first alert, then each escalation (the last one the
    coordinators'), with the deliveries it would make."""

    level: int
    deliveries: list[Delivery]
    # How long after the first alert this rung is alerted, if nobody acknowledged by then
    # (None where the caller gave no default waits).
    after: dt.timedelta | None = None


def preview(
    caller: Caller,
    *,
    oblast: str,
    category: str,
    urgent: bool,
    country: str | None = None,
    stores: Stores,
    waits: tuple[int, int] | None = None,
) -> list[Rung]:
    """Who a report with this oblast, category and urgency would reach, rung by rung, if
    its reporter let it be shared with everyone: the routing itself, not a copy of it.

    With `waits` (the stage's default seconds an urgent and any other alert may wait
    unacknowledged), each rung says when it comes: the escalation schedule's own wait,
    the strictest matching rule's, once per rung."""
    current = read(caller, stores=stores)
    now = dt.datetime.now(dt.UTC)
    alert = Alert(
        reference=PREVIEW,
        purpose=REPORT_RECEIVED,
        category=category,
        oblast=oblast,
        urgent=urgent,
        last_known_country=country,
        created_at=now,
        consent=ConsentGiven.everything(),
    )
    last = current.ladder_length(alert) + 1
    wait = None
    if waits is not None:
        wait = current.acknowledge_within(alert, urgent=waits[0], normal=waits[1])
    return [
        Rung(
            level,
            current.route(alert.escalated(level, now) if level else alert),
            None if wait is None else wait * level,
        )
        for level in range(last + 1)
    ]


# Never a real reference (references have no 0, 1, I, L, O or U).
PREVIEW = "HW-0000-0000"
