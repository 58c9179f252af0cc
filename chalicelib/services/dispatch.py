"""From an alert to its deliveries: routing rules applied, one queue message per delivery."""

from __future__ import annotations

import datetime as dt
import logging

from chalicelib.adapters.dynamo import Repository
from chalicelib.adapters.queue import DeliveryQueue
from chalicelib.config import Settings
from chalicelib.domain.alerts import Alert
from chalicelib.services.directory import DirectoryCache

log = logging.getLogger("homeward.dispatch")


def dispatch(
    alert: Alert,
    *,
    repository: Repository,
    queue: DeliveryQueue,
    directory: DirectoryCache,
    settings: Settings,
    now: dt.datetime | None = None,
) -> int:
    """Record the alert's deliveries and queue them; safe to repeat for the same alert.

    On a repeat (a replayed stream record) the deliveries already exist and are queued
    again: the sender skips what was already sent, so a repeat costs a message, not an
    alert sent twice.
    """
    now = now or dt.datetime.now(dt.UTC)
    current = directory.current()
    deliveries = current.route(alert)
    if not deliveries:
        # Routing falls back to the coordinators: nobody means there is no coordinator.
        log.error(
            "alert %s reached nobody: the directory has no active coordinator", alert.alert_id
        )
        raise RuntimeError("no contact to alert")
    created = repository.create_deliveries(deliveries, now)
    queue.enqueue([(alert.reference, d.delivery_id) for d in deliveries])
    if alert.level == 0:
        # Intake set the deployment's default time to acknowledge; a rule may ask sooner
        # or later. Escalations are scheduled with their rules by the escalation schedule.
        urgent, normal = settings.escalate_urgent_after, settings.escalate_normal_after
        due = alert.created_at + current.acknowledge_within(alert, urgent=urgent, normal=normal)
        if due != alert.acknowledge_by(urgent, normal):
            repository.reschedule_acknowledgement(alert, due)
    log.info(
        "alert %s: %d deliveries %s",
        alert.alert_id,
        len(deliveries),
        "queued" if created else "queued again",
    )
    return len(deliveries)
