"""Who may work a case: the agencies it was routed to, in the cases table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork


class Mandates:
    """Which agencies a case was routed to: their caseworkers may see and work it.

    Kept twice on purpose: an item per agency and case (`MANDATE#<agency>`, newest first,
    for a caseworker's list) and the set of agencies on the case item (for checking one
    case without a query).
    """

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def grant(
        self, uow: DynamoUnitOfWork, reference: str, received_at: dt.datetime, agencies: list[str]
    ) -> None:
        received = keys.received_key(reference, received_at)
        for agency in agencies:
            uow.add(
                "mandate",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **keys.mandate(agency, received),
                            **to_item({"kind": "mandate", "reference": reference}),
                        },
                    }
                },
            )
        uow.add(
            "mandated-case",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.case(reference),
                    "UpdateExpression": "ADD agencies :agencies",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":agencies": {"SS": sorted(agencies)}},
                }
            },
        )

    def revoke(
        self, uow: DynamoUnitOfWork, reference: str, received_at: dt.datetime, agencies: list[str]
    ) -> None:
        """Agencies lose the case: their mandate items go (the case item's own list is
        changed with the rest of the case, services/erasure.py).

        The dispatcher grants a mandate with the time its alert item gives, which is kept
        to the second: both that key and the exact one are deleted (two items per agency).
        """
        for agency in agencies:
            for received in revoked_keys(reference, received_at):
                uow.add(
                    "revoked",
                    {"Delete": {"TableName": self._table, "Key": keys.mandate(agency, received)}},
                )

    def agencies_of(self, references: list[str]) -> dict[str, frozenset[str]]:
        """The agencies each case is routed to (for checking a caseworker's mandate)."""
        found: dict[str, frozenset[str]] = {}
        for start in range(0, len(references), 100):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [keys.case(r) for r in references[start : start + 100]],
                    "ProjectionExpression": "#reference, agencies",
                    "ExpressionAttributeNames": {"#reference": "reference"},
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table, []):
                    values = from_item(item)
                    found[values["reference"]] = frozenset(values.get("agencies") or ())
                request = response.get("UnprocessedKeys") or {}
        return found


def revoked_keys(reference: str, received_at: dt.datetime) -> list[str]:
    exact = keys.received_key(reference, received_at)
    to_the_second = keys.received_key(reference, received_at.replace(microsecond=0))
    return list(dict.fromkeys([exact, to_the_second]))
