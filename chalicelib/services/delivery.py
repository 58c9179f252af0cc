"""Sending one delivery, exactly once where the channel allows it, and never silently lost.

A delivery is claimed (pending -> sending, with a lease) before it is sent and settled
after (sending -> sent). A queue message seen twice finds it settled and stops. If the
sender dies between sending and settling, the lease runs out and the delivery is sent
once more: at most one repeat, never a loss.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from chalicelib.domain.acknowledgement import VALIDITY as ACK_VALIDITY
from chalicelib.domain.acknowledgement import new_reply_code
from chalicelib.domain.alerts import (
    UNSETTLED,
    Alert,
    Channel,
    Delivery,
    DeliveryState,
    PermanentSendError,
    StoredDelivery,
    TransientSendError,
    WaitingAlert,
)
from chalicelib.domain.messages import render_email, render_sms
from chalicelib.domain.routing import resolve
from chalicelib.services.access import Caller, require_role
from chalicelib.services.outside_ports import (
    NO_METRICS,
    DeliveryQueue,
    EmailSender,
    Metrics,
    SmsSender,
)
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.delivery")

# Longer than a send takes, shorter than the queue's visibility timeout (180 s), so a
# redelivered message finds the lease of a dead sender expired.
LEASE_SECONDS = 45
# Must match maxReceiveCount of the delivery queue's redrive policy in infra/template.yaml.
MAX_ATTEMPTS = 5
# A pending delivery untouched for this long has lost its queue message: send it again.
STALE_AFTER = dt.timedelta(minutes=5)
# Why a delivery was not sent when the directory no longer has a way to its contact.
NOT_REACHABLE = "contact no longer reachable: removed, switched off or without this channel"


class RetryLater(Exception):
    """The delivery is not done; let the queue bring the message back."""


class NotFailed(Exception):
    """No failed delivery by that name: nothing to send again."""


class ConsentWithdrawn(Exception):
    """The reporter withdrew their consent: this recipient may not be sent the alert."""


@dataclass(frozen=True)
class Channels:
    email: EmailSender
    sms: SmsSender
    # The acknowledgement link of one delivery: (reference, delivery id, now) -> URL.
    ack_link: Callable[[str, str, dt.datetime], str]
    # One GSM-7 part in Latin letters per SMS (the deployment's SMS policy).
    sms_one_part: bool = False
    # Whether a contact can answer an SMS with its code (the stage has a two-way number).
    sms_replies: bool = False


def deliver(
    reference: str,
    delivery_id: str,
    *,
    attempt: int,
    stores: Stores,
    channels: Channels,
    now: dt.datetime | None = None,
    metrics: Metrics = NO_METRICS,
) -> str:
    """Send one delivery; return what became of it. Raises RetryLater to be retried."""
    now = now or dt.datetime.now(dt.UTC)
    deliveries = stores.deliveries
    claim = deliveries.claim(reference, delivery_id, now, LEASE_SECONDS)
    if claim.outcome == "missing":
        log.error("delivery %s/%s does not exist; dropping the message", reference, delivery_id)
        return "missing"
    if claim.outcome == "done":
        return "already settled"
    if claim.outcome == "busy":
        raise RetryLater("another sender holds the lease")

    assert claim.delivery is not None
    # Resolved against the directory now, not when it was queued: a corrected address
    # is the one used, and a contact removed or switched off meanwhile is not sent it.
    delivery = resolve(
        claim.delivery.delivery, stores.directory.contact(claim.delivery.delivery.contact_id)
    )
    if delivery is None:
        deliveries.settle(reference, delivery_id, DeliveryState.FAILED, now, error=NOT_REACHABLE)
        log.error("delivery %s/%s: its contact is no longer reachable", reference, delivery_id)
        metrics.add("DeliveriesFailed", channel=claim.delivery.delivery.channel)
        next_rung_now(claim.delivery.delivery.alert, stores=stores, now=now)
        return "failed"
    ack = channels.ack_link(reference, delivery_id, now)
    try:
        if delivery.channel == Channel.SMS:
            reply = (
                _reply_code(delivery, delivery_id, stores=stores, now=now)
                if channels.sms_replies
                else None
            )
            text = render_sms(
                delivery.alert,
                delivery.language,
                ack,
                one_part=channels.sms_one_part,
                reply=reply,
            )
            message_id = channels.sms.send(delivery.address, text)
        else:
            case = stores.cases.get(reference)
            if case is None:
                raise PermanentSendError("case not found")
            email = render_email(
                delivery.alert, case, delivery.language, ack, disclosure=delivery.disclosure
            )
            message_id = channels.email.send(
                delivery.address,
                email.subject,
                email.text,
                html=email.html,
                about=(reference, delivery_id),
            )
    except TransientSendError as exc:
        if attempt >= MAX_ATTEMPTS:
            # Parked: the queue moves the message to the dead-letter queue, and the
            # delivery stays visible as failed instead of being swept up again.
            error = f"gave up: {exc}"
            deliveries.settle(
                reference, delivery_id, DeliveryState.FAILED, now, error=error, to=delivery
            )
            log.error("delivery %s/%s parked after %d attempts", reference, delivery_id, attempt)
            metrics.add("DeliveriesParked", channel=delivery.channel)
        else:
            deliveries.settle(
                reference, delivery_id, DeliveryState.PENDING, now, error=str(exc), to=delivery
            )
            log.warning("delivery %s/%s failed for now: %s", reference, delivery_id, exc)
        raise RetryLater(str(exc)) from exc
    except PermanentSendError as exc:
        deliveries.settle(
            reference, delivery_id, DeliveryState.FAILED, now, error=str(exc), to=delivery
        )
        log.error("delivery %s/%s refused: %s", reference, delivery_id, exc)
        metrics.add("DeliveriesFailed", channel=delivery.channel)
        next_rung_now(delivery.alert, stores=stores, now=now)
        return "failed"
    if not deliveries.settle(
        reference, delivery_id, DeliveryState.SENT, now, message_id=message_id, to=delivery
    ):
        log.warning("delivery %s/%s was settled by another sender", reference, delivery_id)
    log.info("delivery %s/%s sent", reference, delivery_id)
    metrics.add("DeliveriesSent", channel=delivery.channel)
    return "sent"


def _reply_code(
    delivery: Delivery, delivery_id: str, *, stores: Stores, now: dt.datetime
) -> str | None:
    """A code the contact may answer this SMS with, kept (before the SMS leaves) for as
    long as its link works; None in the unheard-of case that none is free for them."""
    for _ in range(10):
        code = new_reply_code()
        if stores.deliveries.expect_reply(
            delivery.contact_id,
            code,
            delivery.alert.reference,
            delivery_id,
            until=now + ACK_VALIDITY,
            now=now,
        ):
            return code
    log.warning("delivery %s: no free reply code, sent without one", delivery_id)
    return None


def next_rung_now(alert: Alert, *, stores: Stores, now: dt.datetime) -> bool:
    """A recipient of this rung cannot be reached: the escalation schedule alerts the next
    rung (at last the coordinators) on its next run instead of when the time runs out.
    False if the alert no longer waits on that rung (acknowledged, or escalated)."""
    root = replace(alert, purpose=alert.root)
    moved = stores.alerts.reschedule(WaitingAlert(root, level=alert.level, due=now), now)
    if moved:
        log.warning("alert %s: a recipient is unreachable, next rung now", alert.alert_id)
    return moved


def refused_after_sending(
    reference: str,
    delivery_id: str,
    reason: str,
    *,
    stores: Stores,
    now: dt.datetime | None = None,
    metrics: Metrics = NO_METRICS,
) -> bool:
    """A sent message came back (an e-mail bounced, its recipient complained, SES rejected
    it): the delivery fails with the reason coordinators see among the undelivered, and
    the alert goes to its next rung. False if the delivery was not sent (unknown,
    acknowledged meanwhile, or already failed: a repeated event changes nothing)."""
    now = now or dt.datetime.now(dt.UTC)
    if not stores.deliveries.settle(
        reference, delivery_id, DeliveryState.FAILED, now, error=reason, was=DeliveryState.SENT
    ):
        return False
    found = next(
        (d for d in stores.deliveries.of_case(reference) if d.delivery_id == delivery_id), None
    )
    log.error("delivery %s/%s came back: %s", reference, delivery_id, reason)
    if found is not None:
        metrics.add("DeliveriesFailed", channel=found.delivery.channel)
        next_rung_now(found.delivery.alert, stores=stores, now=now)
    return True


def requeue_stale(*, stores: Stores, queue: DeliveryQueue, now: dt.datetime | None = None) -> int:
    """Queue again the deliveries whose message was lost (pending, or leased and abandoned)."""
    now = now or dt.datetime.now(dt.UTC)
    stale = [
        d
        for state in UNSETTLED
        for d in stores.deliveries.in_state(state, before=now - STALE_AFTER)
    ]
    pairs = [(d.reference, d.delivery_id) for d in stale]
    if pairs:
        queue.enqueue(pairs)
        log.warning("queued %d stale deliveries again", len(pairs))
    return len(pairs)


def undelivered(*, stores: Stores, limit: int = 200) -> list[StoredDelivery]:
    """Deliveries that failed for good or were parked after their last attempt."""
    return stores.deliveries.in_state(DeliveryState.FAILED, limit=limit)


class Unreachable(Exception):
    """The directory has no way to this contact any more: correct it, then send again."""


def retry(
    reference: str,
    delivery_id: str,
    *,
    stores: Stores,
    queue: DeliveryQueue,
    now: dt.datetime | None = None,
) -> Delivery | None:
    """Send a failed delivery again (a coordinator's decision), to the contact's address
    as the directory has it now: what it is queued as (the sender resolves it once more
    when it sends); None if it was not failed."""
    now = now or dt.datetime.now(dt.UTC)
    found = next(
        (d for d in stores.deliveries.of_case(reference) if d.delivery_id == delivery_id), None
    )
    if found is None or found.state != DeliveryState.FAILED:
        return None
    consent = stores.cases.consent_of(reference)
    if consent is not None and consent.withdrawn:
        # Deliveries the withdrawal stopped (services/erasure.py) stay stopped: only an
        # agency that still holds the case (the intake desk) may be sent it.
        holders = stores.mandates.agencies_of([reference]).get(reference, frozenset())
        if found.delivery.agency not in holders:
            raise ConsentWithdrawn()
    resolved = resolve(found.delivery, stores.directory.contact(found.delivery.contact_id))
    if resolved is None:
        raise Unreachable()
    if not stores.deliveries.settle(
        reference,
        delivery_id,
        DeliveryState.PENDING,
        now,
        reset_attempts=True,
        was=DeliveryState.FAILED,
        to=resolved,
    ):
        return None
    queue.enqueue([(reference, delivery_id)])
    return resolved


def undelivered_for(caller: Caller, *, stores: Stores) -> list[StoredDelivery]:
    """What a coordinator sees of the deliveries that could not be made."""
    _coordinator(caller, "deliveries", "read-undelivered", stores)
    found = undelivered(stores=stores)
    # Recorded on each case it names, before it is answered, as a list of cases is.
    references = dict.fromkeys(d.reference for d in found)
    stores.audit.record([caller.entry(r, "read-undelivered") for r in references])
    return found


def retry_for(
    caller: Caller, reference: str, delivery_id: str, *, stores: Stores, queue: DeliveryQueue
) -> Delivery:
    """A coordinator's retry of a parked delivery, audited on its case: where it goes."""
    _coordinator(caller, reference, "retry-delivery", stores)
    stores.audit.record([caller.entry(reference, "retry-delivery", detail=delivery_id)])
    resolved = retry(reference, delivery_id, stores=stores, queue=queue)
    if resolved is None:
        raise NotFailed()
    return resolved


@dataclass(frozen=True)
class ResentAll:
    queued: int
    unreachable: int
    withheld: int


def retry_all_for(
    caller: Caller, *, stores: Stores, queue: DeliveryQueue, now: dt.datetime | None = None
) -> ResentAll:
    """A coordinator's "send all again": every undelivered alert, each resolved against
    the directory anew (a corrected address is used), each audited on its case."""
    _coordinator(caller, "deliveries", "retry-delivery", stores)
    failed = undelivered(stores=stores, limit=100_000)
    stores.audit.record(
        [caller.entry(d.reference, "retry-delivery", detail=d.delivery_id) for d in failed]
    )
    queued = unreachable = withheld = 0
    for found in failed:
        try:
            if retry(found.reference, found.delivery_id, stores=stores, queue=queue, now=now):
                queued += 1
        except Unreachable:
            unreachable += 1
        except ConsentWithdrawn:
            withheld += 1
    return ResentAll(queued, unreachable, withheld)


def _coordinator(caller: Caller, reference: str, action: str, stores: Stores) -> None:
    require_role(caller, caller.staff.is_coordinator, reference, action, stores)
