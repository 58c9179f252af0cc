"""Webhooks owed to partners (the outbox of a partner's report changing stage), in the
cases table beside the partner's registration and batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.case import iso
from chalicelib.domain.webhooks import WebhookEvent, WebhookState


def event_of(values: dict[str, Any]) -> WebhookEvent:
    return WebhookEvent(
        client_id=values["client_id"],
        event_id=values["event_id"],
        reference=values["reference"],
        external_id=values.get("external_id"),
        stage=values["stage"],
        occurred_at=time(values["occurred_at"]),
    )


def state_of(values: dict[str, Any]) -> WebhookState:
    return WebhookState(
        event=event_of(values),
        state=values.get("state", "pending"),
        attempts=int(values.get("attempts", 0)),
        last_error=values.get("last_error"),
        updated_at=time(values.get("updated_at")),
    )


class WebhookStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(self, uow: DynamoUnitOfWork, event: WebhookEvent) -> None:
        """The webhook, written with the change it tells of (once: the event id is the
        case's new version)."""
        uow.add(
            "webhook",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.webhook(event.client_id, event.event_id),
                        **to_item(
                            {
                                "kind": "webhook",
                                "client_id": event.client_id,
                                "event_id": event.event_id,
                                "reference": event.reference,
                                "external_id": event.external_id,
                                "stage": event.stage,
                                "occurred_at": iso(event.occurred_at),
                                "state": "pending",
                                "attempts": 0,
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def get(self, client_id: str, event_id: str) -> WebhookState | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.webhook(client_id, event_id), ConsistentRead=True
        )
        return state_of(from_item(response["Item"])) if "Item" in response else None

    def delivered(self, event: WebhookEvent, attempts: int, now: dt.datetime) -> bool:
        return self._set(event, "delivered", attempts, None, now)

    def attempt_failed(
        self, event: WebhookEvent, attempts: int, error: str, now: dt.datetime, *, last: bool
    ) -> None:
        self._set(event, "failed" if last else "pending", attempts, error, now)

    def _set(
        self, event: WebhookEvent, state: str, attempts: int, error: str | None, now: dt.datetime
    ) -> bool:
        sets = ["#state = :state", "attempts = :n", "updated_at = :now"]
        values: dict[str, Any] = {
            ":state": {"S": state},
            ":n": {"N": str(attempts)},
            ":now": {"S": iso(now)},
        }
        removes = []
        if error is None:
            removes.append("last_error")
        else:
            sets.append("last_error = :error")
            values[":error"] = {"S": error}
        if state == "failed":
            # Where coordinators find it (GET /api/v1/staff/webhooks/failed).
            sets += ["state_key = :key", "state_at = :at"]
            values[":key"] = {"S": keys.FAILED_WEBHOOKS}
            values[":at"] = {"S": keys.state_at(now, event.client_id, event.event_id)}
        else:
            removes += ["state_key", "state_at"]
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "webhook",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.webhook(event.client_id, event.event_id),
                    "UpdateExpression": expression,
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": values,
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def retry(self, client_id: str, event_id: str, now: dt.datetime) -> WebhookState | None:
        """A failed webhook back to pending, its attempts counted from nought again; None
        if it is not failed (delivered meanwhile, or no such webhook)."""
        found = self.get(client_id, event_id)
        if found is None or found.state != "failed":
            return None
        self._set(found.event, "pending", 0, found.last_error, now)
        return found

    def failed(self, limit: int = 100) -> list[WebhookState]:
        """Webhooks that failed their last attempt, newest first."""
        response = self._client.query(
            TableName=self._table,
            IndexName=keys.STATE_INDEX,
            KeyConditionExpression="state_key = :key",
            ExpressionAttributeValues={":key": {"S": keys.FAILED_WEBHOOKS}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [state_of(from_item(i)) for i in response.get("Items", [])]
