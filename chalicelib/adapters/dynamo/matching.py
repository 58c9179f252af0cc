"""Matching in the cases table: the blocking keys of every case, and the candidate pairs.

Finding the candidates of a case costs one query per blocking key and batch reads of
their reports, whatever the size of the table (services/matching.py bounds both).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, time, to_item
from chalicelib.adapters.dynamo.pointers import CasePointers
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.case import iso
from chalicelib.domain.matching import CandidatePair, Review, Verdict


class MatchIndex(CasePointers):
    """Blocking keys: `MATCHKEY#<key>`, one item per case, newest first."""

    operation = "blocking-key"
    kind = "matchkey"
    partition = staticmethod(keys.blocking_partition)
    item_key = staticmethod(keys.blocking)
    consistent = False


def _pair(values: dict[str, Any]) -> CandidatePair:
    return CandidatePair(
        reference=values["reference"],
        other=values["other"],
        verdict=Verdict(values["verdict"]),
        score=float(values["score"]),
        explanation=dict(values["explanation"]),
        found_at=time(values["found_at"]),
        review=Review(values["review"]),
        decided_by=values.get("decided_by"),
        decided_at=time(values.get("decided_at")),
    )


class CandidatePairs:
    """Pairs of cases that may be about one child, stored on both cases."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def record(self, pair: CandidatePair) -> bool:
        """Store a new pair on both sides; False if it was there already (perhaps decided)."""
        uow = DynamoUnitOfWork(self._client)
        for a, b in ((pair.reference, pair.other), (pair.other, pair.reference)):
            uow.add(
                "pair",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **keys.pair(a, b),
                            **to_item(
                                {
                                    "kind": "match",
                                    "reference": a,
                                    "other": b,
                                    "verdict": str(pair.verdict),
                                    "score": Decimal(str(pair.score)),
                                    "explanation": pair.explanation,
                                    "review": str(Review.POTENTIAL),
                                    "found_at": iso(pair.found_at),
                                }
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def rescore(self, pair: CandidatePair) -> bool:
        """A pair scored again after a correction, on both sides, while nobody decided it;
        False if someone did (a decision is never overwritten)."""
        uow = DynamoUnitOfWork(self._client)
        for a, b in ((pair.reference, pair.other), (pair.other, pair.reference)):
            uow.add(
                "pair",
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": keys.pair(a, b),
                        "UpdateExpression": "SET verdict = :verdict, score = :score, "
                        "explanation = :explanation",
                        "ConditionExpression": "review = :potential",
                        "ExpressionAttributeValues": {
                            ":verdict": {"S": str(pair.verdict)},
                            ":score": {"N": str(pair.score)},
                            ":explanation": to_item({"e": pair.explanation})["e"],
                            ":potential": {"S": str(Review.POTENTIAL)},
                        },
                    }
                },
            )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def remove(self, uow: DynamoUnitOfWork, reference: str, others: list[str]) -> None:
        """Pairs of the case go, on both sides, decided or not."""
        for other in others:
            for a, b in ((reference, other), (other, reference)):
                uow.add("pair", {"Delete": {"TableName": self._table, "Key": keys.pair(a, b)}})

    def of_case(self, reference: str) -> list[CandidatePair]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :match)",
            ExpressionAttributeValues={
                ":pk": {"S": keys.case_partition(reference)},
                ":match": {"S": keys.MATCH},
            },
            ConsistentRead=True,
        )
        return [_pair(from_item(i)) for i in response.get("Items", [])]

    def decide(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        other: str,
        *,
        decision: Review,
        decided_by: str,
        now: dt.datetime,
    ) -> None:
        """Confirm or reject a potential pair on both sides; refused ("pair") if someone
        decided it already: two reviewers at once cannot both win."""
        for a, b in ((reference, other), (other, reference)):
            uow.add(
                "pair",
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": keys.pair(a, b),
                        "UpdateExpression": "SET review = :decision, decided_by = :by, "
                        "decided_at = :at",
                        "ConditionExpression": "review = :potential",
                        "ExpressionAttributeValues": {
                            ":decision": {"S": str(decision)},
                            ":by": {"S": decided_by},
                            ":at": {"S": iso(now)},
                            ":potential": {"S": str(Review.POTENTIAL)},
                        },
                    }
                },
            )
