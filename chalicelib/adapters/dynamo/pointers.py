"""Items that point from a key to a case, newest first: the blocking keys of matching and
the reporters' blind index share this shape (one item per case and key, keyed
`<PARTITION>#<key>` / the case's received key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork


class CasePointers:
    """One index of pointers; a subclass names its key builders, item kind and the name
    its writes have in a unit of work."""

    operation: ClassVar[str]
    kind: ClassVar[str]
    partition: ClassVar[Callable[[str], str]]
    item_key: ClassVar[Callable[[str, str], keys.Key]]
    # Whether a read must see the writes just committed (a person's request must find
    # every case); matching can take an eventually consistent read at half the price.
    consistent: ClassVar[bool] = True

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(
        self, uow: DynamoUnitOfWork, reference: str, received_at: dt.datetime, under: list[str]
    ) -> None:
        received = keys.received_key(reference, received_at)
        for pointer in under:
            item = {**type(self).item_key(pointer, received), **to_item(self._values(reference))}
            uow.add(self.operation, {"Put": {"TableName": self._table, "Item": item}})

    def remove(
        self, uow: DynamoUnitOfWork, reference: str, received_at: dt.datetime, under: list[str]
    ) -> None:
        """The case leaves the index: nothing later finds it under these keys."""
        received = keys.received_key(reference, received_at)
        for pointer in under:
            key = type(self).item_key(pointer, received)
            uow.add(self.operation, {"Delete": {"TableName": self._table, "Key": key}})

    def references(self, pointer: str, limit: int = 100) -> list[str]:
        """The newest `limit` cases under one key."""
        found: list[str] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": type(self).partition(pointer)}},
            "ScanIndexForward": False,
            "ConsistentRead": self.consistent,
        }
        while len(found) < limit:
            page = self._client.query(**request, Limit=limit - len(found))
            found += [item["reference"]["S"] for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def _values(self, reference: str) -> dict[str, str]:
        return {"kind": self.kind, "reference": reference}
