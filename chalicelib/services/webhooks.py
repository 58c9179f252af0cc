"""Webhooks to partners: queued off the table's stream, signed, posted, retried, parked.

A status change of a partner's report that moves it to another coarse stage writes a
webhook item with the change (services/casework.py). The table's stream hands each new
one to `queue_event`; the webhook queue hands it to `deliver`, which signs the body with
the partner's secret and a timestamp and posts it. A failed attempt is tried again after
an exponential backoff (the queue message's visibility); the last one (MAX_ATTEMPTS)
marks the webhook failed, where coordinators see it and may send it again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.partners import SIGNATURE_HEADER, sign_webhook, webhook_secrets
from chalicelib.domain.webhooks import (
    EVENT,
    MAX_ATTEMPTS,
    UnsafeWebhookTarget,
    WebhookEvent,
    WebhookSendError,
    WebhookState,
    describe_failure,
)
from chalicelib.services.access import Caller, NotPermitted, refuse
from chalicelib.services.outside_ports import WebhookPoster, WebhookQueue
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.webhooks")

# The audit trail of coordinators' looks at and retries of failed webhooks.
WEBHOOKS_TRAIL = "webhooks"


class WebhookNotFound(Exception):
    """No failed webhook by that partner and id."""


@dataclass(frozen=True)
class Attempt:
    outcome: str  # "delivered" | "retry" | "failed" | "done" (nothing left to do)
    attempts: int = 0


def queue_event(event: WebhookEvent, *, queue: WebhookQueue) -> None:
    """A new webhook item (off the stream): into the webhook queue."""
    queue.enqueue([(event.client_id, event.event_id)])


def headers_for(secrets: list[bytes], event: WebhookEvent, body: bytes, now: dt.datetime) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Homeward-Webhooks/1",
        "Homeward-Event": EVENT,
        "Homeward-Delivery": event.event_id,
        SIGNATURE_HEADER: sign_webhook(secrets, int(now.timestamp()), body),
    }


def deliver(
    client_id: str,
    event_id: str,
    *,
    stores: Stores,
    settings: Settings,
    poster: WebhookPoster,
    now: dt.datetime | None = None,
) -> Attempt:
    """One attempt at one webhook; safe to repeat (a delivered one is not posted again)."""
    now = now or dt.datetime.now(dt.UTC)
    found = stores.webhooks.get(client_id, event_id)
    if found is None or found.state != "pending":
        return Attempt("done")
    partner = stores.partners.get(client_id)
    attempts = found.attempts + 1
    last = attempts >= MAX_ATTEMPTS
    error: str | None = None
    if partner is None or not partner.active or not partner.webhook_url:
        error, last = "no webhook address registered", True
    else:
        body = found.event.body()
        master = settings.keyring(Purpose.WEBHOOKS).signer
        headers = headers_for(webhook_secrets(master, partner, now), found.event, body, now)
        try:
            status = poster.post(partner.webhook_url, body, headers)
            error = None if 200 <= status < 300 else describe_failure(status)
        except UnsafeWebhookTarget:
            # Not a place we post to (a name that now resolves inside a network): trying
            # again would not change that, a coordinator must.
            error, last = "address refused (not public)", True
        except WebhookSendError as failure:
            error = describe_failure(None, failure.kind)
    if error is None:
        stores.webhooks.delivered(found.event, attempts, now)
        log.info("webhook %s delivered at attempt %d", event_id, attempts)
        return Attempt("delivered", attempts)
    stores.webhooks.attempt_failed(found.event, attempts, error, now, last=last)
    if last:
        log.error("webhook %s failed for good after %d attempts: %s", event_id, attempts, error)
        return Attempt("failed", attempts)
    log.warning("webhook %s attempt %d failed: %s", event_id, attempts, error)
    return Attempt("retry", attempts)


# -- coordinators see failures and send them again ------------------------------------------


def failed_webhooks(caller: Caller, *, stores: Stores) -> list[WebhookState]:
    if not caller.staff.is_coordinator:
        refuse(caller, WEBHOOKS_TRAIL, "list-failed", stores, NotPermitted())
    stores.audit.record([caller.entry(WEBHOOKS_TRAIL, "list-failed")])
    return stores.webhooks.failed()


def retry_webhook(
    caller: Caller,
    client_id: str,
    event_id: str,
    *,
    stores: Stores,
    queue: WebhookQueue,
    now: dt.datetime | None = None,
) -> WebhookState:
    """A failed webhook queued again, with MAX_ATTEMPTS fresh attempts (audited)."""
    if not caller.staff.is_coordinator:
        refuse(caller, WEBHOOKS_TRAIL, "retry", stores, NotPermitted())
    now = now or dt.datetime.now(dt.UTC)
    found = stores.webhooks.retry(client_id, event_id, now)
    if found is None:
        raise WebhookNotFound()
    stores.audit.record([caller.entry(WEBHOOKS_TRAIL, "retry", detail=f"{client_id} {event_id}")])
    queue.enqueue([(client_id, event_id)])
    return found
