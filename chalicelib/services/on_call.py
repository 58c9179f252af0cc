"""Who is being paged, and for how long: every alert that waits to be acknowledged.

The on-call view lists every waiting alert the person may see (no cap, a page at a
time, with the count): which alert it is, on which rung of its ladder, who was tried by
which channel and when, how long until the next rung, and whether this person may
acknowledge it (an alert sent to their own address, of a case their desk owns:
routing.Directory.owners). "For me" narrows it to the alerts sent to the person;
"my desk" to those of cases their desk owns.

The same rules as every case list: a caseworker sees the cases in their agency's
mandate, nobody sees a case the reporter's consent keeps from them, and every case
shown is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from chalicelib.domain.alerts import Channel, DeliveryState, StoredDelivery, WaitingAlert
from chalicelib.domain.disclosure import Disclosure, view_for
from chalicelib.domain.on_call import Narrowed, Waits, what_waits
from chalicelib.domain.routing import Directory
from chalicelib.services.access import Caller, works_cases
from chalicelib.services.ports import Stores

__all__ = ["Narrowed", "OnCall", "Paged", "Tried", "Waits", "on_call", "what_waits"]

PAGE_SIZE = 25
# Further than any deadline: every waiting alert.
_EVER = dt.timedelta(days=3650)


@dataclass(frozen=True)
class Tried:
    """One delivery of the alert: who, by which channel, on which rung, and when."""

    contact_id: str
    name: str
    channel: Channel
    level: int
    state: DeliveryState
    at: dt.datetime | None


@dataclass(frozen=True)
class Paged:
    """One waiting alert as the on-call view shows it."""

    waiting: WaitingAlert
    what: Waits
    tried: list[Tried]
    # Until the next rung (negative: overdue, the next schedule escalates it).
    seconds_left: float
    # The delivery this person may acknowledge in the console, if any.
    acknowledge: str | None
    for_me: bool
    my_desk: bool

    @property
    def reference(self) -> str:
        return self.waiting.alert.reference

    @property
    def level(self) -> int:
        return self.waiting.level


@dataclass(frozen=True)
class OnCall:
    alerts: list[Paged]
    total: int
    page: int
    pages: int


def on_call(
    caller: Caller,
    *,
    stores: Stores,
    directory: Directory,
    narrowed: Narrowed = Narrowed.EVERYONE,
    page: int = 1,
    now: dt.datetime | None = None,
) -> OnCall:
    """Every waiting alert the caller may see, soonest deadline first, one page of it."""
    now = now or dt.datetime.now(dt.UTC)
    works_cases(caller, "alerts", "on-call", stores)
    waiting = stores.alerts.waiting(due_before=now + _EVER, limit=1_000_000)
    waiting = [
        w
        for w in waiting
        if view_for(caller.recipient, w.alert.consent).level > Disclosure.NOTHING
        and w.alert.kind != "break_glass"
    ]
    if not caller.staff.is_coordinator:
        mandates = stores.mandates.agencies_of(list({w.alert.reference for w in waiting}))
        waiting = [
            w
            for w in waiting
            if caller.staff.may_read_case(mandates.get(w.alert.reference, frozenset()))
        ]
    if narrowed == Narrowed.MY_DESK:
        waiting = [w for w in waiting if caller.staff.agency in directory.owners(w.alert)]
    deliveries: dict[str, list[StoredDelivery]] = {}

    def of_case(reference: str) -> list[StoredDelivery]:
        if reference not in deliveries:
            deliveries[reference] = stores.deliveries.of_case(reference)
        return deliveries[reference]

    if narrowed == Narrowed.ME:
        waiting = [w for w in waiting if _to_me(caller, w, of_case(w.alert.reference), directory)]
    pages = max(1, math.ceil(len(waiting) / PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = waiting[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    stores.audit.record(
        [caller.entry(r, "list") for r in dict.fromkeys(w.alert.reference for w in shown)]
    )
    return OnCall(
        alerts=[_paged(caller, w, of_case(w.alert.reference), directory, now) for w in shown],
        total=len(waiting),
        page=page,
        pages=pages,
    )


def _of_alert(waiting: WaitingAlert, deliveries: list[StoredDelivery]) -> list[StoredDelivery]:
    root = waiting.alert.root
    return [d for d in deliveries if d.delivery.alert.root == root]


def _mine(caller: Caller, stored: StoredDelivery, directory: Directory) -> bool:
    contact = directory.contact(stored.delivery.contact_id)
    email = (caller.staff.email or "").lower()
    return bool(email) and contact is not None and (contact.email or "").lower() == email


def _to_me(
    caller: Caller, waiting: WaitingAlert, deliveries: list[StoredDelivery], directory: Directory
) -> bool:
    return any(_mine(caller, d, directory) for d in _of_alert(waiting, deliveries))


def _paged(
    caller: Caller,
    waiting: WaitingAlert,
    deliveries: list[StoredDelivery],
    directory: Directory,
    now: dt.datetime,
) -> Paged:
    own = _of_alert(waiting, deliveries)
    my_desk = caller.staff.agency in directory.owners(waiting.alert)
    mine = [d for d in own if _mine(caller, d, directory)]
    # Only the owning desk's acknowledgement stops the ladder: the button is theirs.
    acknowledge = next(
        (d.delivery_id for d in mine if d.state == DeliveryState.SENT and my_desk), None
    )
    tried = [
        Tried(
            contact_id=d.delivery.contact_id,
            name=_name(directory, d.delivery.contact_id),
            channel=d.delivery.channel,
            level=d.delivery.alert.level,
            state=d.state,
            at=d.sent_at or d.updated_at,
        )
        for d in sorted(own, key=lambda d: (d.delivery.alert.level, d.delivery.contact_id))
    ]
    return Paged(
        waiting=waiting,
        what=what_waits(waiting),
        tried=tried,
        seconds_left=(waiting.due - now).total_seconds(),
        acknowledge=acknowledge,
        for_me=bool(mine),
        my_desk=my_desk,
    )


def _name(directory: Directory, contact_id: str) -> str:
    contact = directory.contact(contact_id)
    return contact.name if contact else contact_id
