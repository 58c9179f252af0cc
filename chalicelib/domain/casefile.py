"""A case as staff work it: the report, where it stands, and everything that happened to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.alerts import StoredDelivery
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.case import Case
from chalicelib.domain.workflow import Status


@dataclass(frozen=True)
class Note:
    at: dt.datetime
    author: str
    text: str


@dataclass(frozen=True)
class CaseSummary:
    """One row of a case list: nothing of the report but where and what."""

    reference: str
    received_at: dt.datetime
    status: Status
    oblast: str
    category: str
    urgent: bool
    version: int
    assignee: str | None = None


@dataclass(frozen=True)
class CaseFile:
    case: Case
    # The agencies the case was routed to: their caseworkers may work it.
    agencies: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    assignee: str | None = None
    updated_at: dt.datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    notes: tuple[Note, ...] = ()
    deliveries: tuple[StoredDelivery, ...] = ()

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def status(self) -> Status:
        return self.case.status

    @property
    def version(self) -> int:
        return self.case.version


@dataclass(frozen=True)
class Filters:
    """What a case list is narrowed to; None is "any"."""

    status: Status | None = None
    oblast: str | None = None
    category: str | None = None
    urgent: bool | None = None
    received_from: dt.date | None = None  # inclusive
    received_to: dt.date | None = None  # inclusive


@dataclass
class Page:
    cases: list[CaseSummary]
    cursor: str | None
    # What the page cost, for the bench and the logs.
    calls: int = 0
    items_read: int = 0


class InvalidCursor(ValueError):
    """A list's cursor that this API did not give out for this very list."""
