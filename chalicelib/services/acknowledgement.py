"""Acknowledging an alert from the link in its e-mail or SMS.

Each link names one delivery, so it acknowledges that delivery, and says who it was.
What it does for the alert as a whole depends on who it was and the channel it came by:

- only the desk that owns the case (routing.Directory.owners: the routed, mandated desk)
  stops the alert's ladder. Anyone else told of it (a foreign liaison, a rung of the
  escalation) is recorded as having seen it, and the ladder goes on;
- an owning desk's e-mail link means "handled": the alert (its whole escalation ladder)
  stops escalating. It reached the contact's own mailbox, and opening it asks first;
- an SMS link means "seen": it is recorded and shown to staff, but an SMS can be read by
  whoever holds the phone (or intercepted), so it does not stop the escalation on its
  own. The contact stops it with the e-mail's link, or by signing in;
- a reply to an alert's SMS with its code (two-way SMS) means what its link means:
  "seen" (`by_sms_reply`), from the contact's own number only;
- a person of the owning desk who works the case (triage, assignment, a note, a status
  change) acknowledges its waiting alerts by doing so (`by_working`).

Every acknowledgement is audited. A forged, expired, used or unknown link gets one and
the same answer, so a link tells nothing about the case it names.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.acknowledgement import (
    InvalidAcknowledgement,
    delivery_hash,
    read_ack_token,
    reply_code_in,
)
from chalicelib.domain.alerts import Channel, DeliveryState, StoredDelivery
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.keyring import Keyring
from chalicelib.domain.response_times import AckSample
from chalicelib.services.access import Caller
from chalicelib.services.outside_ports import NO_METRICS, Metrics
from chalicelib.services.ports import Stores, UnitOfWork

if TYPE_CHECKING:
    from chalicelib.domain.routing import Directory

log = logging.getLogger("homeward.acknowledgement")


@dataclass(frozen=True)
class Acknowledged:
    reference: str
    at: dt.datetime
    # True: the alert stops escalating (an e-mail link); False: recorded as seen (SMS).
    handled: bool
    # How long after the alert (its rung) was raised (the acknowledgement latency metric).
    after_seconds: float = 0.0
    channel: str = "email"
    # Whether it came from the desk that owns the case (only theirs stops the ladder).
    owner: bool = True


def _open(token: str, *, stores: Stores, keys: Keyring, now: dt.datetime):
    """The delivery a link names, if the link is genuine, in date, and not used yet."""
    try:
        claim = read_ack_token(keys, token, now)
    except InvalidAcknowledgement:
        return None
    found = next(
        (
            d
            for d in stores.deliveries.of_case(claim.reference)
            if delivery_hash(d.delivery_id) == claim.delivery_hash
        ),
        None,
    )
    if found is None or found.state != DeliveryState.SENT:
        return None
    return found


def pending(
    token: str, *, stores: Stores, keys: Keyring, now: dt.datetime | None = None
) -> StoredDelivery | None:
    """What an opened link asks about; None for any link that would be refused."""
    return _open(token, stores=stores, keys=keys, now=now or dt.datetime.now(dt.UTC))


def acknowledge(
    token: str,
    *,
    stores: Stores,
    keys: Keyring,
    request_id: str,
    now: dt.datetime | None = None,
) -> Acknowledged | None:
    """Record the acknowledgement a link stands for; None if the link is refused.

    Whether its contact's desk owns the case was recorded on the delivery when it was
    routed: the public function that answers links may not read the directory."""
    now = now or dt.datetime.now(dt.UTC)
    found = _open(token, stores=stores, keys=keys, now=now)
    if found is None:
        return None
    return _record(found, stores=stores, request_id=request_id, now=now, how="")


def _record(
    found: StoredDelivery, *, stores: Stores, request_id: str, now: dt.datetime, how: str
) -> Acknowledged | None:
    """A delivery's acknowledgement by its contact, from outside (a link, an SMS reply):
    "handled" for an owning desk's e-mail, "seen" otherwise; None if it was used already."""
    delivery = found.delivery
    owner = delivery.owner
    handled = owner and delivery.channel == Channel.EMAIL
    uow = stores.unit_of_work()
    stores.deliveries.acknowledge(uow, found.reference, found.delivery_id, now)
    if handled:
        stores.alerts.acknowledge(
            uow, found.reference, delivery.alert.root, delivery.contact_id, now
        )
        _sample(uow, found.reference, delivery.alert.root, delivery.agency, stores=stores, now=now)
    stores.audit.add(
        uow,
        AuditEntry(
            reference=found.reference,
            actor=delivery.contact_id,
            role="contact",
            agency=delivery.agency,
            action="acknowledge" if handled else "acknowledge-seen",
            at=now,
            request_id=request_id,
            detail=f"{delivery.alert.purpose} by {delivery.channel}{how}",
        ),
    )
    try:
        uow.commit()
    except (Refused, Conflict):
        return None  # used at the same moment by another tap
    log.info(
        "alert %s acknowledged (%s) by %s",
        delivery.alert.alert_id,
        "handled" if handled else "seen",
        delivery.contact_id,
    )
    return Acknowledged(
        reference=found.reference,
        at=now,
        handled=handled,
        after_seconds=max(0.0, (now - delivery.alert.created_at).total_seconds()),
        channel=str(delivery.channel),
        owner=owner,
    )


# -- a reply to an alert's SMS ----------------------------------------------------------


def by_sms_reply(
    sender: str,
    text: str,
    *,
    stores: Stores,
    request_id: str,
    now: dt.datetime | None = None,
    metrics: Metrics = NO_METRICS,
) -> Acknowledged | None:
    """A contact answers an alert's SMS with its code: the same "seen" as its link.

    It counts only from the number the directory has now for an active contact reached
    by SMS, with the code of an SMS sent to that contact, while its link would still
    work. Anything else (another number, another code, other words, an SMS answered
    already) is ignored: counted (SmsRepliesIgnored) and logged by reason, never with
    the number or the words."""
    now = now or dt.datetime.now(dt.UTC)
    found, reason = _replied_to(sender, text, stores=stores, now=now)
    acknowledged = None
    if found is not None:
        acknowledged = _record(found, stores=stores, request_id=request_id, now=now, how=" reply")
        reason = "answered already"
    if acknowledged is None:
        log.info("SMS reply ignored: %s", reason)
        metrics.add("SmsRepliesIgnored", channel=str(Channel.SMS))
        return None
    metrics.add("SmsRepliesAcknowledged", channel=str(Channel.SMS))
    return acknowledged


def _replied_to(
    sender: str, text: str, *, stores: Stores, now: dt.datetime
) -> tuple[StoredDelivery | None, str]:
    """The SMS delivery a reply answers, or None and why not (words for the log)."""
    code = reply_code_in(text)
    if code is None:
        return None, "not a code"
    contacts = [
        c
        for c in stores.directory.read().contacts
        if c.active and Channel.SMS in c.channels and c.phone == sender.strip()
    ]
    if not contacts:
        return None, "not a contact's number"
    for contact in contacts:
        answered = stores.deliveries.replied(contact.contact_id, code, now)
        if answered is None:
            continue
        reference, delivery_id = answered
        found = next(
            (d for d in stores.deliveries.of_case(reference) if d.delivery_id == delivery_id),
            None,
        )
        if (
            found is not None
            and found.delivery.channel == Channel.SMS
            and found.delivery.contact_id == contact.contact_id
        ):
            if found.state != DeliveryState.SENT:
                return None, "answered already"
            return found, ""
    return None, "no alert of that contact has that code"


def _sample(
    uow: UnitOfWork, reference: str, root: str, agency: str, *, stores: Stores, now: dt.datetime
) -> None:
    """The time to acknowledge, for the statistics: once per alert, when it still waits
    (a later acknowledgement of an alert stopped already counts nothing)."""
    found = next((w for w in stores.alerts.waiting_of(reference) if w.alert.purpose == root), None)
    if found is not None:
        stores.statistics.record_acknowledgement(
            uow, AckSample.of(agency, found.alert.created_at, now, late=found.level > 0)
        )


# -- in the console ------------------------------------------------------------------


class NotYours(Exception):
    """No alert by that name is addressed to this person, or it was acknowledged already."""


def addressed_to(
    staff_email: str | None, deliveries: Iterable[StoredDelivery], directory: Directory
) -> list[StoredDelivery]:
    """The deliveries of a case sent to the person's own address (their contact in the
    directory has their verified e-mail), not yet acknowledged: theirs to acknowledge."""
    if not staff_email:
        return []
    mine = []
    for stored in deliveries:
        contact = directory.contact(stored.delivery.contact_id)
        if (
            stored.state == DeliveryState.SENT
            and contact is not None
            and (contact.email or "").lower() == staff_email.lower()
        ):
            mine.append(stored)
    return mine


def acknowledge_in_console(
    caller: Caller,
    reference: str,
    delivery_id: str,
    *,
    stores: Stores,
    directory: Directory,
    now: dt.datetime | None = None,
) -> Acknowledged:
    """A signed-in person acknowledges an alert sent to them: "handled", whichever
    channel it came by, because signing in (password and TOTP) is who they are, which
    holding a phone is not. Stops the alert's escalation if they are of the desk that
    owns the case, else records that they saw it; audited, on the timeline."""
    from chalicelib.services.access import event, refuse, visible_case

    now = now or dt.datetime.now(dt.UTC)
    case = visible_case(caller, reference, "acknowledge", stores)
    chosen = [
        d
        for d in addressed_to(caller.staff.email, case.deliveries, directory)
        if d.delivery_id == delivery_id
    ]
    if not chosen:
        refuse(caller, reference, "acknowledge", stores, NotYours())
    delivery = chosen[0].delivery
    alert = delivery.alert
    # Every channel of that alert to that contact: the SMS as well as the e-mail.
    same = [
        d
        for d in addressed_to(caller.staff.email, case.deliveries, directory)
        if d.delivery.contact_id == delivery.contact_id and d.delivery.alert.root == alert.root
    ]
    owner = delivery.agency in directory.owners(alert)
    action = "acknowledge" if owner else "acknowledge-seen"
    uow = stores.unit_of_work()
    for stored in same:
        stores.deliveries.acknowledge(uow, reference, stored.delivery_id, now)
    if owner:
        stores.alerts.acknowledge(uow, reference, alert.root, delivery.contact_id, now)
        _sample(uow, reference, alert.root, delivery.agency, stores=stores, now=now)
    stores.audit.add(uow, caller.entry(reference, action, detail=f"{alert.purpose} in the console"))
    stores.history.add_event(uow, reference, event(caller, action, now, purpose=alert.purpose))
    try:
        uow.commit()
    except (Refused, Conflict):
        raise NotYours() from None
    log.info("alert %s acknowledged in the console by %s", alert.alert_id, caller.staff.subject)
    return Acknowledged(
        reference=reference,
        at=now,
        handled=owner,
        after_seconds=max(0.0, (now - alert.created_at).total_seconds()),
        channel=str(delivery.channel),
        owner=owner,
    )


def by_working(
    caller: Caller,
    reference: str,
    action: str,
    *,
    uow: UnitOfWork,
    stores: Stores,
    now: dt.datetime,
) -> int:
    """A person of the owning desk works the case (`action`: triage or another status
    change, an assignment, a note): its waiting alerts are acknowledged by that, in the
    same unit of work as the change, each audited as such. The number acknowledged."""
    waiting = stores.alerts.waiting_of(reference)
    if not waiting:
        return 0
    directory = stores.directory.read()
    mine = [w for w in waiting if caller.staff.agency in directory.owners(w.alert)]
    for found in mine:
        alert = found.alert
        stores.alerts.acknowledge(uow, reference, alert.root, caller.staff.subject, now)
        stores.statistics.record_acknowledgement(
            uow, AckSample.of(caller.staff.agency, alert.created_at, now, late=found.level > 0)
        )
        stores.audit.add(
            uow,
            caller.entry(
                reference,
                "acknowledge",
                detail=f"{alert.purpose} by working the case ({action})",
                at=now,
            ),
        )
    return len(mine)
