"""Alerts (the outbox) in the cases table.

An alert item is written with whatever causes it (a new case, a confirmed match, an
escalation); the table's stream hands it to the dispatcher. While nobody acknowledged it,
it waits in the `by_state` index under its deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.deliveries import alert_of, alert_values
from chalicelib.adapters.dynamo.items import from_item, query_all, time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.alerts import Alert, WaitingAlert
from chalicelib.domain.case import iso


class Alerts:
    """The outbox, and the alerts that wait to be acknowledged."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(
        self,
        uow: DynamoUnitOfWork,
        alert: Alert,
        *,
        acknowledge_by: dt.datetime | None = None,
        name: str = "alert",
        batch: str | None = None,
    ) -> None:
        """Put an alert in the outbox; with `acknowledge_by` it waits to be acknowledged;
        with `batch` (an import's `ImportBatch.key`) it is told in the batch's digest."""
        waiting: dict[str, Any] = {}
        if acknowledge_by:
            waiting = {
                "state_key": keys.UNACKNOWLEDGED,
                "state_at": keys.state_at(acknowledge_by, alert.reference, alert.purpose),
                "escalation_level": alert.level,
            }
        elif batch:
            waiting = {
                "state_key": keys.batch_state(batch),
                "state_at": keys.state_at(alert.created_at, alert.reference, alert.purpose),
            }
        uow.add(
            name,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.alert(alert.reference, alert.purpose),
                        **to_item({"kind": "alert", **alert_values(alert), **waiting}),
                    },
                    # An alert is written once; a second write of it is a replay.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def waiting(self, *, due_before: dt.datetime, limit: int = 100) -> list[WaitingAlert]:
        """Unacknowledged alerts whose deadline is before `due_before`, oldest first, up to
        `limit` (read page after page: the on-call view lists every one)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.STATE_INDEX,
            "KeyConditionExpression": "state_key = :key AND state_at < :before",
            "ExpressionAttributeValues": {
                ":key": {"S": keys.UNACKNOWLEDGED},
                ":before": {"S": keys.state_at_bound(due_before)},
            },
            "Limit": limit,
        }
        found: list[WaitingAlert] = []
        while len(found) < limit:
            response = self._client.query(**request)
            found += [self._waiting(from_item(i)) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            request["Limit"] = limit - len(found)
        return found[:limit]

    def waiting_of(self, reference: str) -> list[WaitingAlert]:
        """The alerts of one case that wait to be acknowledged (a read of its partition)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :alert)",
            "FilterExpression": "state_key = :key",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.case_partition(reference)},
                ":alert": {"S": keys.ALERT},
                ":key": {"S": keys.UNACKNOWLEDGED},
            },
            "ConsistentRead": True,
        }
        return [self._waiting(values) for values in query_all(self._client, **request)]

    def mark_dispatched(self, uow: DynamoUnitOfWork, alert: Alert) -> None:
        """Refused ("dispatched") when the alert was dispatched before (a replay)."""
        uow.add(
            "dispatched",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.alert(alert.reference, alert.purpose),
                    "UpdateExpression": "SET dispatched = :yes",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists("
                    "dispatched)",
                    "ExpressionAttributeValues": {":yes": {"BOOL": True}},
                }
            },
        )

    def of_batch(self, batch: str) -> list[Alert]:
        """Every alert of one import batch (its `ImportBatch.key`), oldest first."""
        found: list[Alert] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.STATE_INDEX,
            "KeyConditionExpression": "state_key = :key",
            "ExpressionAttributeValues": {":key": {"S": keys.batch_state(batch)}},
        }
        while True:
            response = self._client.query(**request)
            found += [alert_of(from_item(i)) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    @staticmethod
    def _waiting(values: dict[str, Any]) -> WaitingAlert:
        return WaitingAlert(
            alert=alert_of(values),
            level=int(values.get("escalation_level", 0)),
            due=time(values["state_at"].split("#", 1)[0]),
        )

    def reschedule(self, waiting: WaitingAlert, due: dt.datetime) -> bool:
        """Give a waiting alert another deadline, if it still waits on the same rung."""
        alert = waiting.alert
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "waiting",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.alert(alert.reference, alert.purpose),
                    "UpdateExpression": "SET state_at = :at",
                    "ConditionExpression": "state_key = :key AND escalation_level = :level",
                    "ExpressionAttributeValues": {
                        ":at": {"S": keys.state_at(due, alert.reference, alert.purpose)},
                        ":key": {"S": keys.UNACKNOWLEDGED},
                        ":level": {"N": str(waiting.level)},
                    },
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def escalate(
        self, uow: DynamoUnitOfWork, waiting: WaitingAlert, next_due: dt.datetime | None
    ) -> None:
        """Move a waiting alert one rung up; without `next_due` it stops waiting.

        Guarded by the rung it was on ("waiting"), so two schedules escalate it once.
        """
        alert = waiting.alert
        values: dict[str, Any] = {
            ":level": {"N": str(waiting.level)},
            ":next": {"N": str(waiting.level + 1)},
            ":key": {"S": keys.UNACKNOWLEDGED},
        }
        if next_due is None:
            update = "SET escalation_level = :next REMOVE state_key, state_at"
        else:
            update = "SET escalation_level = :next, state_at = :at"
            values[":at"] = {"S": keys.state_at(next_due, alert.reference, alert.purpose)}
        uow.add(
            "waiting",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.alert(alert.reference, alert.purpose),
                    "UpdateExpression": update,
                    "ConditionExpression": "escalation_level = :level AND state_key = :key",
                    "ExpressionAttributeValues": values,
                }
            },
        )

    def acknowledge(
        self, uow: DynamoUnitOfWork, reference: str, purpose: str, by: str, now: dt.datetime
    ) -> None:
        """The alert stops waiting; the first acknowledgement is the one kept."""
        uow.add(
            "alert",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.alert(reference, purpose),
                    "UpdateExpression": "SET acknowledged_at = if_not_exists(acknowledged_at, "
                    ":now), acknowledged_by = if_not_exists(acknowledged_by, :by) "
                    "REMOVE state_key, state_at",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":now": {"S": iso(now)}, ":by": {"S": by}},
                }
            },
        )

    def mark_digest(self, day: str) -> bool:
        """True the first time for a day: the daily digest goes out once."""
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "digest",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**keys.digest(day), **to_item({"kind": "digest"})},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True
