"""The data lifecycle of a case in the cases table: what erasing has to reach, erasing
it, and the cases whose retention ran out.

Nothing here opens a sealed field: a sealed group is erased by removing its attribute,
so the functions that erase need no KMS key at all (adapters/sealing.py).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.cases import (
    LEGACY_SEALED,
    SEALED_ATTRIBUTES,
    attachment_of,
    sealed_groups,
)
from chalicelib.adapters.dynamo.deliveries import consent_values
from chalicelib.adapters.dynamo.items import query_all, time, to_item
from chalicelib.adapters.dynamo.items import value as serialised
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.case import iso
from chalicelib.domain.erasure import Erasure, Traces
from chalicelib.domain.report import STORED, Report, split_sealed
from chalicelib.domain.workflow import Status

# What `traces` reads of a case's items (the case item, its notes, its pairs).
_TRACED = (
    "sk",
    "kind",
    "other",
    "reference",
    "received_at",
    "received_key",
    "status",
    "version",
    "report",
    "updated_at",
    "agencies",
    "attachments",
    "blocking_keys",
    "reporter_keys",
    "search_keys",
    "action",
    "withdrawn_at",
    "anonymised_at",
    "names_reporter",
    LEGACY_SEALED,
    *SEALED_ATTRIBUTES.values(),
)


class CaseLifecycle:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def traces(self, reference: str) -> Traces | None:
        """The case item, its notes, its events and its pairs: one query on the case's
        partition (the sort keys it needs begin with CASE, MATCH#, NOTE# and EVENT#;
        deliveries and alerts hold no personal data and are not read)."""
        # Which groups are sealed is read from the attributes' presence: the ciphertext
        # comes along, and is never opened.
        names = {f"#p{i}": name for i, name in enumerate(_TRACED)}
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.case_partition(reference)}},
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            ConsistentRead=True,
        )
        values = next((i for i in items if i.get("kind") == "case"), None)
        if values is None:
            return None
        # To the microsecond, as the derived items' keys were built (received_at is kept
        # to the second).
        received_at = keys.received_at_of(values["received_key"])
        return Traces(
            reference=reference,
            received_at=received_at,
            status=Status(values["status"]),
            version=int(values["version"]),
            report=Report.model_validate(json.loads(values["report"]), context=STORED),
            changed_at=time(values.get("updated_at")) or received_at,
            agencies=frozenset(values.get("agencies") or ()),
            sealed=sealed_groups(values),
            blocking_keys=tuple(dict.fromkeys(values.get("blocking_keys") or ())),
            reporter_keys=tuple(values.get("reporter_keys") or ()),
            search_keys=tuple(dict.fromkeys(values.get("search_keys") or ())),
            attachments=tuple(attachment_of(a) for a in values.get("attachments") or ()),
            notes=tuple(i["sk"] for i in items if i.get("kind") == "note"),
            reporter_notes=tuple(
                i["sk"] for i in items if i.get("kind") == "note" and i.get("names_reporter")
            ),
            grants=tuple(i["sk"] for i in items if i.get("kind") == "grant"),
            pairs=tuple(sorted(i["other"] for i in items if i.get("kind") == "match")),
            events=tuple(
                i["sk"] for i in items if i.get("kind") == "event" and i.get("action") == "correct"
            ),
            withdrawn_at=time(values.get("withdrawn_at")),
            anonymised_at=time(values.get("anonymised_at")),
        )

    def erase(self, uow: DynamoUnitOfWork, traces: Traces, erasure: Erasure) -> None:
        """Rewrite the case item as the erasure says; refused ("case") if the case changed
        since its traces were read (the derived items were read with it)."""
        open_part, _ = split_sealed(erasure.report.model_dump(mode="json"))
        sets = {
            "#report": json.dumps(open_part, ensure_ascii=False),
            "consent": consent_values(erasure.consent),
        }
        removes = [SEALED_ATTRIBUTES[g] for g in sorted(erasure.groups)]
        if erasure.groups:
            # A case sealed before there were groups has one blob for both: erasing
            # either group erases it all (the child's sensitive details with it).
            removes.append(LEGACY_SEALED)
        if traces.sealed <= erasure.groups:
            removes.append("sealed_key")  # nothing left that it opens
        if erasure.agencies is not None:
            if erasure.agencies:
                sets["agencies"] = set(erasure.agencies)
            else:
                removes.append("agencies")
        if erasure.blocking_keys or erasure.anonymised_at:
            removes.append("blocking_keys")
        if erasure.reporter_keys or erasure.anonymised_at:
            removes.append("reporter_keys")
        if erasure.search_keys or erasure.anonymised_at:
            removes.append("search_keys")
        if erasure.files:
            removes.append("attachments")
        if erasure.withdrawn_at:
            sets["withdrawn_at"] = iso(erasure.withdrawn_at)
        if erasure.anonymised_at:
            sets["anonymised_at"] = iso(erasure.anonymised_at)
            # Out of the retention index: a later run has nothing left to do here.
            removes += ["retention_pk", "retention_at"]
        names = {"#report": "report"}
        values = {}
        assignments = []
        for i, (name, value) in enumerate(sets.items()):
            attribute = name if name.startswith("#") else f"#s{i}"
            names.setdefault(attribute, name)
            values[f":s{i}"] = serialised(value)
            assignments.append(f"{attribute} = :s{i}")
        values[":one"] = {"N": "1"}
        values[":version"] = {"N": str(traces.version)}
        expression = "SET " + ", ".join(assignments) + ", version = version + :one"
        removed = {f"#r{i}": name for i, name in enumerate(dict.fromkeys(removes))}
        names.update(removed)
        if removed:
            expression += " REMOVE " + ", ".join(removed)
        uow.add(
            "case",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.case(traces.reference),
                    "UpdateExpression": expression,
                    "ConditionExpression": "version = :version",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )

    def request_withdrawal(
        self, uow: DynamoUnitOfWork, reference: str, at: dt.datetime, request_id: str
    ) -> None:
        """Refused as "case" when there is no such case, as "withdrawal" when it was asked
        before. The item is all the public function writes: the stream carries it to the
        function that may erase (handlers.follow_up_new_items)."""
        uow.add(
            "case",
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": keys.case(reference),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        )
        uow.add(
            "withdrawal",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.withdrawal(reference),
                        **to_item(
                            {
                                "kind": "withdrawal",
                                "reference": reference,
                                "requested_at": iso(at),
                                "request_id": request_id,
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def remove_notes(self, uow: DynamoUnitOfWork, reference: str, notes: list[str]) -> None:
        for note in notes:
            uow.add(
                "note",
                {"Delete": {"TableName": self._table, "Key": keys.case_item(reference, note)}},
            )

    def remove_grants(self, uow: DynamoUnitOfWork, reference: str, grants: list[str]) -> None:
        for grant in grants:
            uow.add(
                "grant",
                {"Delete": {"TableName": self._table, "Key": keys.case_item(reference, grant)}},
            )

    def due(self, status: Status, changed_before: dt.datetime, limit: int) -> list[str]:
        """Cases of a status that last changed before a moment, oldest first: one query
        on the retention index, which holds no anonymised case."""
        response = self._client.query(
            TableName=self._table,
            IndexName=keys.RETENTION_INDEX,
            KeyConditionExpression="retention_pk = :status AND retention_at < :before",
            ExpressionAttributeValues={
                ":status": {"S": keys.retention_pk(status)},
                ":before": {"S": keys.retention_bound(changed_before)},
            },
            Limit=limit,
        )
        return [item["reference"]["S"] for item in response.get("Items", [])]
