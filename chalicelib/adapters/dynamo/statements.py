"""A witness's withdrawal of a statement's consent, and a statement's words erased at its
case's retention, on the cases table (services/evidence_ports.py CustodyStore): part of
the custody store (adapters/dynamo/evidence.py), kept apart for its length.

A withdrawal lies beside the statement's item (`WITHDRAWN#<slot>` in the case's evidence
partition): when, who recorded it, and why, the reason sealed as the statement's words
are. Erasing a statement removes its sealed words from its item in the same update that
moves its chain's head (a transaction touches an item once), and the withdrawal's reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import query_all, time, to_item, value
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.case import iso
from chalicelib.domain.evidence import CustodyEntry, EvidenceItem
from chalicelib.domain.statements import ConsentWithdrawal, Statement, slot_of


def statement_group(number: int) -> str:
    # The sealed group's name is bound into its ciphertext: moved to another statement's
    # item, it does not open.
    return f"statement-{number}"


class StatementRecords:
    """The custody store's statement records (it provides these attributes)."""

    _client: Any
    _table: str
    _sealer: Any
    _entries: Callable[[DynamoUnitOfWork, EvidenceItem, list[CustodyEntry]], None]

    def withdraw_statement(
        self, uow: DynamoUnitOfWork, statement: Statement, withdrawal: ConsentWithdrawal
    ) -> None:
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        # The staff member's words may name the witness: sealed, never in the table.
        group = f"{statement_group(statement.number)}-withdrawal"
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
        where = keys.evidence_of(statement.reference, f"WITHDRAWN#{slot_of(statement.number)}")
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
                ":withdrawn": keys.evidence_of(reference, "WITHDRAWN#")["sk"],
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
                group = f"{statement_group(int(values['statement']))}-withdrawal"
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
                        "Key": keys.evidence_of(item.reference, f"WITHDRAWN#{item.slot}"),
                        "UpdateExpression": "REMOVE sealed, sealed_key",
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            )
