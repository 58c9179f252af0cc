"""Evidence items, their chains of custody, anchors and packages, on the cases table.

An item's chain lives in its case's evidence partition (`EVIDENCE#<reference>`): one item
per entry, written only if absent, and the item's head (the last entry's number and
hash) on the item itself, moved only from the head the writer read. Both go in the one
transaction of the action they record, so an entry exists exactly when its action
happened, and two writers can never both extend the same head (the chain never forks).

The daily anchor (services/evidence.py) keeps one small item a day in the `EVIDENCE`
partition (the Merkle root, the number of leaves, the token), and in each case's
partition one `STAMP#<day>` record for a day that stamped a new head of one of its
chains: {item: leaf and audit path}. Read with the case's items in one query (`ITEM#` to
`STAMP#` are neighbours in the sort order), nothing grows with the number of cases but
the number of records, each a few kilobytes at most.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time as clock
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, query_all, time, to_item, value
from chalicelib.adapters.dynamo.statements import StatementRecords, statement_group
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.case import iso
from chalicelib.domain.errors import Refused
from chalicelib.domain.evidence import (
    Anchor,
    CustodyEntry,
    EvidenceItem,
    Package,
    PackageState,
    Stamp,
)
from chalicelib.domain.statements import Statement


def _item_of(values: dict[str, Any]) -> EvidenceItem:
    return EvidenceItem(
        item=values["item"],
        reference=values["reference"],
        slot=int(values["slot"]),
        key=values["key"],
        version_id=values.get("version_id"),
        sha256=values["sha256"],
        size=int(values["size"]),
        content_type=values["content_type"],
        received_at=time(values["received_at"]),
        head_seq=int(values["head_seq"]),
        head_hash=values["head_hash"],
        working_sha256=values["working_sha256"],
    )


def _package_of(values: dict[str, Any]) -> Package:
    return Package(
        package_id=values["package_id"],
        recipient=values["recipient"],
        built_at=time(values["built_at"]),
        built_by=values["built_by"],
        items={k: tuple(v) for k, v in json.loads(values["items"]).items()},
        key=values["key"],
        sha256=values["sha256"],
        state=PackageState(values["state"]),
        handed_over_at=time(values.get("handed_over_at")),
    )


class CustodyStore(StatementRecords):
    def __init__(self, client: Any, table: str, sealer: Any = None) -> None:
        self._client = client
        self._table = table
        # A witness statement's record is sealed as a case's personal fields are
        # (adapters/sealing.py): the table holds its hash, never its words or the name.
        self._sealer = sealer

    def _entries(self, uow: DynamoUnitOfWork, item: EvidenceItem, entries: list[CustodyEntry]):
        for entry in entries:
            uow.add(
                "custody",
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            **keys.custody(item.reference, item.slot, entry.seq),
                            **to_item({"kind": "custody", **entry.as_record()}),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            )

    def keep(
        self,
        uow: DynamoUnitOfWork,
        item: EvidenceItem,
        entries: list[CustodyEntry],
        sealed: dict[str, Any] | None = None,
    ):
        last = entries[-1]
        values = {
            "kind": "evidence",
            "item": item.item,
            "reference": item.reference,
            "slot": item.slot,
            "key": item.key,
            "version_id": item.version_id,
            "sha256": item.sha256,
            "size": item.size,
            "content_type": item.content_type,
            "received_at": iso(item.received_at),
            "working_sha256": item.working_sha256,
            "head_seq": last.seq,
            "head_hash": last.hash,
            **(sealed or {}),
        }
        uow.add(
            "evidence",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**keys.evidence_item(item.reference, item.slot), **to_item(values)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        self._entries(uow, item, entries)

    def keep_statement(
        self,
        uow: DynamoUnitOfWork,
        item: EvidenceItem,
        entries: list[CustodyEntry],
        statement: Statement,
    ):
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        group = statement_group(statement.number)
        blobs, key_blob = self._sealer.seal(
            statement.reference, {group: {"record": statement.sealed().decode()}}
        )
        sealed = {"statement": statement.number, "sealed": blobs[group], "sealed_key": key_blob}
        self.keep(uow, item, entries, sealed)

    def statements_of(self, reference: str) -> list[Statement]:
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        kept = []
        for values in self._items(reference):
            if "statement" not in values or "sealed" not in values:
                continue  # an original, or a statement whose words were erased
            group = statement_group(int(values["statement"]))
            opened = self._sealer.open(
                reference, group, bytes(values["sealed"]), bytes(values["sealed_key"])
            )
            kept.append(Statement.from_sealed(opened["record"], values["sha256"]))
        return sorted(kept, key=lambda s: s.number)

    def register(self, uow: DynamoUnitOfWork, reference: str) -> None:
        uow.add(
            "evidence-case",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.evidence_index("CASE", reference),
                        **to_item({"kind": "evidence-case", "reference": reference}),
                    },
                }
            },
        )

    def append(self, uow: DynamoUnitOfWork, item: EvidenceItem, entries: list[CustodyEntry]):
        last = entries[-1]
        uow.add(
            "custody-head",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.evidence_item(item.reference, item.slot),
                    "UpdateExpression": "SET head_seq = :seq, head_hash = :hash",
                    "ConditionExpression": "head_seq = :was AND head_hash = :was_hash",
                    "ExpressionAttributeValues": {
                        ":seq": value(last.seq),
                        ":hash": value(last.hash),
                        ":was": value(item.head_seq),
                        ":was_hash": value(item.head_hash),
                    },
                }
            },
        )
        self._entries(uow, item, entries)

    def _items(self, reference: str) -> list[dict[str, Any]]:
        return query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :item)",
            ExpressionAttributeValues={
                ":pk": value(keys.evidence_partition(reference)),
                ":item": value("ITEM#"),
            },
            ConsistentRead=True,
        )

    def items_of(self, reference: str) -> list[EvidenceItem]:
        return sorted((_item_of(v) for v in self._items(reference)), key=lambda i: i.slot)

    def chain(self, item: EvidenceItem) -> list[CustodyEntry]:
        found = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :custody)",
            ExpressionAttributeValues={
                ":pk": value(keys.evidence_partition(item.reference)),
                ":custody": value(f"CUSTODY#{item.slot}#"),
            },
            ConsistentRead=True,
        )
        return [CustodyEntry.from_record(v) for v in found]

    def _evidence(self, prefix: str) -> list[dict[str, Any]]:
        return query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": value(keys.EVIDENCE), ":prefix": value(prefix)},
            ConsistentRead=True,
        )

    def references(self) -> list[str]:
        return [v["reference"] for v in self._evidence(keys.CASE)]

    def withdraw(self, uow: DynamoUnitOfWork, reference: str, at: dt.datetime) -> None:
        uow.add(
            "withdrawal",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.evidence_of(reference, "WITHDRAWN"),
                        **to_item({"kind": "evidence-withdrawn", "at": iso(at)}),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def withdrawn_at(self, reference: str) -> dt.datetime | None:
        found = self._client.get_item(
            TableName=self._table, Key=keys.evidence_of(reference, "WITHDRAWN"), ConsistentRead=True
        ).get("Item")
        return time(from_item(found)["at"]) if found else None

    def add_anchor(self, anchor: Anchor) -> bool:
        values = {
            "kind": "anchor",
            "day": anchor.day,
            "root": anchor.root,
            "leaves": anchor.leaves,
            "token": base64.b64encode(anchor.token).decode(),
        }
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "anchor",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**keys.evidence_index("ANCHOR", anchor.day), **to_item(values)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def anchor(self, day: str) -> Anchor | None:
        found = self._client.get_item(
            TableName=self._table, Key=keys.evidence_index("ANCHOR", day), ConsistentRead=True
        ).get("Item")
        if not found:
            return None
        v = from_item(found)
        # A day anchored before the tree (its item named every head) still counts as
        # anchored; no stamp points to it, so nothing reads its root.
        root, leaves = v.get("root", ""), int(v.get("leaves", 0))
        return Anchor(v["day"], root, leaves, base64.b64decode(v["token"]))

    def last_anchor_day(self) -> str | None:
        found = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": value(keys.EVIDENCE), ":prefix": value("ANCHOR#")},
            ProjectionExpression="sk",
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        ).get("Items", [])
        return from_item(found[0])["sk"].removeprefix("ANCHOR#") if found else None

    def add_stamps(self, stamps: list[tuple[str, Stamp]]) -> None:
        records: dict[tuple[str, str], dict[str, Any]] = {}
        for reference, stamp in stamps:
            records.setdefault((reference, stamp.day), {})[stamp.item] = stamp.as_record()
        puts = [
            {
                "PutRequest": {
                    "Item": {
                        **keys.evidence_of(reference, f"STAMP#{day}"),
                        **to_item({"kind": "stamp", "day": day, "stamps": json.dumps(items)}),
                    }
                }
            }
            for (reference, day), items in records.items()
        ]
        for start in range(0, len(puts), 25):  # BatchWriteItem's most
            self._batch(puts[start : start + 25])

    def _batch(self, puts: list[dict[str, Any]]) -> None:
        """Write one batch, again for what DynamoDB left unprocessed (throttled)."""
        for attempt in range(8):
            left = self._client.batch_write_item(RequestItems={self._table: puts}).get(
                "UnprocessedItems", {}
            )
            puts = left.get(self._table, [])
            if not puts:
                return
            clock.sleep(min(0.05 * 2**attempt, 2))
        raise RuntimeError(f"{len(puts)} stamp record(s) left unwritten after retries")

    def items_and_stamps(self, reference: str) -> tuple[list[EvidenceItem], list[Stamp]]:
        found = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :item AND :stamp",
            ExpressionAttributeValues={
                ":pk": value(keys.evidence_partition(reference)),
                ":item": value("ITEM#"),
                ":stamp": value("STAMP#~"),
            },
            ConsistentRead=True,
        )
        items = [_item_of(v) for v in found if v["sk"].startswith("ITEM#")]
        stamps = [
            Stamp.from_record(v["day"], item, record)
            for v in found
            if v["sk"].startswith("STAMP#")
            for item, record in sorted(json.loads(v["stamps"]).items())
        ]
        return sorted(items, key=lambda i: i.slot), stamps

    def save_package(self, uow: DynamoUnitOfWork, package: Package, *, was: Package | None = None):
        values = {
            "kind": "package",
            "package_id": package.package_id,
            "recipient": package.recipient,
            "built_at": iso(package.built_at),
            "built_by": package.built_by,
            "items": json.dumps({k: list(v) for k, v in package.items.items()}),
            "key": package.key,
            "sha256": package.sha256,
            "state": str(package.state),
            "handed_over_at": iso(package.handed_over_at) if package.handed_over_at else None,
        }
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {**keys.evidence_index("PACKAGE", package.package_id), **to_item(values)},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if was is not None:
            put["ConditionExpression"] = "#state = :state AND sha256 = :sha"
            put["ExpressionAttributeNames"] = {"#state": "state"}
            put["ExpressionAttributeValues"] = {
                ":state": value(str(was.state)),
                ":sha": value(was.sha256),
            }
        uow.add("package", {"Put": put})

    def package(self, package_id: str) -> Package | None:
        found = self._client.get_item(
            TableName=self._table,
            Key=keys.evidence_index("PACKAGE", package_id),
            ConsistentRead=True,
        ).get("Item")
        return _package_of(from_item(found)) if found else None

    def packages(self) -> list[Package]:
        return [_package_of(v) for v in self._evidence("PACKAGE#")]
