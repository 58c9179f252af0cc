"""A case's return and the help after it, mediation lists, and the pointers that find
them (a provider's referrals, closures waiting for approval, follow-ups falling due).

A record is one item, its document JSON (pydantic's), guarded by its version: two people
changing one child's record at once cannot lose either change.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, query_all
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.aftercare import Aftercare
from chalicelib.domain.mediation import MediationList
from chalicelib.domain.progress import return_stage
from chalicelib.domain.referrals import Referral


def _guard(version: int) -> dict[str, Any]:
    if version == 0:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :v",
        "ExpressionAttributeValues": {":v": {"N": str(version)}},
    }


class AftercareStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    # -- records --

    def get(self, reference: str) -> Aftercare | None:
        found = self._client.get_item(
            TableName=self._table, Key=keys.aftercare(reference), ConsistentRead=True
        )
        if "Item" not in found:
            return None
        return Aftercare.model_validate_json(found["Item"]["doc"]["S"])

    def save(
        self, uow: DynamoUnitOfWork, record: Aftercare, *, follow_up_due: dt.date | None
    ) -> None:
        """The record as changed from `record.version` (Refused "aftercare" if another
        change came first), stored at the next version."""
        saved = record.model_copy(update={"version": record.version + 1})
        item: dict[str, Any] = {
            **keys.aftercare(record.reference),
            "kind": {"S": "aftercare"},
            "version": {"N": str(saved.version)},
            "doc": {"S": saved.model_dump_json()},
        }
        if follow_up_due is not None:
            item["state_key"] = {"S": keys.FOLLOW_UPS_DUE}
            item["state_at"] = {"S": keys.follow_up_at(follow_up_due, record.reference)}
        uow.add(
            "aftercare", {"Put": {"TableName": self._table, "Item": item, **_guard(record.version)}}
        )
        word = return_stage(record)
        if word is not None:
            shown = {
                **keys.reporter_word(record.reference),
                "kind": {"S": "return-word"},
                "word": {"S": word},
            }
            uow.add("reporter-word", {"Put": {"TableName": self._table, "Item": shown}})

    def reporter_word(self, reference: str) -> str | None:
        found = self._client.get_item(
            TableName=self._table,
            Key=keys.reporter_word(reference),
            ProjectionExpression="word",
        )
        return found["Item"]["word"]["S"] if "Item" in found else None

    def all(self) -> list[Aftercare]:
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.AFTERCARE}},
        )
        return [Aftercare.model_validate_json(i["doc"]) for i in items]

    def follow_ups_due_before(self, day: dt.date, limit: int = 100) -> list[str]:
        """Cases whose next follow-up was due before `day`, the longest overdue first."""
        found = self._client.query(
            TableName=self._table,
            IndexName=keys.STATE_INDEX,
            KeyConditionExpression="state_key = :key AND state_at < :day",
            ExpressionAttributeValues={
                ":key": {"S": keys.FOLLOW_UPS_DUE},
                ":day": {"S": day.isoformat()},
            },
            Limit=limit,
        )
        return [from_item(i)["sk"] for i in found.get("Items", [])]

    def erase(self, uow: DynamoUnitOfWork, record: Aftercare) -> None:
        doomed = [
            keys.aftercare(record.reference),
            keys.closure(record.reference),
            *(
                keys.referral(r.provider, r.created_at, r.reference, r.referral_id)
                for r in record.referrals
            ),
        ]
        for key in doomed:
            uow.add("aftercare", {"Delete": {"TableName": self._table, "Key": key}})

    # -- a provider's inbox, closures waiting --

    def add_referral(self, uow: DynamoUnitOfWork, referral: Referral) -> None:
        key = keys.referral(
            referral.provider, referral.created_at, referral.reference, referral.referral_id
        )
        item = {
            **key,
            "reference": {"S": referral.reference},
            "referral_id": {"S": referral.referral_id},
        }
        uow.add(
            "referral",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def referrals_of(self, provider: str, limit: int = 200) -> list[tuple[str, str]]:
        """(reference, referral id) of the referrals to a provider, newest first."""
        found = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.referrals_partition(provider)}},
            ScanIndexForward=False,
            Limit=limit,
        )
        items = [from_item(i) for i in found.get("Items", [])]
        return [(i["reference"], i["referral_id"]) for i in items]

    def closure_waiting(self, uow: DynamoUnitOfWork, reference: str, waiting: bool) -> None:
        # Marked rather than deleted: the API's role deletes only in a few partitions
        # (infra/package.py), and a decided closure's marker is as small as can be.
        item = {
            **keys.closure(reference),
            "reference": {"S": reference},
            "waiting": {"BOOL": waiting},
        }
        uow.add("closure", {"Put": {"TableName": self._table, "Item": item}})

    def closures_waiting(self) -> list[str]:
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="waiting = :yes",
            ExpressionAttributeValues={":pk": {"S": keys.CLOSURES}, ":yes": {"BOOL": True}},
        )
        return [i["reference"] for i in items]

    # -- mediation lists --

    def mediation_list(self, list_id: str) -> MediationList | None:
        found = self._client.get_item(
            TableName=self._table, Key=keys.mediation_list(list_id), ConsistentRead=True
        )
        if "Item" not in found:
            return None
        return MediationList.model_validate_json(found["Item"]["doc"]["S"])

    def save_list(self, uow: DynamoUnitOfWork, listed: MediationList) -> None:
        saved = listed.model_copy(update={"version": listed.version + 1})
        item = {
            **keys.mediation_list(listed.list_id),
            "version": {"N": str(saved.version)},
            "doc": {"S": saved.model_dump_json()},
        }
        uow.add(
            "mediation-list",
            {"Put": {"TableName": self._table, "Item": item, **_guard(listed.version)}},
        )

    def mediation_lists(self) -> list[MediationList]:
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.MEDIATION}},
        )
        lists = [MediationList.model_validate(json.loads(i["doc"])) for i in items]
        return sorted(lists, key=lambda m: m.created_at, reverse=True)
