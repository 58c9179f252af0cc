"""From an alert to its deliveries: routing rules applied, one queue message per delivery."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from chalicelib.config import Settings
from chalicelib.domain.alerts import (
    REPORT_RECEIVED,
    UNLADDERED,
    Alert,
    Delivery,
    WaitingAlert,
)
from chalicelib.domain.casefile import Counted
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.errors import Refused
from chalicelib.domain.sms import under_sms_policy
from chalicelib.services.directory import DirectoryCache
from chalicelib.services.outside_ports import DeliveryQueue
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.dispatch")

MAX_WRITES = 100  # one unit of work


class NobodyToAlert(RuntimeError):
    """Routing found nobody, not even a coordinator: the directory is broken."""


def dispatch(
    alert: Alert,
    *,
    stores: Stores,
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
    # What the reporter consents to now, not when the alert was written: a reporter who
    # withdrew after their report was filed, an escalation or a confirmed match of an
    # older alert, all follow the withdrawal (domain/disclosure.py).
    consent = stores.cases.consent_of(alert.reference)
    if consent is not None and consent != alert.consent:
        alert = replace(alert, consent=consent)
    deliveries = under_sms_policy(alert, current.route(alert), settings.sms_for)
    if not deliveries:
        # Routing falls back to the coordinators: nobody means there is no coordinator.
        log.error("alert %s reached nobody: the directory has no coordinator", alert.alert_id)
        raise NobodyToAlert(alert.alert_id)
    if alert.imported:
        # An imported report is told in its batch's digest (services/imports.py): here it
        # only enters the mandate of the agencies it reaches, as any report does.
        _grant(alert, deliveries, stores=stores)
        return 0
    created = _record(alert, deliveries, stores=stores, now=now)
    queue.enqueue([(alert.reference, d.delivery_id) for d in deliveries])
    if alert.level == 0 and alert.kind not in UNLADDERED:
        # Intake set the deployment's default time to acknowledge; a rule may ask sooner
        # or later. Escalations are scheduled with their rules by the escalation schedule.
        urgent, normal = settings.escalate_urgent_after, settings.escalate_normal_after
        default = alert.acknowledge_by(urgent, normal)
        due = alert.created_at + current.acknowledge_within(alert, urgent=urgent, normal=normal)
        if due != default:
            stores.alerts.reschedule(WaitingAlert(alert, level=0, due=default), due)
    log.info(
        "alert %s: %d deliveries %s",
        alert.alert_id,
        len(deliveries),
        "queued" if created else "queued again",
    )
    return len(deliveries)


def _grant(alert: Alert, deliveries: list[Delivery], *, stores: Stores) -> None:
    agencies = sorted({d.agency for d in deliveries if d.disclosure == Disclosure.DETAILS})
    uow = stores.unit_of_work()
    # Guarded by the alert itself: a replayed stream record counts nothing twice.
    stores.alerts.mark_dispatched(uow, alert)
    if agencies:
        stores.mandates.grant(uow, alert.reference, alert.created_at, agencies)
        stores.statistics.count_new(uow, Counted.of_alert(alert), agencies)
    try:
        uow.commit()
    except Refused as refused:
        if refused.names != {"dispatched"}:
            raise


def _record(alert: Alert, deliveries: list[Delivery], *, stores: Stores, now: dt.datetime):
    """Record the deliveries as pending; False if a replay finds them recorded already.

    The first write also puts the case in the mandate of every agency a new report
    reached with its details: that is what lets their caseworkers see it. An agency told
    only that a report exists gets no mandate (domain/disclosure.py). Escalations and
    match alerts tell more people about a case without widening who works it.
    """
    agencies = sorted({d.agency for d in deliveries if d.disclosure == Disclosure.DETAILS})
    # The report's own alert: its escalations share its root, not its mandate.
    grant = alert.purpose == REPORT_RECEIVED and bool(agencies)
    step = MAX_WRITES - (len(agencies) + 1 if grant else 0)
    for start in range(0, len(deliveries), step):
        uow = stores.unit_of_work()
        if grant and start == 0:
            stores.mandates.grant(uow, alert.reference, alert.created_at, agencies)
            # Each agency's statistics cover its mandate: the case enters them now.
            stores.statistics.count_new(uow, Counted.of_alert(alert), agencies)
        for delivery in deliveries[start : start + step]:
            stores.deliveries.record(uow, delivery, now)
        try:
            uow.commit()
        except Refused as refused:
            if refused.names == {"delivery"}:
                return False
            raise
    return True
