"""Counts of cases by status, oblast, category and urgency, kept as they change: of all
cases, and of each agency's mandate (what a caseworker's statistics cover).

Counters are spread over shards so that busy hours do not make one item a hot spot (or a
source of transaction conflicts); reading them sums all shards.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, query_all
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.casefile import Counted
from chalicelib.domain.response_times import AckSample


def _counters(case: Counted, one: int) -> dict[str, int]:
    counters = {
        "total": one,
        f"status#{case.status}": one,
        f"oblast#{case.oblast}": one,
        f"category#{case.category}": one,
    }
    if case.urgent:
        counters["urgent"] = one
    if case.week:
        counters[f"week#{case.week}"] = one
    return counters


class Statistics:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def count_new(
        self, uow: DynamoUnitOfWork, case: Counted, agencies: Sequence[str | None] = (None,)
    ) -> None:
        """A new case: in all cases' counts (None), or as it enters agencies' mandates."""
        for agency in agencies:
            self._add(uow, _counters(case, 1), agency)

    def count_removed(self, uow: DynamoUnitOfWork, case: Counted, agencies: Sequence[str]) -> None:
        """A case leaves agencies' mandates (all cases' counts keep it, anonymised or not)."""
        for agency in agencies:
            self._add(uow, _counters(case, -1), agency)

    def count_move(
        self, uow: DynamoUnitOfWork, was: str, target: str, agencies: Sequence[str] = ()
    ) -> None:
        for agency in (None, *agencies):
            self._add(uow, {f"status#{was}": -1, f"status#{target}": 1}, agency)

    def count_caseload(
        self,
        uow: DynamoUnitOfWork,
        was: str | None,
        now: str | None,
        agencies: Sequence[str] = (),
    ) -> None:
        """An open case changed hands (or opened, or was set aside): each person's count
        of open cases assigned to them, in all cases' counts and each mandate's."""
        counters = {f"assignee#{who}": n for who, n in ((was, -1), (now, 1)) if who}
        if counters:
            for agency in (None, *agencies):
                self._add(uow, counters, agency)

    def record_acknowledgement(self, uow: DynamoUnitOfWork, sample: AckSample) -> None:
        """One acknowledgement that stopped a ladder: its desk, week, seconds, lateness."""
        uow.add(
            "ack-sample",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.ack_sample(sample.week, sample.agency, dt.datetime.now(dt.UTC)),
                        "agency": {"S": sample.agency},
                        "week": {"S": sample.week},
                        "seconds": {"N": str(round(sample.seconds, 3))},
                        "late": {"BOOL": sample.late},
                    },
                }
            },
        )

    def acknowledgements(self, weeks: Sequence[str]) -> list[AckSample]:
        """Every sample of these weeks (one query per week)."""
        found: list[AckSample] = []
        for week in weeks:
            request = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": keys.ack_week(week)}},
            }
            found += [
                AckSample(v["agency"], v["week"], float(v["seconds"]), bool(v["late"]))
                for v in query_all(self._client, **request)
            ]
        return found

    def _add(self, uow: DynamoUnitOfWork, counters: dict[str, int], agency: str | None) -> None:
        uow.add(
            "statistics",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.statistics_shard(secrets.randbelow(keys.STATISTICS_SHARDS), agency),
                    "UpdateExpression": "ADD "
                    + ", ".join(f"#c{i} :c{i}" for i in range(len(counters))),
                    "ExpressionAttributeNames": {f"#c{i}": n for i, n in enumerate(counters)},
                    "ExpressionAttributeValues": {
                        f":c{i}": {"N": str(v)} for i, v in enumerate(counters.values())
                    },
                }
            },
        )

    def read(self, agency: str | None = None) -> dict[str, Any]:
        """All cases' counts, or one agency's mandate's."""
        response = self._client.batch_get_item(
            RequestItems={
                self._table: {
                    "Keys": [
                        keys.statistics_shard(n, agency) for n in range(keys.STATISTICS_SHARDS)
                    ]
                }
            }
        )
        totals: dict[str, int] = {}
        for shard in map(from_item, response["Responses"].get(self._table, [])):
            for name, count in shard.items():
                if name not in ("pk", "sk"):
                    totals[name] = totals.get(name, 0) + int(count)
        grouped: dict[str, Any] = {
            "total": totals.get("total", 0),
            "urgent": totals.get("urgent", 0),
        }
        for dimension in ("status", "oblast", "category", "week", "assignee"):
            grouped[dimension] = {
                name.split("#", 1)[1]: count
                for name, count in sorted(totals.items())
                if name.startswith(f"{dimension}#") and count
            }
        return grouped
