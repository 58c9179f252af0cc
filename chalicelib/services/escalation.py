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
from typing import Protocol

from chalicelib.adapters.dynamo import Repository, alert_from_item
from chalicelib.config import Settings
from chalicelib.domain.contacts import Contact
from chalicelib.domain.routing import Directory

log = logging.getLogger("homeward.escalation")


class EmailSender(Protocol):
    def send(self, to: str, subject: str, text: str, *, html: str | None = None) -> str: ...


def escalate_unacknowledged(
    *,
    repository: Repository,
    directory: Directory,
    settings: Settings,
    now: dt.datetime | None = None,
) -> int:
    """Escalate every alert whose time to be acknowledged ran out; return how many."""
    now = now or dt.datetime.now(dt.UTC)
    escalated = 0
    for waiting in repository.alerts_waiting(due_before=now):
        alert = alert_from_item(waiting)
        level = int(waiting.get("escalation_level", 0)) + 1
        # The coordinators' rung comes after the rules' rungs; nothing after it.
        last = directory.ladder_length(alert) + 1
        wait = directory.acknowledge_within(
            alert, urgent=settings.escalate_urgent_after, normal=settings.escalate_normal_after
        )
        next_due = now + wait if level < last else None
        if repository.escalate(waiting, alert.escalated(level, now), next_due):
            escalated += 1
            log.warning("alert %s unacknowledged: escalated to level %d", alert.alert_id, level)
    return escalated


def daily_digest(
    *,
    repository: Repository,
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
    if not coordinators or not repository.mark_digest(day):
        return 0
    received = repository.count_received_since(now - dt.timedelta(days=1))
    items = repository.alerts_waiting(due_before=now + dt.timedelta(days=3650), limit=200)
    overdue = sum(1 for w in items if w["state_at"] < now.isoformat())
    waiting = [
        Waiting(
            reference=w["reference"],
            category=w["category"],
            oblast=w["oblast"],
            urgent=bool(w["urgent"]),
            level=int(w.get("escalation_level", 0)),
            since=dt.datetime.fromisoformat(w["created_at"]),
        )
        for w in items
    ]
    for coordinator in coordinators:
        digest = render_digest(day, received, waiting, overdue, coordinator.language)
        email.send(coordinator.email, digest.subject, digest.text, html=digest.html)
    log.info("daily digest for %s sent to %d coordinator(s)", day, len(coordinators))
    return len(coordinators)
