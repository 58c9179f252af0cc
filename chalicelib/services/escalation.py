"""Alerts nobody acknowledged go up the ladder; coordinators hear about everything daily.

Each unacknowledged alert waits in an index until its time runs out (15 minutes for an
urgent report, 24 hours otherwise, configurable). Then the schedule puts an escalation
in the outbox (the next rung of its routing rules' escalation policy, or the
coordinators once no rung is left), and the alert waits again, as long as its rules'
policy says. After the coordinators were alerted, the ladder ends: a bounded number of
escalations, and the daily digest keeps listing it.
"""

from __future__ import annotations

import datetime as dt
import logging

from chalicelib.config import Settings
from chalicelib.domain.contacts import Contact
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.routing import Directory
from chalicelib.services.outside_ports import EmailSender
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.escalation")


def escalate_unacknowledged(
    *,
    stores: Stores,
    directory: Directory,
    settings: Settings,
    now: dt.datetime | None = None,
) -> int:
    """Escalate every alert whose time to be acknowledged ran out; return how many."""
    now = now or dt.datetime.now(dt.UTC)
    escalated = 0
    for waiting in stores.alerts.waiting(due_before=now):
        alert = waiting.alert
        level = waiting.level + 1
        # The coordinators' rung comes after the rules' rungs; nothing after it.
        last = directory.ladder_length(alert) + 1
        wait = directory.acknowledge_within(
            alert, urgent=settings.escalate_urgent_after, normal=settings.escalate_normal_after
        )
        uow = stores.unit_of_work()
        stores.alerts.escalate(uow, waiting, now + wait if level < last else None)
        stores.alerts.add(uow, alert.escalated(level, now), name="escalation")
        try:
            uow.commit()
        except (Refused, Conflict):
            continue  # acknowledged meanwhile, or another schedule escalated it
        escalated += 1
        log.warning("alert %s unacknowledged: escalated to level %d", alert.alert_id, level)
    return escalated


def daily_digest(
    *,
    stores: Stores,
    coordinators: list[Contact],
    email: EmailSender,
    now: dt.datetime | None = None,
) -> int:
    """Tell the (active) coordinators what came in over the last day and what nobody
    acknowledged; those without an e-mail address hear of it from the escalations."""
    from chalicelib.domain.messages import Waiting, render_digest

    now = now or dt.datetime.now(dt.UTC)
    day = now.strftime("%Y-%m-%d")
    coordinators = [c for c in coordinators if c.email]
    if not coordinators or not stores.alerts.mark_digest(day):
        return 0
    received = stores.case_index.count_received_since(now - dt.timedelta(days=1))
    items = stores.alerts.waiting(due_before=now + dt.timedelta(days=3650), limit=200)
    overdue = sum(1 for w in items if w.due < now)
    waiting = [
        Waiting(
            reference=w.alert.reference,
            category=w.alert.category,
            oblast=w.alert.oblast,
            urgent=w.alert.urgent,
            level=w.level,
            since=w.alert.created_at,
        )
        for w in items
    ]
    for coordinator in coordinators:
        digest = render_digest(day, received, waiting, overdue, coordinator.language)
        email.send(coordinator.email, digest.subject, digest.text, html=digest.html)
    log.info("daily digest for %s sent to %d coordinator(s)", day, len(coordinators))
    return len(coordinators)
