"""The on-call view's words for what waits, and its filters: declared once, for the
service (services/on_call.py), the staff API's schema and the console."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.alerts import WaitingAlert


class Waits(StrEnum):
    """Which alert waits, in the words the on-call view uses."""

    NEW_REPORT = "new_report"
    ESCALATION = "escalation"
    MATCH_CONFIRMED = "match_confirmed"
    IMPORT_BATCH = "import_batch"


class Narrowed(StrEnum):
    """The on-call view's filter."""

    EVERYONE = "all"
    ME = "me"
    MY_DESK = "desk"


def what_waits(waiting: WaitingAlert) -> Waits:
    alert = waiting.alert
    if waiting.level > 0:
        return Waits.ESCALATION
    if alert.kind == "match":
        return Waits.MATCH_CONFIRMED
    if alert.batch:
        return Waits.IMPORT_BATCH
    return Waits.NEW_REPORT
