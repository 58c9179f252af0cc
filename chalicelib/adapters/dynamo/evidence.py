"""Evidence items, their chains of custody, anchors and packages, on the cases table.

An item's chain lives in its case's evidence partition (`EVIDENCE#<reference>`): one item
per entry, written only if absent, and the item's head (the last entry's number and
hash) on the item itself, moved only from the head the writer read. Both go in the one
transaction of the action they record, so an entry exists exactly when its action
happened, and two writers can never both extend the same head (the chain never forks).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, query_all, time, to_item, value
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.case import iso
from chalicelib.domain.errors import Refused
from chalicelib.domain.evidence import (
    Anchor,
    CustodyEntry,
    EvidenceItem,
    Package,
    PackageState,
)
from chalicelib.domain.statements import ConsentWithdrawal, Statement, slot_of


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


def _statement_group(number: int) -> str:
    # The sealed group's name is bound into its ciphertext: moved to another statement's
    # item, it does not open.
    return f"statement-{number}"


class CustodyStore:
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
        group = _statement_group(statement.number)
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
            group = _statement_group(int(values["statement"]))
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
                        **keys.evidence_withdrawn(reference),
                        **to_item({"kind": "evidence-withdrawn", "at": iso(at)}),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def withdrawn_at(self, reference: str) -> dt.datetime | None:
        found = self._client.get_item(
            TableName=self._table, Key=keys.evidence_withdrawn(reference), ConsistentRead=True
        ).get("Item")
        return time(from_item(found)["at"]) if found else None

    def withdraw_statement(
        self, uow: DynamoUnitOfWork, statement: Statement, withdrawal: ConsentWithdrawal
    ) -> None:
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        # The staff member's words may name the witness: sealed, never in the table.
        group = f"{_statement_group(statement.number)}-withdrawal"
        blobs, key_blob = self._sealer.seal(statement.reference, {group: {"why": withdrawal.why}})
        values = {
            "kind": "statement-withdrawn",
            "statement": statement.number,
            "statement_id": withdrawal.statement_id,
            "at": iso(withdrawal.at),
            "taken_by": withdrawal.taken_by,
            "sealed": blobs[group],
            "sealed_key": key_blob,
        }
        where = keys.evidence_withdrawn(statement.reference, slot_of(statement.number))
        uow.add(
            "statement-withdrawal",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**where, **to_item(values)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def _withdrawals(self, reference: str) -> list[dict[str, Any]]:
        return query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :withdrawn)",
            ExpressionAttributeValues={
                ":pk": value(keys.evidence_partition(reference)),
                ":withdrawn": keys.evidence_withdrawn(reference, "")["sk"],
            },
            ConsistentRead=True,
        )

    def statement_withdrawals(self, reference: str) -> dict[str, ConsentWithdrawal]:
        return {
            v["statement_id"]: ConsentWithdrawal(v["statement_id"], time(v["at"]), v["taken_by"])
            for v in self._withdrawals(reference)
        }

    def withdrawal_reason(self, reference: str, statement_id: str) -> str | None:
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        for values in self._withdrawals(reference):
            if values["statement_id"] == statement_id and "sealed" in values:
                group = f"{_statement_group(int(values['statement']))}-withdrawal"
                return self._sealer.open(
                    reference, group, bytes(values["sealed"]), bytes(values["sealed_key"])
                )["why"]
        return None  # none, or erased with the statement's words at the case's retention

    def erase_statement(
        self,
        uow: DynamoUnitOfWork,
        item: EvidenceItem,
        entries: list[CustodyEntry],
        at: dt.datetime,
        *,
        withdrawn: bool,
    ) -> None:
        # One update of the item: its words go and its head moves (a transaction touches
        # an item once), from the head read and only while the words are there.
        last = entries[-1]
        uow.add(
            "statement-erasure",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.evidence_item(item.reference, item.slot),
                    "UpdateExpression": "SET head_seq = :seq, head_hash = :hash, "
                    "words_erased_at = :at REMOVE sealed, sealed_key",
                    "ConditionExpression": "head_seq = :was AND head_hash = :was_hash "
                    "AND attribute_exists(sealed)",
                    "ExpressionAttributeValues": {
                        ":seq": value(last.seq),
                        ":hash": value(last.hash),
                        ":was": value(item.head_seq),
                        ":was_hash": value(item.head_hash),
                        ":at": value(iso(at)),
                    },
                }
            },
        )
        self._entries(uow, item, entries)
        if withdrawn:
            uow.add(
                "statement-withdrawal",
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": keys.evidence_withdrawn(item.reference, item.slot),
                        "UpdateExpression": "REMOVE sealed, sealed_key",
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            )

    def add_anchor(self, anchor: Anchor) -> bool:
        values = {
            "kind": "anchor",
            "day": anchor.day,
            "heads": json.dumps({k: list(v) for k, v in anchor.heads.items()}),
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

    def anchors(self) -> list[Anchor]:
        return [
            Anchor(
                day=v["day"],
                heads={k: (int(s), h) for k, (s, h) in json.loads(v["heads"]).items()},
                token=base64.b64decode(v["token"]),
            )
            for v in self._evidence("ANCHOR#")
        ]

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
