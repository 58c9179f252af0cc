"""Candidate pairs of reports about the same child, kept in the Homeward table.

| item | pk | sk |
| --- | --- | --- |
| blocking key (written with the case) | `MATCHKEY#<key>` | `<received key>` |
| candidate pair, one per side | `CASE#<reference>` | `MATCH#<other reference>` |

Finding the candidates of a case costs one query per blocking key (at most eight) and
one batch read, whatever the size of the table.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import _case_key, applied, from_item, to_item
from chalicelib.domain.case import iso

# How many of the newest cases one key may bring: a very common name in a very common
# year must not make matching cost grow with the table.
PER_KEY = 50
MAX_CANDIDATES = 100


class AlreadyDecided(Exception):
    pass


def key_items(table: str, reference: str, received_key: str, keys: list[str]) -> list[dict]:
    """Puts for a case's blocking keys, to ride in the transaction that opens the case."""
    return [
        {
            "Put": {
                "TableName": table,
                "Item": to_item(
                    {
                        "pk": f"MATCHKEY#{key}",
                        "sk": received_key,
                        "kind": "matchkey",
                        "reference": reference,
                    }
                ),
            }
        }
        for key in keys
    ]


class Matchbook:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def candidates(self, keys: list[str], *, exclude: str) -> tuple[list[str], int]:
        """References sharing a blocking key, newest first; and the queries it took."""
        found: dict[str, None] = {}
        for key in keys:
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"MATCHKEY#{key}"}},
                ScanIndexForward=False,
                Limit=PER_KEY,
            )
            for item in response.get("Items", []):
                reference = item["reference"]["S"]
                if reference != exclude:
                    found[reference] = None
        return list(found)[:MAX_CANDIDATES], len(keys)

    def reports(self, references: list[str]) -> dict[str, dict[str, Any]]:
        """The reports of the candidate cases, in one batch read (at most 100)."""
        if not references:
            return {}
        request = {
            self._table: {
                "Keys": [_case_key(r) for r in references],
                "ProjectionExpression": "#reference, #report",
                "ExpressionAttributeNames": {"#reference": "reference", "#report": "report"},
            }
        }
        found: dict[str, dict[str, Any]] = {}
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(self._table, []):
                values = from_item(item)
                found[values["reference"]] = json.loads(values["report"])
            request = response.get("UnprocessedKeys") or {}
        return found

    def record_pair(
        self,
        reference: str,
        other: str,
        *,
        verdict: str,
        score: float,
        explanation: dict[str, str],
        now: dt.datetime,
    ) -> bool:
        """Store a candidate pair on both cases; False if it was already there."""
        common = {
            "kind": "match",
            "verdict": verdict,
            "score": Decimal(str(score)),
            "explanation": explanation,
            "review": "potential",
            "found_at": iso(now),
        }
        return applied(
            self._client.transact_write_items,
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": f"CASE#{a}",
                                "sk": f"MATCH#{b}",
                                "reference": a,
                                "other": b,
                                **common,
                            }
                        ),
                        # A pair already found (perhaps already reviewed) stays as it is.
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for a, b in ((reference, other), (other, reference))
            ],
        )

    def matches_of(self, reference: str) -> list[dict[str, Any]]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :match)",
            ExpressionAttributeValues={
                ":pk": {"S": f"CASE#{reference}"},
                ":match": {"S": "MATCH#"},
            },
            ConsistentRead=True,
        )
        return [from_item(i) for i in response.get("Items", [])]

    def decide(
        self,
        reference: str,
        other: str,
        *,
        decision: str,
        decided_by: str,
        now: dt.datetime,
        extra: list[dict[str, Any]],
    ) -> None:
        """Confirm or reject a potential pair, on both sides, with the `extra` writes.

        The pair must still be potential: two people deciding at once cannot both win.
        """
        updates = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": f"CASE#{a}"}, "sk": {"S": f"MATCH#{b}"}},
                    "UpdateExpression": (
                        "SET review = :decision, decided_by = :by, decided_at = :at"
                    ),
                    "ConditionExpression": "review = :potential",
                    "ExpressionAttributeValues": {
                        ":decision": {"S": decision},
                        ":by": {"S": decided_by},
                        ":at": {"S": iso(now)},
                        ":potential": {"S": "potential"},
                    },
                }
            }
            for a, b in ((reference, other), (other, reference))
        ]
        try:
            self._client.transact_write_items(TransactItems=updates + extra)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons[:2]):
                raise AlreadyDecided() from None
            raise

    def link_and_alert(
        self, a: str, b: str, alerts: list[dict[str, Any]], now: dt.datetime
    ) -> list:
        """Writes that link two cases both ways and put an alert in each one's outbox."""
        links = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _case_key(x),
                    "UpdateExpression": "SET version = version + :one, updated_at = :now "
                    "ADD links :other",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {
                        ":one": {"N": "1"},
                        ":now": {"S": iso(now)},
                        ":other": {"SS": [y]},
                    },
                }
            }
            for x, y in ((a, b), (b, a))
        ]
        outbox = [{"Put": {"TableName": self._table, "Item": alert}} for alert in alerts]
        return links + outbox
