"""What evidence for justice needs from storage (services/evidence.py): the custody
store on the cases table, and the evidence bucket under S3 Object Lock.

Their fakes are in tests/fakes.py; tests/adapters/test_evidence_store.py runs the same
contract tests on both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from chalicelib.domain.evidence import Anchor, CustodyEntry, EvidenceItem, Package, Stamp
from chalicelib.domain.statements import ConsentWithdrawal, Statement


class CustodyStore(Protocol):
    def keep(self, uow: Any, item: EvidenceItem, entries: list[CustodyEntry]) -> None:
        """A new evidence item with its first entries (refused "evidence" if it exists)."""
        ...

    def keep_statement(
        self, uow: Any, item: EvidenceItem, entries: list[CustodyEntry], statement: Statement
    ) -> None:
        """A witness statement, sealed (its words as the case's personal fields are), as
        the evidence item `item` with its first entries; refused "evidence" if that item
        exists: a statement is written once and never changed."""
        ...

    def statements_of(self, reference: str) -> list[Statement]:
        """The case's statements as they were kept, oldest first."""
        ...

    def register(self, uow: Any, reference: str) -> None:
        """Count a case among those whose chains are anchored daily (once per case)."""
        ...

    def append(self, uow: Any, item: EvidenceItem, entries: list[CustodyEntry]) -> None:
        """Entries after the item's head as read; refused ("custody") if another was
        appended meanwhile: a chain never forks."""
        ...

    def items_of(self, reference: str) -> list[EvidenceItem]: ...
    def items_and_stamps(self, reference: str) -> tuple[list[EvidenceItem], list[Stamp]]:
        """The case's items and every stamp of their chains, oldest day first, in one
        read (the daily anchor reads every case so)."""
        ...

    def chain(self, item: EvidenceItem) -> list[CustodyEntry]: ...
    def references(self) -> list[str]:
        """Every case with evidence items, for the daily anchor."""
        ...

    def withdraw(self, uow: Any, reference: str, at: dt.datetime) -> None:
        """Record the evidence consent's withdrawal (refused "withdrawal" if recorded)."""
        ...

    def withdrawn_at(self, reference: str) -> dt.datetime | None: ...
    def withdraw_statement(
        self, uow: Any, statement: Statement, withdrawal: ConsentWithdrawal
    ) -> None:
        """Record a witness's withdrawal of the consent to a statement's use, its reason
        sealed as the statement's words are (refused "statement-withdrawal" if recorded)."""
        ...

    def statement_withdrawals(self, reference: str) -> dict[str, ConsentWithdrawal]:
        """The case's statements whose witnesses withdrew the consent, by statement id,
        their reasons left sealed (`why` None): reading them opens nothing."""
        ...

    def withdrawal_reason(self, reference: str, statement_id: str) -> str | None:
        """Why a withdrawal was recorded, opened (None: no withdrawal, or it was erased)."""
        ...

    def erase_statement(
        self,
        uow: Any,
        item: EvidenceItem,
        entries: list[CustodyEntry],
        at: dt.datetime,
        *,
        withdrawn: bool,
    ) -> None:
        """A statement's sealed words (and its withdrawal's reason, if `withdrawn`) gone,
        with `entries` after the item's head as read; its item, hash and chain stay.
        Refused "statement-erasure" if the head moved or the words were gone already.
        `statements_of` no longer returns it."""
        ...

    def add_anchor(self, anchor: Anchor) -> bool:
        """Keep a day's anchor (root, count, token: small); False if that day has one."""
        ...

    def add_stamps(self, stamps: list[tuple[str, Stamp]]) -> None:
        """Keep each (reference, stamp) in its case's evidence partition, one record per
        case and day, written in batches."""
        ...

    def anchor(self, day: str) -> Anchor | None: ...
    def last_anchor_day(self) -> str | None: ...
    def save_package(self, uow: Any, package: Package, *, was: Package | None = None) -> None:
        """A new package (was None), or a change of one still as `was` (refused
        "package" otherwise): a handed-over package never changes again."""
        ...

    def package(self, package_id: str) -> Package | None: ...
    def packages(self) -> list[Package]: ...


class EvidenceFiles(Protocol):
    """The evidence bucket (adapters/evidence_files.py): write-once originals."""

    def keep(self, key: str, data: bytes, content_type: str) -> str | None:
        """Store an original (retained by the bucket's Object Lock); its version."""
        ...

    def read(self, key: str, version_id: str | None) -> bytes: ...
    def hold(self, key: str, version_id: str | None) -> None:
        """Put a legal hold on one original: kept past its retention until released."""
        ...

    def held(self, key: str, version_id: str | None) -> bool: ...
    def put_package(self, key: str, data: bytes) -> None: ...
    def read_package(self, key: str) -> bytes: ...
