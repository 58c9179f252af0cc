"""The audit table: who saw or changed what. Entries are only ever added.

The app's IAM policy allows PutItem and Query on it and nothing else (infra/package.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import iso


class AuditLog:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(self, uow: DynamoUnitOfWork, entry: AuditEntry) -> None:
        uow.add(
            "audit",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.audit_entry(entry.reference, entry.at, entry.request_id),
                        **to_item(
                            {
                                "reference": entry.reference,
                                "actor": entry.actor,
                                "role": entry.role,
                                "agency": entry.agency,
                                "action": entry.action,
                                "detail": entry.detail,
                                "at": iso(entry.at),
                                "request_id": entry.request_id,
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def record(self, entries: list[AuditEntry]) -> None:
        """Append entries now (reads are recorded before they are answered)."""
        for start in range(0, len(entries), 100):
            uow = DynamoUnitOfWork(self._client)
            for entry in entries[start : start + 100]:
                self.add(uow, entry)
            uow.commit()

    def trail(self, reference: str, limit: int = 500) -> list[AuditEntry]:
        """Entries of one case (or of the directory), oldest first."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.audit_partition(reference)}},
            Limit=limit,
        )
        return [_entry(from_item(item)) for item in response.get("Items", [])]


def _entry(values: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        reference=values["reference"],
        actor=values["actor"],
        role=values["role"],
        agency=values["agency"],
        action=values["action"],
        at=time(values["at"]),
        request_id=values["request_id"],
        detail=values.get("detail"),
    )
