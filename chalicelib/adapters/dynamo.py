"""The Homeward table in DynamoDB: cases, their alerts and deliveries, and the directory.

One table, keyed by `pk`/`sk`:

| item | pk | sk |
| --- | --- | --- |
| case | `CASE#<reference>` | `CASE` |
| alert (the outbox) | `CASE#<reference>` | `ALERT#<purpose>` |
| delivery | `CASE#<reference>` | `DELIVERY#<purpose>/<contact>/<channel>` |
| idempotency key | `IDEMPOTENCY#<key>` | `IDEMPOTENCY` |
| rate-limit window | `RATE#<source>#<window>` | `RATE` |
| contacts, routing rules | `DIRECTORY` | see adapters/directory.py |

Deliveries are indexed by state in `by_state` (`state_key`, `state_at`), so the sweeper
and the local outbox find them without a scan.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.domain.alerts import REPORT_RECEIVED, Alert, Delivery
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.case import Case, iso
from chalicelib.domain.report import Report

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

STATE_INDEX = "by_state"


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


# What DynamoDB answers when a write's condition (or a transaction's) does not hold.
_REFUSALS = ("ConditionalCheckFailedException", "TransactionCanceledException")


def applied(write: Callable[..., Any], **request: Any) -> bool:
    """Make a conditional write; False if its condition refused it, True if it was made."""
    try:
        write(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in _REFUSALS:
            raise
        return False
    return True


def _case_key(reference: str) -> dict[str, Any]:
    return {"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}}


def _delivery_key(reference: str, delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CASE#{reference}"}, "sk": {"S": f"DELIVERY#{delivery_id}"}}


STATISTICS_SHARDS = 8


def received_key(reference: str, received_at: dt.datetime) -> str:
    """Sort key of every case index: newest first when read backwards, unique per case.

    Microseconds, so that reports of the same second still list in the order they came.
    """
    moment = received_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{moment}#{reference}"


def index_attributes(case: Case) -> dict[str, Any]:
    """The attributes that put a case into the staff list indexes (see infra/template.yaml)."""
    return {
        "list_pk": "CASES",
        "received_key": received_key(case.reference, case.received_at),
        "status_pk": f"STATUS#{case.status}",
        "oblast_pk": f"OBLAST#{case.oblast}",
        "category_pk": f"CATEGORY#{case.category}",
        # Sparse: only urgent cases are in the urgency index.
        "urgent_pk": "URGENT" if case.urgent else None,
    }


def count_case(
    table: str, status: str, case: Case | None, step: int, *, was: str | None = None
) -> dict[str, Any]:
    """An update of one statistics shard: a new case counted, or a case moved `was` -> status.

    Counters are spread over shards so that busy hours do not make one item a hot spot
    (or a source of transaction conflicts); reading them sums all shards.
    """
    import secrets

    counters = {f"status#{status}": step}
    if was is not None:
        counters[f"status#{was}"] = -step
    if case is not None:
        counters.update(
            {
                "total": step,
                f"oblast#{case.oblast}": step,
                f"category#{case.category}": step,
                **({"urgent": step} if case.urgent else {}),
            }
        )
    names = {f"#c{i}": name for i, name in enumerate(counters)}
    return {
        "Update": {
            "TableName": table,
            "Key": {
                "pk": {"S": "STATISTICS"},
                "sk": {"S": f"SHARD#{secrets.randbelow(STATISTICS_SHARDS)}"},
            },
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                f":c{i}": {"N": str(value)} for i, value in enumerate(counters.values())
            },
        }
    }


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class CaseConflict(Exception):
    """The transaction that opens a case was refused; `reason` says which condition failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    fingerprint: str
    reference: str
    received_at: str


@dataclass(frozen=True)
class RateCharge:
    """One more report from a source in the current window, refused past the limit."""

    source: str
    window_start: int
    limit: int
    expires_at: int


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to take a delivery for sending."""

    outcome: str  # "claimed" | "done" | "busy" | "missing"
    delivery: dict[str, Any] | None = None


def alert_from_item(values: dict[str, Any]) -> Alert:
    return Alert(
        reference=values["reference"],
        purpose=values["purpose"],
        category=values["category"],
        oblast=values["oblast"],
        urgent=bool(values["urgent"]),
        last_known_country=values.get("last_known_country"),
        created_at=_time(values["created_at"]),
    )


UNACKNOWLEDGED = "ALERTS#unacknowledged"


def alert_item(alert: Alert, acknowledge_by: dt.datetime | None = None) -> dict[str, Any]:
    """The outbox item of an alert: the dispatcher picks it up from the table's stream.

    With `acknowledge_by`, the alert waits in the `by_state` index until someone
    acknowledges it; the escalation schedule finds it there once that time has passed.
    """
    waiting = (
        {
            "state_key": UNACKNOWLEDGED,
            "state_at": f"{iso(acknowledge_by)}#{alert.reference}#{alert.purpose}",
            "escalation_level": 0,
        }
        if acknowledge_by
        else {}
    )
    return {
        "pk": {"S": f"CASE#{alert.reference}"},
        "sk": {"S": f"ALERT#{alert.purpose}"},
        **to_item({"kind": "alert", **_alert_values(alert), **waiting}),
    }


def _alert_values(alert: Alert) -> dict[str, Any]:
    return {
        "reference": alert.reference,
        "purpose": alert.purpose,
        "category": alert.category,
        "oblast": alert.oblast,
        "urgent": alert.urgent,
        "last_known_country": alert.last_known_country,
        "created_at": iso(alert.created_at),
    }


class Repository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # -- health --------------------------------------------------------------------

    def reachable(self) -> bool:
        try:
            self._client.get_item(
                TableName=self._table, Key={"pk": {"S": "HEALTH"}, "sk": {"S": "HEALTH"}}
            )
        except ClientError:
            return False
        return True

    # -- cases ---------------------------------------------------------------------

    def open_case(
        self,
        case: Case,
        alert: Alert,
        *,
        idempotency: IdempotencyRecord | None,
        idempotency_expires_at: int,
        rate: RateCharge | None,
        attachments: tuple[Attachment, ...] = (),
        match_keys: list[str] = (),
        acknowledge_by: dt.datetime | None = None,
    ) -> None:
        """Store a case and the alert it causes in one transaction, or nothing at all.

        The idempotency key and the source's rate-limit counter ride in the same
        transaction, so an accepted report costs exactly one call and two racing
        requests with one key cannot both create a case.
        """
        report = case.report.model_dump(mode="json")
        items: list[tuple[str, dict[str, Any]]] = [
            (
                "reference",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **_case_key(case.reference),
                            **to_item(
                                {
                                    "kind": "case",
                                    "reference": case.reference,
                                    "received_at": iso(case.received_at),
                                    "status": case.status,
                                    "version": case.version,
                                    "oblast": case.oblast,
                                    "category": case.category,
                                    "urgent": case.urgent,
                                    # One JSON document: never queried inside, and
                                    # much cheaper to move through streams than a map.
                                    "report": json.dumps(report, ensure_ascii=False),
                                    **index_attributes(case),
                                    # Beside the report, not in it: the report is the
                                    # JSON contract; the form's verified files are not.
                                    "attachments": [a.as_record() for a in attachments] or None,
                                }
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ),
            (
                "alert",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": alert_item(alert, acknowledge_by),
                    }
                },
            ),
        ]
        items.append(("statistics", count_case(self._table, case.status, case, +1)))
        # The blocking keys that let matching find this case later (adapters/matchbook.py).
        from chalicelib.adapters.matchbook import key_items

        rk = received_key(case.reference, case.received_at)
        items += [("key", k) for k in key_items(self._table, case.reference, rk, list(match_keys))]
        if idempotency is not None:
            items.append(
                (
                    "idempotency",
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": f"IDEMPOTENCY#{idempotency.key}",
                                    "sk": "IDEMPOTENCY",
                                    "kind": "idempotency",
                                    "fingerprint": idempotency.fingerprint,
                                    "reference": idempotency.reference,
                                    "received_at": idempotency.received_at,
                                    "expires_at": idempotency_expires_at,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                )
            )
        if rate is not None:
            items.append(
                (
                    "rate",
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {
                                "pk": {"S": f"RATE#{rate.source}#{rate.window_start}"},
                                "sk": {"S": "RATE"},
                            },
                            "UpdateExpression": "ADD hits :one SET expires_at = :expires",
                            "ConditionExpression": "attribute_not_exists(hits) OR hits < :limit",
                            "ExpressionAttributeValues": {
                                ":one": {"N": "1"},
                                ":limit": {"N": str(rate.limit)},
                                ":expires": {"N": str(rate.expires_at)},
                            },
                        }
                    },
                )
            )
        try:
            self._client.transact_write_items(TransactItems=[item for _, item in items])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            failed = {
                name
                for (name, _), reason in zip(items, reasons, strict=False)
                if reason.get("Code") == "ConditionalCheckFailed"
            }
            # A replayed key explains everything else that failed with it.
            for reason in ("idempotency", "rate", "reference"):
                if reason in failed:
                    raise CaseConflict(reason) from exc
            conflicts = {r.get("Code") for r in reasons}
            raise CaseConflict("conflict" if "TransactionConflict" in conflicts else "?") from exc

    def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": f"IDEMPOTENCY#{key}"}, "sk": {"S": "IDEMPOTENCY"}},
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        return IdempotencyRecord(
            key=key,
            fingerprint=values["fingerprint"],
            reference=values["reference"],
            received_at=values["received_at"],
        )

    def get_case(self, reference: str) -> Case | None:
        response = self._client.get_item(TableName=self._table, Key=_case_key(reference))
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        return Case(
            reference=values["reference"],
            received_at=_time(values["received_at"]),
            report=Report.model_validate_json(values["report"]),
            status=values["status"],
            version=int(values["version"]),
        )

    # -- deliveries ----------------------------------------------------------------

    def create_deliveries(self, deliveries: list[Delivery], now: dt.datetime) -> bool:
        """Record the deliveries of one alert as pending; False if they already were.

        One transaction per alert: on a replayed stream record either all of them exist
        or none, and a delivery already sent is never reset to pending. The same
        transaction puts the case in the mandate of every agency it was routed to, which
        is what lets their caseworkers see it.
        """
        when = iso(now)
        agencies = sorted({d.agency for d in deliveries})
        mandate: list[dict[str, Any]] = []
        if agencies and deliveries[0].alert.root == REPORT_RECEIVED:
            alert = deliveries[0].alert
            key = received_key(alert.reference, alert.created_at)
            mandate = [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": f"MANDATE#{agency}",
                                "sk": key,
                                "kind": "mandate",
                                "reference": alert.reference,
                            }
                        ),
                    }
                }
                for agency in agencies
            ]
            mandate.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _case_key(alert.reference),
                        "UpdateExpression": "ADD agencies :agencies",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":agencies": {"SS": agencies}},
                    }
                }
            )
        step = 100 - len(mandate)  # a transaction holds at most 100 items
        for start in range(0, len(deliveries), step):
            chunk = deliveries[start : start + step]
            transact = mandate + [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": f"CASE#{d.alert.reference}",
                                "sk": f"DELIVERY#{d.delivery_id}",
                                "kind": "delivery",
                                **_alert_values(d.alert),
                                "delivery_id": d.delivery_id,
                                "contact_id": d.contact_id,
                                "channel": d.channel,
                                "address": d.address,
                                "language": d.language,
                                "state": "pending",
                                "attempts": 0,
                                "state_key": "DELIVERIES#pending",
                                "state_at": f"{when}#{d.alert.reference}#{d.delivery_id}",
                                "updated_at": when,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for d in chunk
            ]
            mandate = []  # once is enough
            try:
                self._client.transact_write_items(TransactItems=transact)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                if not any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise
                return False
        return True

    def claim_delivery(
        self, reference: str, delivery_id: str, now: dt.datetime, lease_seconds: int
    ) -> Claim:
        """Take a pending delivery (or one whose sender's lease ran out) for sending."""
        now_epoch = int(now.timestamp())
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_delivery_key(reference, delivery_id),
                UpdateExpression=(
                    "SET #state = :sending, lease_until = :lease, updated_at = :now, "
                    "state_key = :state_key ADD attempts :one"
                ),
                ConditionExpression=(
                    "#state = :pending OR (#state = :sending AND lease_until < :epoch)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sending": {"S": "sending"},
                    ":pending": {"S": "pending"},
                    ":lease": {"N": str(now_epoch + lease_seconds)},
                    ":epoch": {"N": str(now_epoch)},
                    ":now": {"S": iso(now)},
                    ":state_key": {"S": "DELIVERIES#sending"},
                    ":one": {"N": "1"},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            if not old:
                return Claim("missing")
            values = from_item(old)
            return Claim("busy" if values["state"] == "sending" else "done", values)
        return Claim("claimed", from_item(response["Attributes"]))

    def _settle(
        self,
        reference: str,
        delivery_id: str,
        state: str,
        now: dt.datetime,
        extra: dict[str, Any],
    ) -> bool:
        values = {"state": state, "updated_at": iso(now), "state_key": f"DELIVERIES#{state}"}
        values["state_at"] = f"{iso(now)}#{reference}#{delivery_id}"
        values.update(extra)
        names = {f"#a{i}": k for i, k in enumerate(values)}
        return applied(
            self._client.update_item,
            TableName=self._table,
            Key=_delivery_key(reference, delivery_id),
            UpdateExpression="SET "
            + ", ".join(f"#a{i} = :a{i}" for i in range(len(values)))
            + " REMOVE lease_until",
            ConditionExpression="#a0 = :sending",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":sending": {"S": "sending"},
                **{f":a{i}": _serializer.serialize(v) for i, v in enumerate(values.values())},
            },
        )

    def mark_sent(
        self, reference: str, delivery_id: str, message_id: str, now: dt.datetime
    ) -> bool:
        return self._settle(
            reference,
            delivery_id,
            "sent",
            now,
            {"sent_at": iso(now), "provider_message_id": message_id},
        )

    def release_delivery(
        self, reference: str, delivery_id: str, error: str, now: dt.datetime
    ) -> bool:
        return self._settle(reference, delivery_id, "pending", now, {"last_error": error})

    def retry_failed(self, reference: str, delivery_id: str, now: dt.datetime) -> bool:
        """A failed (parked) delivery back to pending, for a coordinator's retry."""
        return applied(
            self._client.update_item,
            TableName=self._table,
            Key=_delivery_key(reference, delivery_id),
            UpdateExpression="SET #state = :pending, state_key = :key, state_at = :at, "
            "updated_at = :now, attempts = :zero",
            ConditionExpression="#state = :failed",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":pending": {"S": "pending"},
                ":failed": {"S": "failed"},
                ":key": {"S": "DELIVERIES#pending"},
                ":at": {"S": f"{iso(now)}#{reference}#{delivery_id}"},
                ":now": {"S": iso(now)},
                ":zero": {"N": "0"},
            },
        )

    def mark_failed(self, reference: str, delivery_id: str, error: str, now: dt.datetime) -> bool:
        return self._settle(reference, delivery_id, "failed", now, {"last_error": error})

    def deliveries_in_state(
        self, state: str, *, before: dt.datetime | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Deliveries in one state, newest first, optionally only those untouched since."""
        condition = "state_key = :key"
        values: dict[str, Any] = {":key": {"S": f"DELIVERIES#{state}"}}
        if before is not None:
            condition += " AND state_at < :before"
            values[":before"] = {"S": iso(before)}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": STATE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        found: list[dict[str, Any]] = []
        while len(found) < limit:
            page = self._client.query(**kwargs)
            found.extend(from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            kwargs["Limit"] = limit - len(found)
        return found[:limit]

    # -- acknowledgement and escalation ---------------------------------------------

    def acknowledge(
        self, reference: str, hashed_delivery: str, now: dt.datetime
    ) -> dict[str, Any] | None:
        """Record that the contact of a sent delivery acknowledged it; None if refused.

        Refused when no delivery of the case has that hash, or it was not sent, or it was
        acknowledged already: a link works once. The alert it belongs to (the first of
        its escalation ladder) stops waiting, whoever acknowledged.
        """
        from chalicelib.domain.acknowledgement import delivery_hash

        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
            ExpressionAttributeValues={
                ":pk": {"S": f"CASE#{reference}"},
                ":d": {"S": "DELIVERY#"},
            },
            ConsistentRead=True,
        )
        deliveries = [from_item(i) for i in response.get("Items", [])]
        found = next(
            (d for d in deliveries if delivery_hash(d["delivery_id"]) == hashed_delivery), None
        )
        if found is None:
            return None
        root = alert_from_item(found).root
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _delivery_key(reference, found["delivery_id"]),
                            "UpdateExpression": "SET #state = :ack, acknowledged_at = :now, "
                            "state_key = :key, state_at = :at",
                            "ConditionExpression": "#state = :sent",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {
                                ":ack": {"S": "acknowledged"},
                                ":sent": {"S": "sent"},
                                ":now": {"S": iso(now)},
                                ":key": {"S": "DELIVERIES#acknowledged"},
                                ":at": {"S": f"{iso(now)}#{reference}#{found['delivery_id']}"},
                            },
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {
                                "pk": {"S": f"CASE#{reference}"},
                                "sk": {"S": f"ALERT#{root}"},
                            },
                            "UpdateExpression": "SET acknowledged_at = if_not_exists("
                            "acknowledged_at, :now), acknowledged_by = if_not_exists("
                            "acknowledged_by, :contact) REMOVE state_key, state_at",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {
                                ":now": {"S": iso(now)},
                                ":contact": {"S": found["contact_id"]},
                            },
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            return None
        return {"reference": reference, "contact_id": found["contact_id"], "at": iso(now)}

    def alerts_waiting(self, *, due_before: dt.datetime, limit: int = 100) -> list[dict]:
        """Unacknowledged alerts whose time to be acknowledged ran out, oldest first."""
        response = self._client.query(
            TableName=self._table,
            IndexName=STATE_INDEX,
            KeyConditionExpression="state_key = :key AND state_at < :before",
            ExpressionAttributeValues={
                ":key": {"S": UNACKNOWLEDGED},
                ":before": {"S": iso(due_before)},
            },
            Limit=limit,
        )
        return [from_item(i) for i in response.get("Items", [])]

    def reschedule_acknowledgement(self, alert: Alert, due: dt.datetime) -> bool:
        """Give a waiting first alert another time to be acknowledged (its rules' policy).

        Only while it still waits on its first rung: once acknowledged or escalated, the
        new time would be wrong, and the condition leaves the alert as it is.
        """
        return applied(
            self._client.update_item,
            TableName=self._table,
            Key={"pk": {"S": f"CASE#{alert.reference}"}, "sk": {"S": f"ALERT#{alert.purpose}"}},
            UpdateExpression="SET state_at = :at",
            ConditionExpression="state_key = :key AND escalation_level = :zero",
            ExpressionAttributeValues={
                ":at": {"S": f"{iso(due)}#{alert.reference}#{alert.purpose}"},
                ":key": {"S": UNACKNOWLEDGED},
                ":zero": {"N": "0"},
            },
        )

    def escalate(
        self,
        waiting: dict[str, Any],
        escalation: Alert | None,
        next_due: dt.datetime | None,
    ) -> bool:
        """Put the escalation in the outbox and move the waiting alert one rung up.

        Guarded by the rung it was on, so two schedules running at once escalate once.
        Without `next_due` the alert stops waiting: the ladder has ended.
        """
        level = int(waiting.get("escalation_level", 0))
        key = {
            "pk": {"S": f"CASE#{waiting['reference']}"},
            "sk": {"S": f"ALERT#{waiting['purpose']}"},
        }
        if next_due is None:
            update = "SET escalation_level = :next REMOVE state_key, state_at"
            values: dict[str, Any] = {}
        else:
            update = "SET escalation_level = :next, state_at = :at"
            values = {":at": {"S": f"{iso(next_due)}#{waiting['reference']}#{waiting['purpose']}"}}
        transact: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": key,
                    "UpdateExpression": update,
                    "ConditionExpression": "escalation_level = :level AND state_key = :key",
                    "ExpressionAttributeValues": {
                        ":level": {"N": str(level)},
                        ":next": {"N": str(level + 1)},
                        ":key": {"S": UNACKNOWLEDGED},
                        **values,
                    },
                }
            }
        ]
        if escalation is not None:
            transact.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": alert_item(escalation),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        return applied(self._client.transact_write_items, TransactItems=transact)

    def mark_digest(self, day: str) -> bool:
        """True the first time for a day: the daily digest goes out once."""
        return applied(
            self._client.put_item,
            TableName=self._table,
            Item=to_item({"pk": "DIGEST", "sk": day, "kind": "digest"}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def count_received_since(self, since: dt.datetime) -> int:
        """Cases received since a moment (the digest), read from the newest-first index."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_received",
            "KeyConditionExpression": "list_pk = :all AND received_key >= :since",
            "ExpressionAttributeValues": {":all": {"S": "CASES"}, ":since": {"S": iso(since)}},
            "Select": "COUNT",
        }
        total = 0
        while True:
            page = self._client.query(**kwargs)
            total += page.get("Count", 0)
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
