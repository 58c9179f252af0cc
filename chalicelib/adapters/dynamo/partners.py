"""Registered partners and their import batches, in the cases table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.case import iso
from chalicelib.domain.partners import ImportBatch, Partner


def _partner(values: dict[str, Any]) -> Partner:
    return Partner(
        client_id=values["client_id"],
        name=values["name"],
        quota_per_minute=int(values["quota_per_minute"]),
        webhook_url=values.get("webhook_url"),
        active=bool(values.get("active", True)),
        webhook_generation=int(values.get("webhook_generation") or 0),
        previous_secret_until=time(values.get("previous_secret_until")),
    )


def _batch(values: dict[str, Any]) -> ImportBatch:
    return ImportBatch(
        client_id=values["client_id"],
        batch_id=values["batch_id"],
        opened_at=time(values["opened_at"]),
        closed_at=time(values.get("closed_at")),
        digested_at=time(values.get("digested_at")),
    )


class PartnerStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def register(self, partner: Partner) -> None:
        """Add a partner, or change what is registered of it."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **keys.partner(partner.client_id),
                **to_item(
                    {
                        "kind": "partner",
                        "client_id": partner.client_id,
                        "name": partner.name,
                        "quota_per_minute": partner.quota_per_minute,
                        "webhook_url": partner.webhook_url,
                        "active": partner.active,
                        "webhook_generation": partner.webhook_generation,
                        "previous_secret_until": partner.previous_secret_until
                        and iso(partner.previous_secret_until),
                    }
                ),
            },
        )

    def get(self, client_id: str) -> Partner | None:
        response = self._client.get_item(TableName=self._table, Key=keys.partner(client_id))
        return _partner(from_item(response["Item"])) if "Item" in response else None

    def all(self) -> list[Partner]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.PARTNERS}},
        )
        return [_partner(from_item(i)) for i in response.get("Items", [])]

    def open_batch(self, client_id: str, batch_id: str, now: dt.datetime) -> ImportBatch:
        """The batch, opened now unless it was opened before (a resumed import)."""
        response = self._client.update_item(
            TableName=self._table,
            Key=keys.batch(client_id, batch_id),
            UpdateExpression="SET kind = if_not_exists(kind, :kind), "
            "client_id = if_not_exists(client_id, :client), "
            "batch_id = if_not_exists(batch_id, :batch), "
            "opened_at = if_not_exists(opened_at, :now)",
            ExpressionAttributeValues={
                ":kind": {"S": "batch"},
                ":client": {"S": client_id},
                ":batch": {"S": batch_id},
                ":now": {"S": iso(now)},
            },
            ReturnValues="ALL_NEW",
        )
        return _batch(from_item(response["Attributes"]))

    def batch(self, client_id: str, batch_id: str) -> ImportBatch | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.batch(client_id, batch_id), ConsistentRead=True
        )
        return _batch(from_item(response["Item"])) if "Item" in response else None

    def close_batch(self, client_id: str, batch_id: str, now: dt.datetime) -> bool:
        """Close an open batch, which puts it in line for its digest; False if it was
        closed already (or never opened)."""
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "batch",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.batch(client_id, batch_id),
                    "UpdateExpression": "SET closed_at = :now, state_key = :key, state_at = :at",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists("
                    "closed_at)",
                    "ExpressionAttributeValues": {
                        ":now": {"S": iso(now)},
                        ":key": {"S": keys.CLOSED_IMPORTS},
                        ":at": {"S": keys.state_at(now, client_id, batch_id)},
                    },
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def closed_batches(self, limit: int = 20) -> list[ImportBatch]:
        """Closed batches whose digest has not gone out, oldest first."""
        response = self._client.query(
            TableName=self._table,
            IndexName=keys.STATE_INDEX,
            KeyConditionExpression="state_key = :key",
            ExpressionAttributeValues={":key": {"S": keys.CLOSED_IMPORTS}},
            Limit=limit,
        )
        return [_batch(from_item(i)) for i in response.get("Items", [])]

    def claim_digest(self, batch: ImportBatch, now: dt.datetime) -> bool:
        """True for the one caller that may send the batch's digest."""
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "batch",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.batch(batch.client_id, batch.batch_id),
                    "UpdateExpression": "SET digested_at = :now REMOVE state_key, state_at",
                    "ConditionExpression": "state_key = :key",
                    "ExpressionAttributeValues": {
                        ":now": {"S": iso(now)},
                        ":key": {"S": keys.CLOSED_IMPORTS},
                    },
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True
