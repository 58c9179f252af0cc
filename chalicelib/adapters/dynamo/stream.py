"""What a record of the cases table's stream holds, as the domain sees it."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo.cases import case_of
from chalicelib.adapters.dynamo.deliveries import alert_of
from chalicelib.adapters.dynamo.items import from_item
from chalicelib.adapters.dynamo.webhooks import event_of
from chalicelib.domain.alerts import Alert
from chalicelib.domain.case import Case
from chalicelib.domain.webhooks import WebhookEvent


def new_item(record: Any) -> tuple[str | None, dict[str, Any]]:
    """The kind of item a record inserted ("case", "alert"...), and its attributes."""
    if record.event_name != "INSERT" or not record.new_image:
        return None, {}
    values = from_item(record.new_image)
    return values.get("kind"), values


def new_alert(values: dict[str, Any]) -> Alert:
    return alert_of(values)


def new_case(values: dict[str, Any]) -> Case:
    """The case as its record carries it: sealed fields stay sealed (absent)."""
    return case_of(values)


def new_webhook(values: dict[str, Any]) -> WebhookEvent:
    return event_of(values)
