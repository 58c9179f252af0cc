"""What the services need from storage, as protocols (the one place to look: the
return's stores are in services/aftercare_ports.py, the outside world's ports, queues,
senders, a partner's endpoint, metrics, the uploads bucket, in
services/outside_ports.py; `Stores` below gathers every store).

The services are written against these; `chalicelib/adapters` implements them on AWS and
`tests/fakes.py` in memory, and `tests/adapters` runs the same contract tests against
both, so the fakes cannot drift from what DynamoDB really does.

A use case that writes stages every write into one unit of work (the stores' methods that
take a `uow`) and commits it: all of it happens, or none (`Refused` names the conditions
that did not hold, `Conflict` says another write raced it; chalicelib/domain/errors.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.alerts import (
    Alert,
    Delivery,
    DeliveryState,
    StoredDelivery,
    WaitingAlert,
)
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import Case
from chalicelib.domain.casefile import CaseBrief, CaseEvent, CaseFile, Counted, Filters, Page
from chalicelib.domain.colleagues import Colleague, StaffList
from chalicelib.domain.contacts import Contact
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.erasure import Erasure, Traces
from chalicelib.domain.intake import Charge, IdempotencyRecord
from chalicelib.domain.matching import CandidatePair, Review
from chalicelib.domain.partners import ImportBatch, Partner
from chalicelib.domain.report import Report
from chalicelib.domain.response_times import AckSample
from chalicelib.domain.routing import Directory, RoutingRule
from chalicelib.domain.webhooks import WebhookEvent, WebhookState
from chalicelib.domain.workflow import Status
from chalicelib.services.aftercare_ports import AftercareStore
from chalicelib.services.evidence_ports import CustodyStore


class UnitOfWork(Protocol):
    def commit(self) -> Any: ...


class CaseFiles(Protocol):
    def reachable(self) -> bool: ...
    def open(
        self,
        uow: UnitOfWork,
        case: Case,
        attachments: tuple[Attachment, ...] = (),
        *,
        blocking_keys: Sequence[str] = (),
        reporter_keys: Sequence[str] = (),
        search_keys: Sequence[str] = (),
    ): ...
    def get(self, reference: str) -> Case | None: ...
    def status_of(self, reference: str) -> Status | None: ...
    def attachments_of(self, reference: str) -> tuple[Attachment, ...] | None: ...
    def consent_of(self, reference: str) -> ConsentGiven | None: ...
    def file(self, reference: str) -> CaseFile | None: ...
    def reports(self, references: list[str]) -> dict[str, Report]: ...
    def change(
        self,
        uow: UnitOfWork,
        reference: str,
        *,
        version: int,
        now: dt.datetime,
        status: Status | None = None,
        assignee: str | None = None,
        link: str | None = None,
    ) -> None: ...
    def link_back(self, uow: UnitOfWork, reference: str, other: str, now: dt.datetime): ...
    def add_note(
        self,
        uow: UnitOfWork,
        reference: str,
        *,
        author: str,
        text: str,
        at: dt.datetime,
        names_reporter: bool = False,
    ) -> None: ...
    def require(self, uow: UnitOfWork, reference: str) -> None: ...
    def grant_break_glass(
        self, uow: UnitOfWork, reference: str, subject: str, until: dt.datetime
    ) -> None: ...


class CaseIndex(Protocol):
    def list(
        self, filters: Filters, *, agency: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page: ...
    def count_received_since(self, since: dt.datetime) -> int: ...
    def briefs(self, references: list[str]) -> dict[str, CaseBrief]: ...


class Mandates(Protocol):
    def grant(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, agencies: list[str]
    ) -> None: ...
    def revoke(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, agencies: list[str]
    ) -> None: ...
    def agencies_of(self, references: list[str]) -> dict[str, frozenset[str]]: ...


class Alerts(Protocol):
    def add(
        self,
        uow: UnitOfWork,
        alert: Alert,
        *,
        acknowledge_by: dt.datetime | None = None,
        name: str = "alert",
        batch: str | None = None,
    ) -> None: ...
    def of_batch(self, batch: str) -> list[Alert]: ...
    def mark_dispatched(self, uow: UnitOfWork, alert: Alert) -> None: ...
    def waiting(self, *, due_before: dt.datetime, limit: int = 100) -> list[WaitingAlert]: ...
    def waiting_of(self, reference: str) -> list[WaitingAlert]: ...
    def reschedule(self, waiting: WaitingAlert, due: dt.datetime) -> bool: ...
    def escalate(
        self, uow: UnitOfWork, waiting: WaitingAlert, next_due: dt.datetime | None
    ) -> None: ...
    def acknowledge(
        self, uow: UnitOfWork, reference: str, purpose: str, by: str, now: dt.datetime
    ) -> None: ...
    def mark_digest(self, day: str) -> bool: ...


class Claim(Protocol):
    outcome: str  # "claimed" | "done" | "busy" | "missing"
    delivery: StoredDelivery | None


class Deliveries(Protocol):
    def record(self, uow: UnitOfWork, delivery: Delivery, now: dt.datetime) -> None: ...
    def claim(
        self, reference: str, delivery_id: str, now: dt.datetime, lease_seconds: int
    ) -> Claim: ...
    def settle(
        self,
        reference: str,
        delivery_id: str,
        state: DeliveryState,
        now: dt.datetime,
        *,
        message_id: str | None = None,
        error: str | None = None,
        reset_attempts: bool = False,
        was: DeliveryState = DeliveryState.SENDING,
        to: Delivery | None = None,
    ) -> bool: ...
    def acknowledge(
        self, uow: UnitOfWork, reference: str, delivery_id: str, now: dt.datetime
    ) -> None: ...
    def in_state(
        self, state: DeliveryState, *, before: dt.datetime | None = None, limit: int = 100
    ) -> list[StoredDelivery]: ...
    def of_case(self, reference: str) -> list[StoredDelivery]: ...
    # An SMS alert's reply code (domain/acknowledgement.py), kept per contact.
    def expect_reply(
        self,
        contact_id: str,
        code: str,
        reference: str,
        delivery_id: str,
        *,
        until: dt.datetime,
        now: dt.datetime,
    ) -> bool: ...
    def replied(self, contact_id: str, code: str, now: dt.datetime) -> tuple[str, str] | None: ...


class IntakeGuards(Protocol):
    def remember(
        self, uow: UnitOfWork, record: IdempotencyRecord, expires_at: int | None
    ) -> None: ...
    def recall(self, scope: str, key: str) -> IdempotencyRecord | None: ...
    def mark_shown(self, scope: str, key: str) -> None:
        """Record that a receipt of this key's report was shown (nothing if it is unknown)."""
        ...

    def charge(self, uow: UnitOfWork, charge: Charge) -> None: ...


class Statistics(Protocol):
    def count_new(
        self, uow: UnitOfWork, case: Counted, agencies: Sequence[str | None] = (None,)
    ) -> None: ...
    def count_move(
        self, uow: UnitOfWork, was: str, target: str, agencies: Sequence[str] = ()
    ) -> None: ...
    def count_removed(self, uow: UnitOfWork, case: Counted, agencies: Sequence[str]) -> None: ...
    def count_caseload(
        self, uow: UnitOfWork, was: str | None, now: str | None, agencies: Sequence[str] = ()
    ) -> None: ...
    def record_acknowledgement(self, uow: UnitOfWork, sample: AckSample) -> None: ...
    def acknowledgements(self, weeks: Sequence[str]) -> list[AckSample]: ...
    def read(self, agency: str | None = None) -> dict[str, Any]: ...


class MatchIndex(Protocol):
    def add(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, blocking_keys: list[str]
    ) -> None: ...
    def remove(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, blocking_keys: list[str]
    ) -> None: ...
    def references(self, blocking_key: str, limit: int) -> list[str]: ...


class CandidatePairs(Protocol):
    def record(self, pair: CandidatePair) -> bool: ...
    def of_case(self, reference: str) -> list[CandidatePair]: ...
    def rescore(self, pair: CandidatePair) -> bool: ...
    def remove(self, uow: UnitOfWork, reference: str, others: list[str]) -> None: ...
    def decide(
        self,
        uow: UnitOfWork,
        reference: str,
        other: str,
        *,
        decision: Review,
        decided_by: str,
        now: dt.datetime,
    ) -> None: ...


class ReporterIndex(Protocol):
    """Which cases a person reported, under keyed hashes of their addresses."""

    def add(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, reporter_keys: list[str]
    ) -> None: ...
    def remove(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, reporter_keys: list[str]
    ) -> None: ...
    def references(self, reporter_key: str, limit: int = 100) -> list[str]: ...


class CaseLifecycle(Protocol):
    """What erasing a case has to reach, erasing it, and the cases due for retention."""

    def traces(self, reference: str) -> Traces | None: ...
    def erase(self, uow: UnitOfWork, traces: Traces, erasure: Erasure) -> None:
        """Refused ("case") if the case changed since `traces` were read."""
        ...

    def request_withdrawal(
        self, uow: UnitOfWork, reference: str, at: dt.datetime, request_id: str
    ) -> None:
        """Refused ("case") without such a case, ("withdrawal") if it was asked before."""
        ...

    def remove_notes(self, uow: UnitOfWork, reference: str, notes: list[str]) -> None: ...
    def remove_grants(self, uow: UnitOfWork, reference: str, grants: list[str]) -> None: ...
    def due(self, status: Status, changed_before: dt.datetime, limit: int) -> list[str]:
        """Not anonymised cases of a status that last changed before a moment, oldest first."""
        ...


class AuditLog(Protocol):
    def add(self, uow: UnitOfWork, entry: AuditEntry) -> None: ...
    def record(self, entries: list[AuditEntry]) -> None: ...
    def trail(self, reference: str, limit: int = 500) -> list[AuditEntry]: ...


class DirectoryStore(Protocol):
    def read(self) -> Directory: ...
    def contact(self, contact_id: str) -> Contact | None: ...
    def change(
        self,
        uow: UnitOfWork,
        read_version: int,
        *,
        contacts: Sequence[Contact] = (),
        rules: Sequence[RoutingRule] = (),
        removed_contacts: Sequence[str] = (),
        removed_rules: Sequence[str] = (),
    ) -> int: ...


class SearchIndex(Protocol):
    def add(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, search_keys: list[str]
    ) -> None: ...
    def remove(
        self, uow: UnitOfWork, reference: str, received_at: dt.datetime, search_keys: list[str]
    ) -> None: ...
    def references(self, search_key: str, limit: int) -> list[str]: ...


class StaffDirectory(Protocol):
    def record(self, colleague: Colleague) -> None: ...
    def everyone(self) -> StaffList: ...
    def get(self, subject: str) -> Colleague | None: ...
    # A console session ended by signing out, kept until it would have ended anyway
    # (epoch seconds): a copy of its cookie is refused meanwhile.
    def sign_out(self, session_id: str, until: int) -> None: ...
    def signed_out(self, session_id: str) -> bool: ...


class CaseHistory(Protocol):
    def add_event(self, uow: UnitOfWork, reference: str, event: CaseEvent) -> None: ...
    def correct(
        self,
        uow: UnitOfWork,
        reference: str,
        *,
        version: int,
        report: Report,
        now: dt.datetime,
        added_keys: tuple[Sequence[str], Sequence[str]] = ((), ()),
    ) -> None: ...
    def remove_events(self, uow: UnitOfWork, reference: str, events: list[str]) -> None: ...


class Partners(Protocol):
    def register(self, partner: Partner) -> None: ...
    def get(self, client_id: str) -> Partner | None: ...
    def all(self) -> list[Partner]: ...
    def open_batch(self, client_id: str, batch_id: str, now: dt.datetime) -> ImportBatch: ...
    def batch(self, client_id: str, batch_id: str) -> ImportBatch | None: ...
    def close_batch(self, client_id: str, batch_id: str, now: dt.datetime) -> bool: ...
    def closed_batches(self, limit: int = 20) -> list[ImportBatch]: ...
    def claim_digest(self, batch: ImportBatch, now: dt.datetime) -> bool: ...


class Webhooks(Protocol):
    def add(self, uow: UnitOfWork, event: WebhookEvent) -> None: ...
    def get(self, client_id: str, event_id: str) -> WebhookState | None: ...
    def delivered(self, event: WebhookEvent, attempts: int, now: dt.datetime) -> bool: ...
    def attempt_failed(
        self, event: WebhookEvent, attempts: int, error: str, now: dt.datetime, *, last: bool
    ) -> None: ...
    def retry(self, client_id: str, event_id: str, now: dt.datetime) -> WebhookState | None: ...
    def failed(self, limit: int = 100) -> list[WebhookState]: ...


@dataclass(frozen=True)
class Stores:
    """Every store of one backend, and how to start a unit of work on it."""

    unit_of_work: Callable[[], Any]
    cases: CaseFiles
    case_index: CaseIndex
    mandates: Mandates
    alerts: Alerts
    deliveries: Deliveries
    guards: IntakeGuards
    statistics: Statistics
    match_index: MatchIndex
    pairs: CandidatePairs
    audit: AuditLog
    directory: DirectoryStore
    search: SearchIndex
    staff: StaffDirectory
    history: CaseHistory
    partners: Partners
    webhooks: Webhooks
    reporters: ReporterIndex
    lifecycle: CaseLifecycle
    aftercare: AftercareStore
    evidence: CustodyStore
