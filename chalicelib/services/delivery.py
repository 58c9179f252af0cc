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
from dataclasses import dataclass
from typing import Protocol

from chalicelib.adapters.dynamo import Repository, alert_from_item
from chalicelib.adapters.queue import DeliveryQueue
from chalicelib.domain.alerts import PermanentSendError, TransientSendError
from chalicelib.domain.messages import render_email, render_sms

log = logging.getLogger("homeward.delivery")

# Longer than a send takes, shorter than the queue's visibility timeout (60 s), so a
# redelivered message finds the lease of a dead sender expired.
LEASE_SECONDS = 45
# Must match maxReceiveCount of the delivery queue's redrive policy in infra/template.yaml.
MAX_ATTEMPTS = 5
# A pending delivery untouched for this long has lost its queue message: send it again.
STALE_AFTER = dt.timedelta(minutes=5)


class EmailSender(Protocol):
    def send(self, to: str, subject: str, text: str, *, html: str | None = None) -> str: ...


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> str: ...


class RetryLater(Exception):
    """The delivery is not done; let the queue bring the message back."""


@dataclass(frozen=True)
class Channels:
    email: EmailSender
    sms: SmsSender
    # The acknowledgement link of one delivery: (reference, delivery id, now) -> URL.
    ack_link: Callable[[str, str, dt.datetime], str]


def deliver(
    reference: str,
    delivery_id: str,
    *,
    attempt: int,
    repository: Repository,
    channels: Channels,
    now: dt.datetime | None = None,
) -> str:
    """Send one delivery; return what became of it. Raises RetryLater to be retried."""
    now = now or dt.datetime.now(dt.UTC)
    claim = repository.claim_delivery(reference, delivery_id, now, LEASE_SECONDS)
    if claim.outcome == "missing":
        log.error("delivery %s/%s does not exist; dropping the message", reference, delivery_id)
        return "missing"
    if claim.outcome == "done":
        return "already settled"
    if claim.outcome == "busy":
        raise RetryLater("another sender holds the lease")

    delivery = claim.delivery or {}
    alert = alert_from_item(delivery)
    ack = channels.ack_link(reference, delivery_id, now)
    try:
        if delivery["channel"] == "sms":
            message_id = channels.sms.send(
                delivery["address"], render_sms(alert, delivery["language"], ack)
            )
        else:
            case = repository.get_case(reference)
            if case is None:
                raise PermanentSendError("case not found")
            email = render_email(alert, case, delivery["language"], ack)
            message_id = channels.email.send(
                delivery["address"], email.subject, email.text, html=email.html
            )
    except TransientSendError as exc:
        if attempt >= MAX_ATTEMPTS:
            # Parked: the queue moves the message to the dead-letter queue, and the
            # delivery stays visible as failed instead of being swept up again.
            repository.mark_failed(reference, delivery_id, f"gave up: {exc}", now)
            log.error("delivery %s/%s parked after %d attempts", reference, delivery_id, attempt)
        else:
            repository.release_delivery(reference, delivery_id, str(exc), now)
            log.warning("delivery %s/%s failed for now: %s", reference, delivery_id, exc)
        raise RetryLater(str(exc)) from exc
    except PermanentSendError as exc:
        repository.mark_failed(reference, delivery_id, str(exc), now)
        log.error("delivery %s/%s refused: %s", reference, delivery_id, exc)
        return "failed"
    if not repository.mark_sent(reference, delivery_id, message_id, now):
        log.warning("delivery %s/%s was settled by another sender", reference, delivery_id)
    log.info("delivery %s/%s sent", reference, delivery_id)
    return "sent"


def requeue_stale(
    *, repository: Repository, queue: DeliveryQueue, now: dt.datetime | None = None
) -> int:
    """Queue again the deliveries whose message was lost (pending, or leased and abandoned)."""
    now = now or dt.datetime.now(dt.UTC)
    stale = repository.deliveries_in_state("pending", before=now - STALE_AFTER)
    stale += repository.deliveries_in_state("sending", before=now - STALE_AFTER)
    pairs = [(d["reference"], d["delivery_id"]) for d in stale]
    if pairs:
        queue.enqueue(pairs)
        log.warning("queued %d stale deliveries again", len(pairs))
    return len(pairs)


def undelivered(*, repository: Repository, limit: int = 200) -> list[dict]:
    """Deliveries that failed for good or were parked after their last attempt."""
    return [
        {
            "reference": d["reference"],
            "delivery_id": d["delivery_id"],
            "contact_id": d["contact_id"],
            "channel": d["channel"],
            "attempts": int(d.get("attempts", 0)),
            "last_error": d.get("last_error"),
            "failed_at": d.get("updated_at"),
        }
        for d in repository.deliveries_in_state("failed", limit=limit)
    ]


def retry(
    reference: str,
    delivery_id: str,
    *,
    repository: Repository,
    queue: DeliveryQueue,
    now: dt.datetime | None = None,
) -> bool:
    """Send a failed delivery again (a coordinator's decision); False if it was not failed."""
    now = now or dt.datetime.now(dt.UTC)
    if not repository.retry_failed(reference, delivery_id, now):
        return False
    queue.enqueue([(reference, delivery_id)])
    return True
