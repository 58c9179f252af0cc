"""The reporters' blind index in the cases table: which cases a person reported.

One item per case and per e-mail address or phone number of its reporter, under a keyed
hash of it (domain/erasure.py): a coordinator answering a person's request finds every
case they reported with one query, and the table never holds the address in the clear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork


class ReporterIndex:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        received_at: dt.datetime,
        reporter_keys: list[str],
    ) -> None:
        received = keys.received_key(reference, received_at)
        for reporter_key in reporter_keys:
            uow.add(
                "reporter-key",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **keys.reporter(reporter_key, received),
                            **to_item({"kind": "reporter", "reference": reference}),
                        },
                    }
                },
            )

    def remove(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        received_at: dt.datetime,
        reporter_keys: list[str],
    ) -> None:
        received = keys.received_key(reference, received_at)
        for reporter_key in reporter_keys:
            key = keys.reporter(reporter_key, received)
            uow.add("reporter-key", {"Delete": {"TableName": self._table, "Key": key}})

    def references(self, reporter_key: str, limit: int = 100) -> list[str]:
        """The cases reported under one key, newest first."""
        found: list[str] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.reporter_partition(reporter_key)}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        while len(found) < limit:
            page = self._client.query(**request, Limit=limit - len(found))
            found += [item["reference"]["S"] for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found
