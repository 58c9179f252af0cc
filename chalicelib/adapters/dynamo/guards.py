"""Intake's guards in the cases table: idempotency keys and each source's request rate."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.intake import Charge, IdempotencyRecord


class IntakeGuards:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def remember(
        self, uow: DynamoUnitOfWork, record: IdempotencyRecord, expires_at: int | None
    ) -> None:
        """Keep a key with the report it stands for; refused ("idempotency") if it is known.
        Without `expires_at` it is kept for good (a partner's external id)."""
        uow.add(
            "idempotency",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.idempotency(f"{record.scope}#{record.key}"),
                        **to_item(
                            {
                                "kind": "idempotency",
                                "fingerprint": record.fingerprint,
                                "reference": record.reference,
                                "received_at": record.received_at,
                                "expires_at": expires_at,
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def recall(self, scope: str, key: str) -> IdempotencyRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.idempotency(f"{scope}#{key}"), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        return IdempotencyRecord(
            scope=scope,
            key=key,
            fingerprint=values["fingerprint"],
            reference=values["reference"],
            received_at=values["received_at"],
            shown=bool(values.get("shown")),
        )

    def mark_shown(self, scope: str, key: str) -> None:
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "shown",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.idempotency(f"{scope}#{key}"),
                    "UpdateExpression": "SET shown = :yes",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":yes": {"BOOL": True}},
                }
            },
        )
        # A key never used (or expired) has nothing to mark, and gets no item.
        with contextlib.suppress(Refused):
            uow.commit()

    def charge(self, uow: DynamoUnitOfWork, charge: Charge) -> None:
        """One request against the source's allowance; refused ("rate") when the allowance
        is spent (or the source is not in the state the charge assumed: see Charge)."""
        interval = charge.limit.interval_ms
        if charge.burst:
            condition = "allowance_at > :now AND allowance_at <= :latest"
            update = "SET allowance_at = allowance_at + :interval, expires_at = :expires"
            values = {
                ":now": {"N": str(charge.now_ms)},
                ":latest": {"N": str(charge.now_ms + charge.limit.tolerance_ms)},
                ":interval": {"N": str(interval)},
            }
        else:
            condition = "attribute_not_exists(allowance_at) OR allowance_at <= :now"
            update = "SET allowance_at = :next, expires_at = :expires"
            values = {
                ":now": {"N": str(charge.now_ms)},
                ":next": {"N": str(charge.now_ms + interval)},
            }
        uow.add(
            "rate",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.rate(charge.purpose, charge.source),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": {
                        **values,
                        ":expires": {"N": str(charge.expires_at)},
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )
