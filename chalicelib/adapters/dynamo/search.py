"""Staff search and the staff list in the cases table.

Search keys (domain/search.py) are written with the case at intake, one item per key and
case, newest first, like matching's blocking keys: a lookup is one query of a bounded
number of items, whatever the size of the table. A correction adds the corrected report's
keys and leaves the old ones (items are never rewritten): a search checks every candidate
against the case as it stands, so an old key finds nothing.

Staff members are recorded in one small partition (`STAFF`): coalition staff number in
the hundreds, so reading everyone is one query, cached a minute by the functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, query_all, time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.case import iso
from chalicelib.domain.colleagues import Colleague, StaffList


class SearchIndex:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        received_at: dt.datetime,
        search_keys: list[str],
    ) -> None:
        received = keys.received_key(reference, received_at)
        for search_key in search_keys:
            uow.add(
                "search-key",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **keys.search(search_key, received),
                            **to_item({"kind": "searchkey", "reference": reference}),
                        },
                    }
                },
            )

    def remove(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        received_at: dt.datetime,
        search_keys: list[str],
    ) -> None:
        """The case is no longer found under these keys (it was anonymised)."""
        received = keys.received_key(reference, received_at)
        for search_key in search_keys:
            uow.add(
                "search-key",
                {"Delete": {"TableName": self._table, "Key": keys.search(search_key, received)}},
            )

    def references(self, search_key: str, limit: int) -> list[str]:
        """The newest `limit` cases under one search key."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.search_partition(search_key)}},
            ProjectionExpression="#reference",
            ExpressionAttributeNames={"#reference": "reference"},
            ScanIndexForward=False,
            Limit=limit,
        )
        return list(dict.fromkeys(item["reference"]["S"] for item in response.get("Items", [])))


def _colleague(values: dict[str, Any]) -> Colleague:
    return Colleague(
        subject=values["subject"],
        name=values.get("name"),
        role=values["role"],
        agency=values["agency"],
        seen_at=time(values["seen_at"]),
    )


class StaffDirectory:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def record(self, colleague: Colleague) -> None:
        """Who this person is now (a later sign-in with another name replaces it)."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **keys.staff_member(colleague.subject),
                **to_item(
                    {
                        "kind": "staff",
                        "subject": colleague.subject,
                        "name": colleague.name,
                        "role": colleague.role,
                        "agency": colleague.agency,
                        "seen_at": iso(colleague.seen_at),
                    }
                ),
            },
        )

    def everyone(self) -> StaffList:
        people = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.STAFF}},
        )
        return StaffList(tuple(_colleague(values) for values in people))

    def get(self, subject: str) -> Colleague | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.staff_member(subject), ConsistentRead=True
        )
        return _colleague(from_item(response["Item"])) if "Item" in response else None

    def sign_out(self, session_id: str, until: int) -> None:
        # Removed by the table's TTL once the session would have ended anyway.
        item = to_item({"kind": "signed-out", "expires_at": until})
        self._client.put_item(TableName=self._table, Item={**keys.signed_out(session_id), **item})

    def signed_out(self, session_id: str) -> bool:
        # Consistent: the copy of a cookie used right after signing out is refused too.
        response = self._client.get_item(
            TableName=self._table,
            Key=keys.signed_out(session_id),
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        return "Item" in response
