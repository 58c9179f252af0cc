"""What happens to a case besides notes and deliveries: its events, and its corrections.

Events live in the case's own partition (`EVENT#<at>#<random>`), so the case page reads
them with the rest of the case in the one query it already makes (CaseFiles.file), and
they are only ever added. A correction rewrites the report's open part on the case item,
guarded by the version it was based on, like every other change of a case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.case import iso
from chalicelib.domain.casefile import CaseEvent
from chalicelib.domain.report import Report, split_sealed


def event_of(values: dict[str, Any]) -> CaseEvent:
    return CaseEvent(
        at=time(values["at"]),
        actor=values["actor"],
        agency=values["agency"],
        action=values["action"],
        detail=json.loads(values.get("detail") or "{}"),
    )


class CaseHistory:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def add_event(self, uow: DynamoUnitOfWork, reference: str, event: CaseEvent) -> None:
        uow.add(
            "event",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.event(reference, event.at),
                        **to_item(
                            {
                                "kind": "event",
                                "at": iso(event.at),
                                "actor": event.actor,
                                "agency": event.agency,
                                "action": event.action,
                                "detail": json.dumps(event.detail, ensure_ascii=False),
                            }
                        ),
                    },
                }
            },
        )

    def correct(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        *,
        version: int,
        report: Report,
        now: dt.datetime,
        added_keys: tuple[Sequence[str], Sequence[str]] = ((), ()),
    ) -> None:
        """Store the corrected report's open part; refused ("case") with the current item
        when the case changed since `version`. Sealed fields are not touched: nothing
        that can be corrected is sealed (domain/corrections.py). The search and blocking
        keys the correction adds (`added_keys`) are recorded on the case item beside those
        of intake, so that erasing the case reaches them too."""
        open_part, _ = split_sealed(report.model_dump(mode="json"))
        expression = "SET version = version + :one, updated_at = :now, #report = :report"
        names = {"#report": "report"}
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":now": {"S": iso(now)},
            ":version": {"N": str(version)},
            ":report": {"S": json.dumps(open_part, ensure_ascii=False)},
        }
        recorded = zip(("search_keys", "blocking_keys"), added_keys, strict=True)
        for i, (attribute, added) in enumerate(recorded):
            if added:
                names[f"#k{i}"] = attribute
                values[f":k{i}"] = {"L": [{"S": k} for k in added]}
                expression += f", #k{i} = list_append(if_not_exists(#k{i}, :none), :k{i})"
                values[":none"] = {"L": []}
        uow.add(
            "case",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.case(reference),
                    "UpdateExpression": expression,
                    "ConditionExpression": "version = :version",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )

    def remove_events(self, uow: DynamoUnitOfWork, reference: str, events: list[str]) -> None:
        """Events by their ids (sort keys), as the case's traces read them."""
        for event in events:
            uow.add(
                "event",
                {"Delete": {"TableName": self._table, "Key": keys.case_item(reference, event)}},
            )
