"""From an alert to its deliveries: routing rules applied, one queue message per delivery."""

from __future__ import annotations

import datetime as dt
import logging
import time

from chalicelib.adapters.dynamo import Repository
from chalicelib.adapters.queue import DeliveryQueue
from chalicelib.domain.alerts import Alert
from chalicelib.domain.contacts import Contact
from chalicelib.domain.routing import route

log = logging.getLogger("homeward.dispatch")


class ContactDirectory:
    """The contact list, re-read at most once per `ttl` seconds by a warm Lambda."""

    def __init__(self, repository: Repository, ttl: float) -> None:
        self._repository = repository
        self._ttl = ttl
        self._contacts: list[Contact] = []
        self._loaded_at = float("-inf")

    def contacts(self) -> list[Contact]:
        if time.monotonic() - self._loaded_at > self._ttl:
            self._contacts = self._repository.contacts()
            self._loaded_at = time.monotonic()
        return self._contacts


def dispatch(
    alert: Alert,
    *,
    repository: Repository,
    queue: DeliveryQueue,
    directory: ContactDirectory,
    now: dt.datetime | None = None,
) -> int:
    """Record the alert's deliveries and queue them; safe to repeat for the same alert.

    On a repeat (a replayed stream record) the deliveries already exist and are queued
    again: the sender skips what was already sent, so a repeat costs a message, not an
    alert sent twice.
    """
    now = now or dt.datetime.now(dt.UTC)
    deliveries = route(alert, directory.contacts())
    if not deliveries:
        # route() always includes coordinators; no delivery means the directory is empty.
        log.error("alert %s reached nobody: the contact directory is empty", alert.alert_id)
        raise RuntimeError("no contact to alert")
    created = repository.create_deliveries(deliveries, now)
    queue.enqueue([(alert.reference, d.delivery_id) for d in deliveries])
    log.info(
        "alert %s: %d deliveries %s",
        alert.alert_id,
        len(deliveries),
        "queued" if created else "queued again",
    )
    return len(deliveries)
