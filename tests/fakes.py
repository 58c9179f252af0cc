"""In-memory stores that keep the promises of services/ports.py, for service tests.

They hold domain objects in dicts and stage each write as a check and an apply into a
unit of work that runs all checks, then all applies, under one lock: the same all-or-none
and the same refusal names as the DynamoDB stores. tests/adapters runs one set of
contract tests against both, so these cannot drift from what DynamoDB really does.

`FakeDb.stream` lists what a table stream would carry (new cases, alerts, withdrawals), so a test
can drive the dispatcher and matching as the stream does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.acknowledgement import ack_token
from chalicelib.domain.aftercare import Aftercare
from chalicelib.domain.alerts import (
    REPORT_RECEIVED,
    Alert,
    Delivery,
    DeliveryState,
    StoredDelivery,
    TransientSendError,
    WaitingAlert,
)
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import Case, iso
from chalicelib.domain.casefile import (
    CaseBrief,
    CaseEvent,
    CaseFile,
    CaseSummary,
    Counted,
    Filters,
    InvalidCursor,
    Note,
    Page,
)
from chalicelib.domain.colleagues import Colleague, StaffList
from chalicelib.domain.contacts import Contact
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.erasure import Erasure, Traces
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.evidence import Anchor, CustodyEntry, EvidenceItem, Package, Stamp
from chalicelib.domain.intake import Charge, IdempotencyRecord
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.matching import CandidatePair, Review
from chalicelib.domain.mediation import MediationList
from chalicelib.domain.partners import ImportBatch, Partner
from chalicelib.domain.progress import return_stage
from chalicelib.domain.referrals import Referral
from chalicelib.domain.report import STORED, Report, join_sealed, split_sealed
from chalicelib.domain.response_times import AckSample
from chalicelib.domain.routing import Directory, RoutingRule
from chalicelib.domain.statements import Statement
from chalicelib.domain.webhooks import WebhookEvent, WebhookState
from chalicelib.domain.workflow import Status
from chalicelib.services.delivery import Channels
from chalicelib.services.directory import DirectoryCache
from chalicelib.services.ports import Stores


def _received(reference: str, at: dt.datetime) -> str:
    return f"{at.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{reference}"


@dataclass
class _CaseRow:
    case: Case
    attachments: tuple[Attachment, ...] = ()
    agencies: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    assignee: str | None = None
    updated_at: dt.datetime | None = None
    break_glass: dict[str, dt.datetime] = field(default_factory=dict)
    # What the case recorded of the derived items it wrote (for erasure).
    blocking_keys: tuple[str, ...] = ()
    reporter_keys: tuple[str, ...] = ()
    search_keys: tuple[str, ...] = ()


@dataclass
class _AlertRow:
    alert: Alert
    level: int = 0
    due: dt.datetime | None = None  # None: not waiting
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    batch: str | None = None


@dataclass
class FakeDb:
    cases: dict[str, _CaseRow] = field(default_factory=dict)
    # Each case's notes by id, in the order they were added.
    notes: dict[str, dict[str, Note]] = field(default_factory=dict)
    # The ids of notes that name their case's reporter.
    reporter_notes: set[str] = field(default_factory=set)
    alerts: dict[tuple[str, str], _AlertRow] = field(default_factory=dict)
    ack_samples: list[AckSample] = field(default_factory=list)
    deliveries: dict[tuple[str, str], tuple[StoredDelivery, int]] = field(default_factory=dict)
    # (contact, code) -> (reference, delivery id, until): SMS alerts' reply codes.
    sms_replies: dict[tuple[str, str], tuple[str, str, dt.datetime]] = field(default_factory=dict)
    mandates: dict[str, dict[str, str]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    rates: dict[tuple[str, str], int] = field(default_factory=dict)
    counters: dict[str | None, Counter] = field(default_factory=dict)
    blocking: dict[str, dict[str, str]] = field(default_factory=dict)
    reporters: dict[str, dict[str, str]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], CandidatePair] = field(default_factory=dict)
    audit: dict[str, list[AuditEntry]] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    rules: dict[str, RoutingRule] = field(default_factory=dict)
    directory_version: int = 0
    digests: set[str] = field(default_factory=set)
    partners: dict[str, Partner] = field(default_factory=dict)
    dispatched: set[tuple[str, str]] = field(default_factory=set)
    batches: dict[tuple[str, str], ImportBatch] = field(default_factory=dict)
    webhooks: dict[tuple[str, str], WebhookState] = field(default_factory=dict)
    withdrawals: dict[str, str] = field(default_factory=dict)
    stream: list[tuple[str, Any]] = field(default_factory=list)
    events: dict[str, list[CaseEvent]] = field(default_factory=dict)
    search: dict[str, dict[str, str]] = field(default_factory=dict)
    staff: dict[str, Colleague] = field(default_factory=dict)
    signed_out: dict[str, int] = field(default_factory=dict)
    aftercare: dict[str, Any] = field(default_factory=dict)
    # Evidence (domain/evidence.py): items by reference then slot (a case's partition, read
    # by key as DynamoDB does), their entries by (reference, slot), and the rest of the
    # evidence partition ("withdrawn", "cases", "anchors", "stamps", "packages").
    evidence: dict[str, dict[int, EvidenceItem]] = field(default_factory=dict)
    custody: dict[tuple[str, int], list[CustodyEntry]] = field(default_factory=dict)
    evidence_rest: dict[str, dict] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Commits to answer with a Conflict before one goes through (to test retries).
    conflicts: int = 0
    commits: int = 0


class FakeUnitOfWork:
    def __init__(self, db: FakeDb) -> None:
        self._db = db
        self._operations: list[tuple[str, Callable[[], bool], Callable[[], Any], Callable]] = []

    def add(
        self,
        name: str,
        apply: Callable[[], Any],
        check: Callable[[], bool] = lambda: True,
        old: Callable[[], dict | None] = lambda: None,
    ) -> None:
        self._operations.append((name, check, apply, old))

    def __len__(self) -> int:
        return len(self._operations)

    def commit(self) -> Any:
        if len(self._operations) > 100:
            raise ValueError("a unit of work holds at most 100 operations")
        with self._db.lock:
            if self._db.conflicts:
                self._db.conflicts -= 1
                raise Conflict()
            failed: dict[str, dict | None] = {}
            for name, check, _, old in self._operations:
                if not check():
                    failed[name] = old()
            if failed:
                kept = {name: item for name, item in failed.items() if item is not None}
                raise Refused(frozenset(failed), kept)
            results = [apply() for _, _, apply, _ in self._operations]
            self._db.commits += 1
        return results[0] if len(results) == 1 else None


def _uow(db: FakeDb) -> Callable[[], FakeUnitOfWork]:
    return lambda: FakeUnitOfWork(db)


def _commit_one(db: FakeDb, name: str, apply, check, old=lambda: None) -> bool:
    uow = FakeUnitOfWork(db)
    uow.add(name, apply, check, old)
    try:
        uow.commit()
    except Refused:
        return False
    return True


# -- cases ----------------------------------------------------------------------------


def _at_version(db, reference: str, version: int):
    """A case change's condition (the case is at `version`) and, when it fails, what
    DynamoDB hands back with the refusal (the version it is at)."""

    def check() -> bool:
        row = db.cases.get(reference)
        return row is not None and row.case.version == version

    def old() -> dict | None:
        row = db.cases.get(reference)
        return {"version": row.case.version} if row else None

    return check, old


class FakeCaseFiles:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def reachable(self) -> bool:
        return True

    def open(
        self,
        uow: FakeUnitOfWork,
        case: Case,
        attachments: tuple[Attachment, ...] = (),
        *,
        blocking_keys: Sequence[str] = (),
        reporter_keys: Sequence[str] = (),
        search_keys: Sequence[str] = (),
    ):
        def apply() -> None:
            self.db.cases[case.reference] = _CaseRow(
                case,
                tuple(attachments),
                blocking_keys=tuple(blocking_keys),
                reporter_keys=tuple(reporter_keys),
                search_keys=tuple(search_keys),
            )
            self.db.stream.append(("case", case))

        uow.add("case", apply, check=lambda: case.reference not in self.db.cases)

    def get(self, reference: str) -> Case | None:
        row = self.db.cases.get(reference)
        return row.case if row else None

    def status_of(self, reference: str) -> Status | None:
        row = self.db.cases.get(reference)
        return row.case.status if row else None

    def attachments_of(self, reference: str) -> tuple[Attachment, ...] | None:
        row = self.db.cases.get(reference)
        return row.attachments if row else None

    def consent_of(self, reference: str) -> ConsentGiven | None:
        row = self.db.cases.get(reference)
        return row.case.consent if row else None

    def file(self, reference: str) -> CaseFile | None:
        row = self.db.cases.get(reference)
        if row is None:
            return None
        deliveries = sorted(
            (d for (ref, _), (d, _) in self.db.deliveries.items() if ref == reference),
            key=lambda d: d.delivery_id,
        )
        return CaseFile(
            case=row.case,
            agencies=frozenset(row.agencies),
            links=frozenset(row.links),
            assignee=row.assignee,
            updated_at=row.updated_at,
            attachments=row.attachments,
            notes=tuple(self.db.notes.get(reference, {}).values()),
            deliveries=tuple(deliveries),
            break_glass=dict(row.break_glass),
            events=tuple(self.db.events.get(reference, ())),
        )

    def reports(self, references: list[str]) -> dict[str, Report]:
        """The open part only, as DynamoDB's store answers: sealed fields are absent."""
        found = {}
        for reference in references:
            if reference in self.db.cases:
                open_part, _ = split_sealed(self.db.cases[reference].case.report.model_dump())
                found[reference] = Report.model_validate(open_part, context=STORED)
        return found

    def change(
        self,
        uow: FakeUnitOfWork,
        reference: str,
        *,
        version: int,
        now: dt.datetime,
        status: Status | None = None,
        assignee: str | None = None,
        link: str | None = None,
    ) -> None:
        check, old = _at_version(self.db, reference, version)

        def apply() -> None:
            row = self.db.cases[reference]
            changes: dict[str, Any] = {"version": row.case.version + 1}
            if status is not None:
                changes["status"] = Status(status)
            row.case = dataclasses.replace(row.case, **changes)
            row.updated_at = now
            if assignee is not None:
                row.assignee = assignee
            if link is not None:
                row.links.add(link)

        uow.add("case", apply, check, old)

    def link_back(self, uow: FakeUnitOfWork, reference: str, other: str, now: dt.datetime):
        def apply() -> None:
            row = self.db.cases[reference]
            row.case = dataclasses.replace(row.case, version=row.case.version + 1)
            row.updated_at = now
            row.links.add(other)

        uow.add("other", apply, check=lambda: reference in self.db.cases)

    def add_note(
        self,
        uow: FakeUnitOfWork,
        reference: str,
        *,
        author: str,
        text: str,
        at: dt.datetime,
        names_reporter: bool = False,
    ) -> None:
        note_id = f"note-{iso(at)}-{random.randrange(16**8):08x}"

        def apply() -> None:
            self.db.notes.setdefault(reference, {})[note_id] = Note(at, author, text)
            if names_reporter:
                self.db.reporter_notes.add(note_id)

        uow.add("note", apply)

    def grant_break_glass(
        self, uow: FakeUnitOfWork, reference: str, subject: str, until: dt.datetime
    ) -> None:
        uow.add("grant", lambda: self.db.cases[reference].break_glass.__setitem__(subject, until))

    def require(self, uow: FakeUnitOfWork, reference: str) -> None:
        uow.add("case", lambda: None, check=lambda: reference in self.db.cases)


class FakeCaseIndex:
    """Lists by scanning: correct, and plenty fast for the sizes tests use."""

    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def list(
        self, filters: Filters, *, agency: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page:
        query = repr((agency, filters))
        if agency is not None:
            references = set(self.db.mandates.get(agency, {}).values())
        else:
            references = set(self.db.cases)
        rows = sorted(
            (self.db.cases[r] for r in references if r in self.db.cases),
            key=lambda row: _received(row.case.reference, row.case.received_at),
            reverse=True,
        )
        rows = [row for row in rows if _matches(row, filters)]
        start = 0
        if cursor:
            bound, _, token = cursor.rpartition("|")
            if bound != query:
                raise InvalidCursor()
            start = int(token)
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        return Page(
            cases=[_summary(row) for row in page],
            cursor=f"{query}|{start + limit}" if more else None,
            calls=1,
            items_read=len(page),
        )

    def count_received_since(self, since: dt.datetime) -> int:
        return sum(1 for row in self.db.cases.values() if row.case.received_at >= since)

    def briefs(self, references: list[str]) -> dict[str, CaseBrief]:
        found = {}
        for reference in list(dict.fromkeys(references))[:50]:
            row = self.db.cases.get(reference)
            if row is None:
                continue
            open_part, _ = split_sealed(row.case.report.model_dump())
            alert = self.db.alerts.get((reference, REPORT_RECEIVED))
            state = None
            if alert is not None:
                state = (
                    "acknowledged"
                    if alert.acknowledged_at
                    else "waiting"
                    if alert.due
                    else "unacknowledged"
                )
            found[reference] = CaseBrief(
                summary=_summary(row),
                agencies=frozenset(row.agencies),
                report=Report.model_validate(open_part, context=STORED),
                acknowledgement=state,
                acknowledged_at=alert.acknowledged_at if alert else None,
            )
        return found


def _matches(row: _CaseRow, filters: Filters) -> bool:
    case = row.case
    day = case.received_at.date()
    return (
        (filters.status is None or case.status == filters.status)
        and (filters.oblast is None or case.oblast == filters.oblast)
        and (filters.category is None or case.category == filters.category)
        and (filters.urgent is None or case.urgent == filters.urgent)
        and (filters.received_from is None or day >= filters.received_from)
        and (filters.received_to is None or day <= filters.received_to)
        and (filters.assignee is None or row.assignee == filters.assignee)
    )


def _summary(row: _CaseRow) -> CaseSummary:
    case = row.case
    return CaseSummary(
        reference=case.reference,
        received_at=case.received_at,
        status=case.status,
        oblast=case.oblast,
        category=case.category,
        urgent=case.urgent,
        version=case.version,
        consent=case.consent,
        assignee=row.assignee,
    )


class FakeMandates:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def grant(
        self, uow: FakeUnitOfWork, reference: str, received_at: dt.datetime, agencies: list[str]
    ) -> None:
        def apply() -> None:
            for agency in agencies:
                received = _received(reference, received_at)
                self.db.mandates.setdefault(agency, {})[received] = reference
            self.db.cases[reference].agencies.update(agencies)

        uow.add("mandated-case", apply, check=lambda: reference in self.db.cases)

    def revoke(
        self, uow: FakeUnitOfWork, reference: str, received_at: dt.datetime, agencies: list[str]
    ) -> None:
        # Both keys, as DynamoDB's store deletes them (adapters/dynamo/mandates.py).
        exact = _received(reference, received_at)
        second = _received(reference, received_at.replace(microsecond=0))
        for agency in agencies:
            for received in (exact, second):
                uow.add(
                    "revoked",
                    lambda a=agency, r=received: self.db.mandates.get(a, {}).pop(r, None),
                )

    def agencies_of(self, references: list[str]) -> dict[str, frozenset[str]]:
        return {r: frozenset(self.db.cases[r].agencies) for r in references if r in self.db.cases}


# -- alerts and deliveries ------------------------------------------------------------


class FakeAlerts:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add(
        self,
        uow: FakeUnitOfWork,
        alert: Alert,
        *,
        acknowledge_by: dt.datetime | None = None,
        name: str = "alert",
        batch: str | None = None,
    ) -> None:
        key = (alert.reference, alert.purpose)

        def apply() -> None:
            row = _AlertRow(alert, level=alert.level, due=acknowledge_by)
            row.batch = None if acknowledge_by else batch
            self.db.alerts[key] = row
            self.db.stream.append(("alert", alert))

        uow.add(name, apply, check=lambda: key not in self.db.alerts)

    def mark_dispatched(self, uow: FakeUnitOfWork, alert: Alert) -> None:
        key = (alert.reference, alert.purpose)
        uow.add(
            "dispatched",
            lambda: self.db.dispatched.add(key),
            check=lambda: key in self.db.alerts and key not in self.db.dispatched,
        )

    def of_batch(self, batch: str) -> list[Alert]:
        rows = [row for row in self.db.alerts.values() if row.batch == batch]
        rows.sort(key=lambda row: (iso(row.alert.created_at), row.alert.reference))
        return [row.alert for row in rows]

    def waiting(self, *, due_before: dt.datetime, limit: int = 100) -> list[WaitingAlert]:
        rows = sorted(
            (
                row
                for row in self.db.alerts.values()
                if row.due is not None and iso(row.due) < iso(due_before)
            ),
            key=lambda row: (iso(row.due), row.alert.reference, row.alert.purpose),
        )
        return [WaitingAlert(row.alert, row.level, row.due) for row in rows[:limit]]

    def waiting_of(self, reference: str) -> list[WaitingAlert]:
        rows = sorted(
            (r for (ref, _), r in self.db.alerts.items() if ref == reference and r.due),
            key=lambda row: row.alert.purpose,
        )
        return [WaitingAlert(row.alert, row.level, row.due) for row in rows]

    def _row(self, alert: Alert) -> _AlertRow | None:
        return self.db.alerts.get((alert.reference, alert.purpose))

    def reschedule(self, waiting: WaitingAlert, due: dt.datetime) -> bool:
        def check() -> bool:
            row = self._row(waiting.alert)
            return row is not None and row.due is not None and row.level == waiting.level

        return _commit_one(
            self.db, "waiting", lambda: setattr(self._row(waiting.alert), "due", due), check
        )

    def escalate(
        self, uow: FakeUnitOfWork, waiting: WaitingAlert, next_due: dt.datetime | None
    ) -> None:
        def check() -> bool:
            row = self._row(waiting.alert)
            return row is not None and row.due is not None and row.level == waiting.level

        def apply() -> None:
            row = self._row(waiting.alert)
            row.level += 1
            row.due = next_due

        uow.add("waiting", apply, check)

    def acknowledge(
        self, uow: FakeUnitOfWork, reference: str, purpose: str, by: str, now: dt.datetime
    ) -> None:
        def apply() -> None:
            row = self.db.alerts[(reference, purpose)]
            row.due = None
            row.acknowledged_at = row.acknowledged_at or now
            row.acknowledged_by = row.acknowledged_by or by

        uow.add("alert", apply, check=lambda: (reference, purpose) in self.db.alerts)

    def mark_digest(self, day: str) -> bool:
        return _commit_one(
            self.db, "digest", lambda: self.db.digests.add(day), lambda: day not in self.db.digests
        )


@dataclass(frozen=True)
class FakeClaim:
    outcome: str
    delivery: StoredDelivery | None = None


class FakeDeliveries:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def record(self, uow: FakeUnitOfWork, delivery: Delivery, now: dt.datetime) -> None:
        key = (delivery.alert.reference, delivery.delivery_id)
        stored = StoredDelivery(delivery, DeliveryState.PENDING, attempts=0, updated_at=now)
        uow.add(
            "delivery",
            lambda: self.db.deliveries.__setitem__(key, (stored, 0)),
            check=lambda: key not in self.db.deliveries,
        )

    def claim(
        self, reference: str, delivery_id: str, now: dt.datetime, lease_seconds: int
    ) -> FakeClaim:
        key = (reference, delivery_id)
        epoch = int(now.timestamp())
        with self.db.lock:
            found = self.db.deliveries.get(key)
            if found is None:
                return FakeClaim("missing")
            stored, lease = found
            if stored.state == DeliveryState.PENDING or (
                stored.state == DeliveryState.SENDING and lease < epoch
            ):
                claimed = dataclasses.replace(
                    stored,
                    state=DeliveryState.SENDING,
                    attempts=stored.attempts + 1,
                    updated_at=now,
                )
                self.db.deliveries[key] = (claimed, epoch + lease_seconds)
                return FakeClaim("claimed", claimed)
            busy = stored.state == DeliveryState.SENDING
            return FakeClaim("busy" if busy else "done", stored)

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
    ) -> bool:
        key = (reference, delivery_id)

        def check() -> bool:
            return key in self.db.deliveries and self.db.deliveries[key][0].state == was

        def apply() -> None:
            stored, _ = self.db.deliveries[key]
            changes: dict[str, Any] = {"state": state, "updated_at": now}
            if to is not None:
                changes["delivery"] = to
            if state == DeliveryState.SENT:
                changes.update(sent_at=now, provider_message_id=message_id)
            if error is not None:
                changes["last_error"] = error
            if reset_attempts:
                changes["attempts"] = 0
            self.db.deliveries[key] = (dataclasses.replace(stored, **changes), 0)

        return _commit_one(self.db, "delivery", apply, check)

    def acknowledge(
        self, uow: FakeUnitOfWork, reference: str, delivery_id: str, now: dt.datetime
    ) -> None:
        key = (reference, delivery_id)

        def check() -> bool:
            found = self.db.deliveries.get(key)
            return found is not None and found[0].state == DeliveryState.SENT

        def apply() -> None:
            stored, _ = self.db.deliveries[key]
            self.db.deliveries[key] = (
                dataclasses.replace(
                    stored, state=DeliveryState.ACKNOWLEDGED, acknowledged_at=now, updated_at=now
                ),
                0,
            )

        uow.add("delivery", apply, check)

    def in_state(
        self, state: DeliveryState, *, before: dt.datetime | None = None, limit: int = 100
    ) -> list[StoredDelivery]:
        found = [
            stored
            for stored, _ in self.db.deliveries.values()
            if stored.state == state and (before is None or iso(stored.updated_at) < iso(before))
        ]
        found.sort(key=lambda d: (iso(d.updated_at), d.reference, d.delivery_id), reverse=True)
        return found[:limit]

    def of_case(self, reference: str) -> list[StoredDelivery]:
        return [d for (ref, _), (d, _) in sorted(self.db.deliveries.items()) if ref == reference]

    def expect_reply(
        self,
        contact_id: str,
        code: str,
        reference: str,
        delivery_id: str,
        *,
        until: dt.datetime,
        now: dt.datetime,
    ) -> bool:
        replies = self.db.sms_replies
        with self.db.lock:
            held = replies.get((contact_id, code))
            if held is not None and held[2] >= now and held[1] != delivery_id:
                return False
            replies[(contact_id, code)] = (reference, delivery_id, until)
            return True

    def replied(self, contact_id: str, code: str, now: dt.datetime) -> tuple[str, str] | None:
        held = self.db.sms_replies.get((contact_id, code))
        if held is None or held[2] < now:
            return None
        return held[0], held[1]


# -- intake's guards and statistics ---------------------------------------------------


class FakeIntakeGuards:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def remember(
        self, uow: FakeUnitOfWork, record: IdempotencyRecord, expires_at: int | None
    ) -> None:
        key = (record.scope, record.key)
        uow.add(
            "idempotency",
            lambda: self.db.idempotency.__setitem__(key, record),
            check=lambda: key not in self.db.idempotency,
        )

    def recall(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self.db.idempotency.get((scope, key))

    def mark_shown(self, scope: str, key: str) -> None:
        import dataclasses

        if (scope, key) in self.db.idempotency:
            record = self.db.idempotency[(scope, key)]
            self.db.idempotency[(scope, key)] = dataclasses.replace(record, shown=True)

    def charge(self, uow: FakeUnitOfWork, charge: Charge) -> None:
        key = (charge.purpose, charge.source)
        interval = charge.limit.interval_ms

        def check() -> bool:
            at = self.db.rates.get(key)
            if charge.burst:
                return at is not None and charge.now_ms < at <= charge.now_ms + (
                    charge.limit.tolerance_ms
                )
            return at is None or at <= charge.now_ms

        def apply() -> None:
            at = self.db.rates.get(key)
            self.db.rates[key] = at + interval if charge.burst else charge.now_ms + interval

        def old() -> dict | None:
            at = self.db.rates.get(key)
            return {"allowance_at": at} if at is not None else None

        uow.add("rate", apply, check, old)


class FakeStatistics:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def _counter(self, agency: str | None) -> Counter:
        return self.db.counters.setdefault(agency, Counter())

    def count_new(
        self, uow: FakeUnitOfWork, case: Counted, agencies: Sequence[str | None] = (None,)
    ) -> None:
        counts = {
            "total": 1,
            f"status#{case.status}": 1,
            f"oblast#{case.oblast}": 1,
            f"category#{case.category}": 1,
        }
        if case.urgent:
            counts["urgent"] = 1
        if case.week:
            counts[f"week#{case.week}"] = 1
        for agency in agencies:
            uow.add("statistics", lambda a=agency: self._counter(a).update(counts))

    def count_removed(self, uow: FakeUnitOfWork, case: Counted, agencies: Sequence[str]) -> None:
        counts = {
            "total": -1,
            f"status#{case.status}": -1,
            f"oblast#{case.oblast}": -1,
            f"category#{case.category}": -1,
        }
        if case.urgent:
            counts["urgent"] = -1
        for agency in agencies:
            uow.add("statistics", lambda a=agency: self._counter(a).update(counts))

    def count_move(
        self, uow: FakeUnitOfWork, was: str, target: str, agencies: Sequence[str] = ()
    ) -> None:
        for agency in (None, *agencies):
            uow.add(
                "statistics",
                lambda a=agency: self._counter(a).update(
                    {f"status#{was}": -1, f"status#{target}": 1}
                ),
            )

    def count_caseload(
        self, uow: FakeUnitOfWork, was: str | None, now: str | None, agencies: Sequence[str] = ()
    ) -> None:
        counts = {f"assignee#{who}": n for who, n in ((was, -1), (now, 1)) if who}
        for agency in (None, *agencies):
            uow.add("statistics", lambda a=agency: self._counter(a).update(counts))

    def record_acknowledgement(self, uow: FakeUnitOfWork, sample: AckSample) -> None:
        uow.add("ack-sample", lambda: self.db.ack_samples.append(sample))

    def acknowledgements(self, weeks: Sequence[str]) -> list[AckSample]:
        return [s for s in self.db.ack_samples if s.week in weeks]

    def read(self, agency: str | None = None) -> dict[str, Any]:
        totals = self._counter(agency)
        grouped: dict[str, Any] = {"total": totals["total"], "urgent": totals["urgent"]}
        for dimension in ("status", "oblast", "category", "week", "assignee"):
            grouped[dimension] = {
                name.split("#", 1)[1]: count
                for name, count in sorted(totals.items())
                if name.startswith(f"{dimension}#") and count
            }
        return grouped


# -- matching -------------------------------------------------------------------------


class FakeMatchIndex:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add(
        self,
        uow: FakeUnitOfWork,
        reference: str,
        received_at: dt.datetime,
        blocking_keys: list[str],
    ) -> None:
        def apply() -> None:
            for key in blocking_keys:
                self.db.blocking.setdefault(key, {})[_received(reference, received_at)] = reference

        uow.add("blocking-key", apply)

    def remove(
        self,
        uow: FakeUnitOfWork,
        reference: str,
        received_at: dt.datetime,
        blocking_keys: list[str],
    ) -> None:
        received = _received(reference, received_at)
        for key in blocking_keys:
            uow.add("blocking-key", lambda k=key: self.db.blocking.get(k, {}).pop(received, None))

    def references(self, blocking_key: str, limit: int) -> list[str]:
        entries = self.db.blocking.get(blocking_key, {})
        return [entries[k] for k in sorted(entries, reverse=True)[:limit]]


class FakeCandidatePairs:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def record(self, pair: CandidatePair) -> bool:
        sides = ((pair.reference, pair.other), (pair.other, pair.reference))

        def apply() -> None:
            for a, b in sides:
                self.db.pairs[(a, b)] = dataclasses.replace(pair, reference=a, other=b)

        return _commit_one(
            self.db, "pair", apply, lambda: not any(s in self.db.pairs for s in sides)
        )

    def of_case(self, reference: str) -> list[CandidatePair]:
        return [p for (a, _), p in sorted(self.db.pairs.items()) if a == reference]

    def rescore(self, pair: CandidatePair) -> bool:
        sides = ((pair.reference, pair.other), (pair.other, pair.reference))

        def check() -> bool:
            return all(
                s in self.db.pairs and self.db.pairs[s].review == Review.POTENTIAL for s in sides
            )

        def apply() -> None:
            for s in sides:
                self.db.pairs[s] = dataclasses.replace(
                    self.db.pairs[s],
                    verdict=pair.verdict,
                    score=pair.score,
                    explanation=pair.explanation,
                )

        return _commit_one(self.db, "pair", apply, check)

    def remove(self, uow: FakeUnitOfWork, reference: str, others: list[str]) -> None:
        for other in others:
            for side in ((reference, other), (other, reference)):
                uow.add("pair", lambda s=side: self.db.pairs.pop(s, None))

    def decide(
        self,
        uow: FakeUnitOfWork,
        reference: str,
        other: str,
        *,
        decision: Review,
        decided_by: str,
        now: dt.datetime,
    ) -> None:
        for a, b in ((reference, other), (other, reference)):

            def check(a: str = a, b: str = b) -> bool:
                pair = self.db.pairs.get((a, b))
                return pair is not None and pair.review == Review.POTENTIAL

            def apply(a: str = a, b: str = b) -> None:
                self.db.pairs[(a, b)] = dataclasses.replace(
                    self.db.pairs[(a, b)], review=decision, decided_by=decided_by, decided_at=now
                )

            uow.add("pair", apply, check)


# -- audit and directory --------------------------------------------------------------


class FakeAuditLog:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add(self, uow: FakeUnitOfWork, entry: AuditEntry) -> None:
        uow.add("audit", lambda: self.db.audit.setdefault(entry.reference, []).append(entry))

    def record(self, entries: list[AuditEntry]) -> None:
        for start in range(0, len(entries), 100):
            uow = FakeUnitOfWork(self.db)
            for entry in entries[start : start + 100]:
                self.add(uow, entry)
            uow.commit()

    def trail(self, reference: str, limit: int = 500) -> list[AuditEntry]:
        entries = self.db.audit.get(reference, [])
        return sorted(entries, key=lambda e: (iso(e.at), e.request_id))[:limit]


class FakeDirectoryStore:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def read(self) -> Directory:
        return Directory(
            tuple(self.db.contacts.values()),
            tuple(self.db.rules.values()),
            self.db.directory_version,
        )

    def contact(self, contact_id: str) -> Contact | None:
        return self.db.contacts.get(contact_id)

    def change(
        self,
        uow: FakeUnitOfWork,
        read_version: int,
        *,
        contacts: Sequence[Contact] = (),
        rules: Sequence[RoutingRule] = (),
        removed_contacts: Sequence[str] = (),
        removed_rules: Sequence[str] = (),
    ) -> int:
        def apply() -> None:
            self.db.directory_version = read_version + 1
            for contact in contacts:
                self.db.contacts[contact.contact_id] = contact
            for rule in rules:
                self.db.rules[rule.rule_id] = rule
            for contact_id in removed_contacts:
                self.db.contacts.pop(contact_id, None)
            for rule_id in removed_rules:
                self.db.rules.pop(rule_id, None)

        uow.add("version", apply, check=lambda: self.db.directory_version == read_version)
        return read_version + 1


class FakeSearchIndex:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add(
        self, uow: FakeUnitOfWork, reference: str, received_at: dt.datetime, search_keys: list[str]
    ) -> None:
        def apply() -> None:
            for key in search_keys:
                self.db.search.setdefault(key, {})[_received(reference, received_at)] = reference

        uow.add("search-key", apply)

    def remove(
        self, uow: FakeUnitOfWork, reference: str, received_at: dt.datetime, search_keys: list[str]
    ) -> None:
        received = _received(reference, received_at)
        for key in search_keys:
            uow.add("search-key", lambda k=key: self.db.search.get(k, {}).pop(received, None))

    def references(self, search_key: str, limit: int) -> list[str]:
        entries = self.db.search.get(search_key, {})
        return list(dict.fromkeys(entries[k] for k in sorted(entries, reverse=True)[:limit]))


class FakeStaffDirectory:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def record(self, colleague: Colleague) -> None:
        with self.db.lock:
            self.db.staff[colleague.subject] = colleague

    def everyone(self) -> StaffList:
        return StaffList(tuple(self.db.staff[s] for s in sorted(self.db.staff)))

    def get(self, subject: str) -> Colleague | None:
        return self.db.staff.get(subject)

    def sign_out(self, session_id: str, until: int) -> None:
        with self.db.lock:
            self.db.signed_out[session_id] = until

    def signed_out(self, session_id: str) -> bool:
        return session_id in self.db.signed_out


def event_id(event: CaseEvent) -> str:
    """A fake event's id (the table's is its sort key)."""
    return f"{event.at.isoformat()}#{event.action}"


class FakeCaseHistory:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add_event(self, uow: FakeUnitOfWork, reference: str, event: CaseEvent) -> None:
        uow.add("event", lambda: self.db.events.setdefault(reference, []).append(event))

    def remove_events(self, uow: FakeUnitOfWork, reference: str, events: list[str]) -> None:
        def apply() -> None:
            kept = [e for e in self.db.events.get(reference, []) if event_id(e) not in events]
            self.db.events[reference] = kept

        uow.add("event", apply)

    def correct(
        self,
        uow: FakeUnitOfWork,
        reference: str,
        *,
        version: int,
        report: Report,
        now: dt.datetime,
        added_keys: tuple[Sequence[str], Sequence[str]] = ((), ()),
    ) -> None:
        check, old = _at_version(self.db, reference, version)

        def apply() -> None:
            row = self.db.cases[reference]
            row.case = dataclasses.replace(row.case, report=report, version=row.case.version + 1)
            row.updated_at = now
            row.search_keys += tuple(added_keys[0])
            row.blocking_keys += tuple(added_keys[1])

        uow.add("case", apply, check, old)


# -- the data lifecycle ----------------------------------------------------------------


class FakeReporterIndex:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add(self, uow, reference: str, received_at: dt.datetime, reporter_keys: list[str]):
        received = _received(reference, received_at)
        for key in reporter_keys:
            uow.add(
                "reporter-key",
                lambda k=key: self.db.reporters.setdefault(k, {}).__setitem__(received, reference),
            )

    def remove(self, uow, reference: str, received_at: dt.datetime, reporter_keys: list[str]):
        received = _received(reference, received_at)
        for key in reporter_keys:
            uow.add("reporter-key", lambda k=key: self.db.reporters.get(k, {}).pop(received, None))

    def references(self, reporter_key: str, limit: int = 100) -> list[str]:
        entries = self.db.reporters.get(reporter_key, {})
        return [entries[k] for k in sorted(entries, reverse=True)[:limit]]


class FakeCaseLifecycle:
    """Erasure on the fakes: the row keeps the whole report, so erasing a sealed group
    takes its fields out of it, as removing the group's attribute does in DynamoDB."""

    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def traces(self, reference: str) -> Traces | None:
        row = self.db.cases.get(reference)
        if row is None:
            return None
        case = row.case
        open_part, groups = split_sealed(case.report.model_dump(mode="json"))
        return Traces(
            reference=reference,
            received_at=case.received_at,
            status=case.status,
            version=case.version,
            report=Report.model_validate(open_part, context=STORED),
            changed_at=row.updated_at or case.received_at,
            agencies=frozenset(row.agencies),
            sealed=frozenset(groups),
            blocking_keys=tuple(dict.fromkeys(row.blocking_keys)),
            reporter_keys=row.reporter_keys,
            search_keys=tuple(dict.fromkeys(row.search_keys)),
            attachments=row.attachments,
            notes=tuple(self.db.notes.get(reference, {})),
            reporter_notes=tuple(
                n for n in self.db.notes.get(reference, {}) if n in self.db.reporter_notes
            ),
            grants=tuple(row.break_glass),
            pairs=tuple(sorted(b for (a, b) in self.db.pairs if a == reference)),
            events=tuple(
                event_id(e) for e in self.db.events.get(reference, []) if e.action == "correct"
            ),
            withdrawn_at=case.withdrawn_at,
            anonymised_at=case.anonymised_at,
        )

    def erase(self, uow: FakeUnitOfWork, traces: Traces, erasure: Erasure) -> None:
        reference = traces.reference

        def check() -> bool:
            row = self.db.cases.get(reference)
            return row is not None and row.case.version == traces.version

        def old() -> dict | None:
            row = self.db.cases.get(reference)
            return {"version": row.case.version} if row else None

        def apply() -> None:
            row = self.db.cases[reference]
            _, groups = split_sealed(row.case.report.model_dump(mode="json"))
            open_part, _ = split_sealed(erasure.report.model_dump(mode="json"))
            kept = [fields for name, fields in groups.items() if name not in erasure.groups]
            report = Report.model_validate(join_sealed(open_part, *kept), context=STORED)
            row.case = dataclasses.replace(
                row.case,
                report=report,
                version=row.case.version + 1,
                withdrawn_at=erasure.withdrawn_at or row.case.withdrawn_at,
                anonymised_at=erasure.anonymised_at or row.case.anonymised_at,
            )
            if erasure.agencies is not None:
                row.agencies = set(erasure.agencies)
            if erasure.blocking_keys or erasure.anonymised_at:
                row.blocking_keys = ()
            if erasure.reporter_keys or erasure.anonymised_at:
                row.reporter_keys = ()
            if erasure.search_keys or erasure.anonymised_at:
                row.search_keys = ()
            if erasure.files:
                row.attachments = ()

        uow.add("case", apply, check, old)

    def request_withdrawal(
        self, uow: FakeUnitOfWork, reference: str, at: dt.datetime, request_id: str
    ) -> None:
        def apply() -> None:
            self.db.withdrawals[reference] = request_id
            self.db.stream.append(("withdrawal", (reference, request_id)))

        uow.add("case", lambda: None, lambda: reference in self.db.cases)
        uow.add("withdrawal", apply, lambda: reference not in self.db.withdrawals)

    def remove_grants(self, uow: FakeUnitOfWork, reference: str, grants: list[str]) -> None:
        for grant in grants:
            uow.add("grant", lambda g=grant: self.db.cases[reference].break_glass.pop(g, None))

    def remove_notes(self, uow: FakeUnitOfWork, reference: str, notes: list[str]) -> None:
        for note in notes:
            uow.add("note", lambda n=note: self.db.notes.get(reference, {}).pop(n, None))

    def due(self, status: Status, changed_before: dt.datetime, limit: int) -> list[str]:
        found = sorted(
            (f"{iso(row.updated_at or row.case.received_at)}#{ref}", ref)
            for ref, row in self.db.cases.items()
            if row.case.status == status and row.case.anonymised_at is None
        )
        return [ref for at, ref in found if at < iso(changed_before)][:limit]


def fake_stores(db: FakeDb | None = None) -> Stores:
    db = db or FakeDb()
    return Stores(
        unit_of_work=_uow(db),
        cases=FakeCaseFiles(db),
        case_index=FakeCaseIndex(db),
        mandates=FakeMandates(db),
        alerts=FakeAlerts(db),
        deliveries=FakeDeliveries(db),
        guards=FakeIntakeGuards(db),
        statistics=FakeStatistics(db),
        match_index=FakeMatchIndex(db),
        pairs=FakeCandidatePairs(db),
        audit=FakeAuditLog(db),
        directory=FakeDirectoryStore(db),
        search=FakeSearchIndex(db),
        staff=FakeStaffDirectory(db),
        history=FakeCaseHistory(db),
        partners=FakePartners(db),
        webhooks=FakeWebhooks(db),
        reporters=FakeReporterIndex(db),
        lifecycle=FakeCaseLifecycle(db),
        aftercare=FakeAftercare(db),
        evidence=FakeCustodyStore(db),
    )


class FakeWebhooks:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def add(self, uow: FakeUnitOfWork, event: WebhookEvent) -> None:
        key = (event.client_id, event.event_id)

        def apply() -> None:
            self.db.webhooks[key] = WebhookState(event, "pending")
            self.db.stream.append(("webhook", event))

        uow.add("webhook", apply, check=lambda: key not in self.db.webhooks)

    def get(self, client_id: str, event_id: str) -> WebhookState | None:
        return self.db.webhooks.get((client_id, event_id))

    def _set(self, event, state, attempts, error, now) -> bool:
        key = (event.client_id, event.event_id)
        if key not in self.db.webhooks:
            return False
        self.db.webhooks[key] = WebhookState(event, state, attempts, error, now)
        return True

    def delivered(self, event: WebhookEvent, attempts: int, now: dt.datetime) -> bool:
        return self._set(event, "delivered", attempts, None, now)

    def attempt_failed(self, event, attempts, error, now, *, last) -> None:
        self._set(event, "failed" if last else "pending", attempts, error, now)

    def retry(self, client_id: str, event_id: str, now: dt.datetime) -> WebhookState | None:
        found = self.get(client_id, event_id)
        if found is None or found.state != "failed":
            return None
        self._set(found.event, "pending", 0, found.last_error, now)
        return found

    def failed(self, limit: int = 100) -> list[WebhookState]:
        found = [w for w in self.db.webhooks.values() if w.state == "failed"]
        return sorted(found, key=lambda w: w.updated_at, reverse=True)[:limit]


class FakePartners:
    def __init__(self, db: FakeDb) -> None:
        self.db = db

    def register(self, partner: Partner) -> None:
        self.db.partners[partner.client_id] = partner

    def get(self, client_id: str) -> Partner | None:
        return self.db.partners.get(client_id)

    def all(self) -> list[Partner]:
        return [self.db.partners[k] for k in sorted(self.db.partners)]

    def open_batch(self, client_id: str, batch_id: str, now: dt.datetime) -> ImportBatch:
        with self.db.lock:
            return self.db.batches.setdefault(
                (client_id, batch_id), ImportBatch(client_id, batch_id, opened_at=now)
            )

    def batch(self, client_id: str, batch_id: str) -> ImportBatch | None:
        return self.db.batches.get((client_id, batch_id))

    def close_batch(self, client_id: str, batch_id: str, now: dt.datetime) -> bool:
        with self.db.lock:
            batch = self.db.batches.get((client_id, batch_id))
            if batch is None or batch.closed_at is not None:
                return False
            self.db.batches[(client_id, batch_id)] = replace(batch, closed_at=now)
            return True

    def closed_batches(self, limit: int = 20) -> list[ImportBatch]:
        waiting = [b for b in self.db.batches.values() if b.closed_at and b.digested_at is None]
        return sorted(waiting, key=lambda b: (iso(b.closed_at), b.client_id))[:limit]

    def claim_digest(self, batch: ImportBatch, now: dt.datetime) -> bool:
        with self.db.lock:
            current = self.db.batches.get((batch.client_id, batch.batch_id))
            if current is None or current.closed_at is None or current.digested_at:
                return False
            self.db.batches[(batch.client_id, batch.batch_id)] = replace(current, digested_at=now)
            return True


def db_of(stores: Stores) -> FakeDb:
    return stores.cases.db  # type: ignore[attr-defined]


# -- the outside world ----------------------------------------------------------------


@dataclass
class FakeQueue:
    """SQS as the sender sees it: messages come back until deleted, and go to the
    dead-letter queue after `max_receives` receipts (the redrive policy)."""

    max_receives: int = 5
    messages: list[dict] = field(default_factory=list)
    dead: list[tuple[str, str]] = field(default_factory=list)

    def enqueue(self, deliveries: list[tuple[str, str]]) -> None:
        for reference, delivery_id in deliveries:
            self.messages.append({"body": (reference, delivery_id), "receives": 0})

    def receive(self) -> list[dict]:
        """Every visible message, its receive count raised (or moved to the dead letters)."""
        batch = []
        for message in list(self.messages):
            if message["receives"] >= self.max_receives:
                self.messages.remove(message)
                self.dead.append(message["body"])
                continue
            message["receives"] += 1
            batch.append(message)
        return batch

    def delete(self, message: dict) -> None:
        self.messages.remove(message)


@dataclass
class FakePoster:
    """A partner's endpoint: records each post; answers `statuses` in turn (then 200)."""

    statuses: list = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.posts.append({"url": url, "body": body, "headers": dict(headers)})
        answer = self.statuses.pop(0) if self.statuses else 200
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class FakeStoredFile:
    size: int
    content_type: str
    sha256: str
    head: bytes
    version_id: str | None


@dataclass
class FakeFileStore:
    """The uploads bucket, versioned: each key's versions oldest first, the last current.

    `put` stands in for a browser's upload (or for anything else writing to the bucket).
    """

    objects: dict[str, list[tuple[str, bytes, str]]] = field(default_factory=dict)
    copies: int = 0
    _serial: int = 0

    def put(self, key: str, data: bytes, content_type: str) -> str:
        self._serial += 1
        version_id = f"v{self._serial}"
        self.objects.setdefault(key, []).append((version_id, data, content_type))
        return version_id

    def read(self, key: str, version_id: str | None = None) -> bytes:
        versions = self.objects[key]
        return next(d for v, d, _ in versions if v == version_id) if version_id else versions[-1][1]

    def presigned_upload(self, key: str, content_type: str, max_bytes: int) -> dict:
        return {
            "url": "https://bucket.example",
            "fields": {"key": key, "Content-Type": content_type},
        }

    def inspect(self, key: str, max_bytes: int, head_bytes: int) -> FakeStoredFile | None:
        import hashlib

        if not self.objects.get(key):
            return None
        version_id, data, content_type = self.objects[key][-1]
        if not data or len(data) > max_bytes:
            return FakeStoredFile(len(data), content_type, "", b"", version_id)
        digest = hashlib.sha256(data).hexdigest()
        return FakeStoredFile(len(data), content_type, digest, data[:head_bytes], version_id)

    def put_once(self, target: str, data: bytes, content_type: str) -> str | None:
        if self.objects.get(target):
            return self.objects[target][-1][0]
        return self.put(target, data, content_type)

    def copy_once(self, key: str, version_id: str | None, target: str) -> str | None:
        if self.objects.get(target):
            return self.objects[target][-1][0]
        self.copies += 1
        (content_type,) = {c for v, _, c in self.objects[key] if v == version_id}
        return self.put(target, self.read(key, version_id), content_type)

    def versions(self, prefix: str) -> list[tuple[str, str | None]]:
        return [(k, v) for k, vs in self.objects.items() if k.startswith(prefix) for v, _, _ in vs]

    def delete(self, key: str, version_id: str | None) -> None:
        kept = [entry for entry in self.objects.get(key, []) if entry[0] != version_id]
        if kept:
            self.objects[key] = kept
        else:
            self.objects.pop(key, None)

    def upload_origin(self) -> str:
        return "https://bucket.example"

    def download_link(
        self,
        key: str,
        version_id: str | None,
        seconds: int,
        content_type: str,
        *,
        download: bool = False,
    ) -> str:
        return f"https://bucket.example/{key}?version={version_id}&expires={seconds}"

    def put_export(self, key: str, data: bytes, content_type: str, filename: str) -> None:
        if not key.startswith("exports/"):
            raise ValueError("exports live under exports/")
        self.put(key, data, content_type)

    def export_link(self, key: str, seconds: int) -> str:
        return f"https://bucket.example/{key}?expires={seconds}"


@dataclass
class FakeChannel:
    """E-mail or SMS: records what was sent; fails a share of sends, as SES and SNS do."""

    failure_rate: float = 0.0
    seed: int = 2022
    sent: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def _maybe_fail(self) -> None:
        if self._rng.random() < self.failure_rate:
            raise TransientSendError("Throttling")

    def send(
        self, to: str, *parts: str, html: str | None = None, about: tuple | None = None
    ) -> str:
        self._maybe_fail()
        message_id = f"fake-{len(self.sent)}"
        self.sent.append({"id": message_id, "to": to, "parts": parts, "html": html, "about": about})
        return message_id


class FakePipeline:
    """The alerting path as AWS drives it, on the fakes: the table's stream into the
    dispatcher and matching, the queue into the sender (redelivered until done, parked
    after five receipts), and the schedules."""

    def __init__(self, stores, settings, *, failure_rate: float = 0.0) -> None:
        self.stores, self.settings = stores, settings
        self.queue = FakeQueue()
        # Webhooks to partners: their queue, and what was posted (FakePoster).
        self.webhook_queue = FakeQueue(max_receives=10)
        self.poster = FakePoster()
        self.email = FakeChannel(failure_rate, seed=1)
        self.sms = FakeChannel(failure_rate, seed=2)
        self.directory = DirectoryCache(stores.directory, ttl=0)
        self.channels = Channels(
            email=self.email,
            sms=self.sms,
            ack_link=lambda reference, delivery_id, now: (
                "https://homeward.example/ack/"
                + ack_token(settings.keyring(Purpose.ACK_LINKS).signer, reference, delivery_id, now)
            ),
            sms_one_part=settings.sms_one_part,
            sms_replies=settings.sms_replies,
        )
        self._read = 0

    def pump_stream(self, now=None) -> int:
        from chalicelib.services import dispatch, erasure, matching, webhooks

        db = db_of(self.stores)
        moved = 0
        while self._read < len(db.stream):
            kind, item = db.stream[self._read]
            self._read += 1
            moved += 1
            if kind == "webhook":
                webhooks.queue_event(item, queue=self.webhook_queue)
            elif kind == "alert":
                dispatch.dispatch(
                    item,
                    stores=self.stores,
                    queue=self.queue,
                    directory=self.directory,
                    settings=self.settings,
                    now=now,
                )
            elif kind == "withdrawal":
                reference, request_id = item
                erasure.withdraw_consent(
                    reference,
                    stores=self.stores,
                    directory=self.directory.current(),
                    request_id=request_id,
                    now=now,
                )
            else:
                matching.find_matches(item.reference, item.report, stores=self.stores, now=now)
        return moved

    def pump_queue(self, now=None) -> int:
        from chalicelib.services import delivery

        batch = self.queue.receive()
        for message in batch:
            reference, delivery_id = message["body"]
            try:
                delivery.deliver(
                    reference,
                    delivery_id,
                    attempt=message["receives"],
                    stores=self.stores,
                    channels=self.channels,
                    now=now,
                )
            except delivery.RetryLater:
                continue
            self.queue.delete(message)
        return len(batch)

    def pump_webhooks(self, now=None) -> list:
        """One receive of the webhook queue; each message's attempt (retries are visible
        again at once: the backoff is the handler's, tested on its own)."""
        from chalicelib.services import webhooks

        attempts = []
        for message in self.webhook_queue.receive():
            client_id, event_id = message["body"]
            attempt = webhooks.deliver(
                client_id,
                event_id,
                stores=self.stores,
                settings=self.settings,
                poster=self.poster,
                now=now,
            )
            attempts.append(attempt)
            if attempt.outcome != "retry":
                self.webhook_queue.delete(message)
        return attempts

    def run_until_idle(self, now=None, rounds: int = 100) -> None:
        for _ in range(rounds):
            moved = self.pump_stream(now)
            while self.pump_queue(now):
                moved += 1
            if not moved and not self.queue.messages:
                return
        raise RuntimeError("the pipeline did not go idle")

    def tick(self, now) -> int:
        from chalicelib.services import escalation

        return escalation.escalate_unacknowledged(
            stores=self.stores,
            directory=self.directory.current(),
            settings=self.settings,
            now=now,
        )

    def sent_to(self, address: str) -> list[dict]:
        return [m for m in self.email.sent + self.sms.sent if m["to"] == address]


class FakeAftercare:
    """Records, lists and pointers in `db.aftercare`, under the same names and guards."""

    def __init__(self, db: FakeDb) -> None:
        self.db = db
        for part in ("records", "due", "referrals", "closures", "lists"):
            db.aftercare.setdefault(part, {})

    def _part(self, name: str) -> dict:
        return self.db.aftercare[name]

    def _versioned(self, uow, name, part, key, value, version, extra=lambda: None):
        def check() -> bool:
            held = self._part(part).get(key)
            return (held.version if held else 0) == version

        def apply() -> None:
            self._part(part)[key] = value.model_copy(update={"version": version + 1})
            extra()

        uow.add(name, apply, check)

    def get(self, reference: str) -> Aftercare | None:
        return self._part("records").get(reference)

    def save(self, uow, record: Aftercare, *, follow_up_due: dt.date | None) -> None:
        def due() -> None:
            self._part("due").pop(record.reference, None)
            if follow_up_due is not None:
                self._part("due")[record.reference] = follow_up_due

        self._versioned(uow, "aftercare", "records", record.reference, record, record.version, due)

    def reporter_word(self, reference: str) -> str | None:
        record = self.get(reference)
        return return_stage(record) if record is not None else None

    def all(self) -> list[Aftercare]:
        return list(self._part("records").values())

    def follow_ups_due_before(self, day: dt.date, limit: int = 100) -> list[str]:
        due = sorted((d, r) for r, d in self._part("due").items() if d < day)
        return [r for _, r in due][:limit]

    def add_referral(self, uow, referral: Referral) -> None:
        key = (
            referral.provider,
            iso(referral.created_at),
            referral.reference,
            referral.referral_id,
        )

        def check() -> bool:
            return key not in self._part("referrals")

        def apply() -> None:
            self._part("referrals")[key] = (referral.reference, referral.referral_id)

        uow.add("referral", apply, check)

    def referrals_of(self, provider: str, limit: int = 200) -> list[tuple[str, str]]:
        mine = sorted((k for k in self._part("referrals") if k[0] == provider), reverse=True)
        return [self._part("referrals")[k] for k in mine][:limit]

    def closure_waiting(self, uow, reference: str, waiting: bool) -> None:
        def apply() -> None:
            if waiting:
                self._part("closures")[reference] = True
            else:
                self._part("closures").pop(reference, None)

        uow.add("closure", apply)

    def closures_waiting(self) -> list[str]:
        return sorted(self._part("closures"))

    def mediation_list(self, list_id: str) -> MediationList | None:
        return self._part("lists").get(list_id)

    def save_list(self, uow, listed: MediationList) -> None:
        self._versioned(uow, "mediation-list", "lists", listed.list_id, listed, listed.version)

    def mediation_lists(self) -> list[MediationList]:
        return sorted(self._part("lists").values(), key=lambda m: m.created_at, reverse=True)

    def erase(self, uow, record: Aftercare) -> None:
        def apply() -> None:
            for part in ("records", "due", "closures"):
                self._part(part).pop(record.reference, None)
            for key in [k for k in self._part("referrals") if k[2] == record.reference]:
                del self._part("referrals")[key]

        uow.add("aftercare", apply)


class FakeConversations:
    """Conversations in memory (services/conversation_ports.py): kept as the JSON the
    DynamoDB store seals, so a state that does not survive the round trip fails here too."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[dict, float]] = {}
        self.updates: dict[str, float] = {}
        self.tidies: set[tuple[str, str]] = set()

    def get(self, conversation_id: str, now: dt.datetime):
        from chalicelib.domain.conversation import Conversation

        found = self.items.get(conversation_id)
        if found is None or found[1] <= now.timestamp():
            return None
        return Conversation.model_validate(found[0])

    def save(self, conversation) -> None:
        self.items[conversation.id] = (
            conversation.model_dump(mode="json"),
            int(conversation.expires_at().timestamp()),
        )

    def forget(self, conversation_id: str) -> None:
        self.items.pop(conversation_id, None)

    def first_time(self, update: str, now: dt.datetime, keep: dt.timedelta) -> bool:
        if update in self.updates:
            return False
        self.updates[update] = (now + keep).timestamp()
        return True

    def plan_tidy(self, conversation_id: str, due: dt.datetime) -> None:
        self.tidies.add((iso(due), conversation_id))

    def tidies_due(self, now: dt.datetime, limit: int = 50) -> list[tuple[str, dt.datetime]]:
        due = sorted(t for t in self.tidies if t[0] <= iso(now) + "~")[:limit]
        return [(c, dt.datetime.fromisoformat(at)) for at, c in due]

    def drop_tidy(self, conversation_id: str, due: dt.datetime) -> None:
        self.tidies.discard((iso(due), conversation_id))


class FakeCustodyStore:
    """Evidence items and their chains in `db.evidence` and `db.custody`, under the same
    conditions as DynamoDB's: an item only once, a chain only from the head read."""

    def __init__(self, db: FakeDb) -> None:
        self.db = db
        parts = ("withdrawn", "cases", "anchors", "stamps", "packages", "statements", "witnesses")
        for part in parts:
            db.evidence_rest.setdefault(part, {})

    def _rest(self, part: str) -> dict:
        return self.db.evidence_rest[part]

    def keep(self, uow, item: EvidenceItem, entries: list[CustodyEntry]) -> None:
        where = (item.reference, item.slot)
        last = entries[-1]

        def apply() -> None:
            held = self.db.evidence.setdefault(item.reference, {})
            held[item.slot] = replace(item, head_seq=last.seq, head_hash=last.hash)
            self.db.custody[where] = list(entries)

        uow.add(
            "evidence", apply, lambda: item.slot not in self.db.evidence.get(item.reference, {})
        )

    def keep_statement(self, uow, item: EvidenceItem, entries, statement: Statement) -> None:
        # As sealed: the record's bytes, read back through the same parser as DynamoDB's.
        record = (statement.sealed(), statement.sha256)
        self.keep(uow, item, entries)
        uow.add(
            "statement",
            lambda: self._rest("statements").__setitem__((item.reference, item.slot), record),
        )

    def statements_of(self, reference: str) -> list[Statement]:
        kept = [
            Statement.from_sealed(*record)
            for (r, _), record in self._rest("statements").items()
            if r == reference
        ]
        return sorted(kept, key=lambda s: s.number)

    def register(self, uow, reference: str) -> None:
        uow.add("evidence-case", lambda: self._rest("cases").__setitem__(reference, True))

    def append(self, uow, item: EvidenceItem, entries: list[CustodyEntry]) -> None:
        where = (item.reference, item.slot)
        last = entries[-1]

        def check() -> bool:
            held = self.db.evidence.get(item.reference, {}).get(item.slot)
            return held is not None and held.head == item.head

        def apply() -> None:
            case = self.db.evidence[item.reference]
            case[item.slot] = replace(case[item.slot], head_seq=last.seq, head_hash=last.hash)
            self.db.custody[where] += entries

        uow.add("custody-head", apply, check)

    def items_of(self, reference: str) -> list[EvidenceItem]:
        return [i for _, i in sorted(self.db.evidence.get(reference, {}).items())]

    def chain(self, item: EvidenceItem) -> list[CustodyEntry]:
        return list(self.db.custody.get((item.reference, item.slot), []))

    def references(self) -> list[str]:
        return sorted(self._rest("cases"))

    def withdraw(self, uow, reference: str, at: dt.datetime) -> None:
        withdrawn = self._rest("withdrawn")
        uow.add(
            "withdrawal",
            lambda: withdrawn.__setitem__(reference, at),
            lambda: reference not in withdrawn,
        )

    def withdrawn_at(self, reference: str) -> dt.datetime | None:
        return self._rest("withdrawn").get(reference)

    def withdraw_statement(self, uow, statement: Statement, withdrawal) -> None:
        # "witnesses": each statement's consent withdrawn by its witness, by statement id.
        withdrawn = self._rest("witnesses")
        uow.add(
            "statement-withdrawal",
            lambda: withdrawn.__setitem__(
                (statement.reference, statement.statement_id), withdrawal
            ),
            lambda: (statement.reference, statement.statement_id) not in withdrawn,
        )

    def statement_withdrawals(self, reference: str) -> dict:
        withdrawn = self._rest("witnesses").items()
        return {s: replace(w, why=None) for (r, s), w in withdrawn if r == reference}

    def withdrawal_reason(self, reference: str, statement_id: str) -> str | None:
        found = self._rest("witnesses").get((reference, statement_id))
        return found.why if found else None

    def erase_statement(self, uow, item: EvidenceItem, entries, at: dt.datetime, *, withdrawn):
        words, where = self._rest("statements"), (item.reference, item.slot)
        last = entries[-1]

        def check() -> bool:
            held = self.db.evidence.get(item.reference, {}).get(item.slot)
            return where in words and held is not None and held.head == item.head

        def apply() -> None:
            words.pop(where)
            case = self.db.evidence[item.reference]
            case[item.slot] = replace(case[item.slot], head_seq=last.seq, head_hash=last.hash)
            self.db.custody[where] += entries

        uow.add("statement-erasure", apply, check)
        if withdrawn:
            reasons, named = self._rest("witnesses"), (item.reference, item.item)
            uow.add(
                "statement-withdrawal",
                lambda: reasons.__setitem__(named, replace(reasons[named], why=None)),
                lambda: named in reasons,
            )

    def add_anchor(self, anchor: Anchor) -> bool:
        anchors = self._rest("anchors")
        if anchor.day in anchors:
            return False
        anchors[anchor.day] = anchor
        return True

    def anchor(self, day: str) -> Anchor | None:
        return self._rest("anchors").get(day)

    def last_anchor_day(self) -> str | None:
        return max(self._rest("anchors"), default=None)

    def add_stamps(self, stamps: list[tuple[str, Stamp]]) -> None:
        for reference, stamp in stamps:
            self._rest("stamps").setdefault(reference, {})[(stamp.day, stamp.item)] = stamp

    def items_and_stamps(self, reference: str) -> tuple[list[EvidenceItem], list[Stamp]]:
        stamps = [s for _, s in sorted(self._rest("stamps").get(reference, {}).items())]
        return self.items_of(reference), stamps

    def save_package(self, uow, package: Package, *, was: Package | None = None) -> None:
        packages = self._rest("packages")

        def check() -> bool:
            held = packages.get(package.package_id)
            if was is None:
                return held is None
            return held is not None and (held.state, held.sha256) == (was.state, was.sha256)

        uow.add("package", lambda: packages.__setitem__(package.package_id, package), check)

    def package(self, package_id: str) -> Package | None:
        return self._rest("packages").get(package_id)

    def packages(self) -> list[Package]:
        return [p for _, p in sorted(self._rest("packages").items())]


@dataclass
class FakeEvidenceFiles:
    """The evidence bucket under Object Lock: an original, once kept, is never replaced."""

    objects: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    holds: set[str] = field(default_factory=set)
    packages: dict[str, bytes] = field(default_factory=dict)

    def keep(self, key: str, data: bytes, content_type: str) -> str | None:
        if not key.startswith("originals/"):
            raise ValueError("originals live under originals/")
        if key in self.objects:
            return None  # written before: the writer may not read which version
        self.objects[key] = (f"e{len(self.objects) + 1}", data, content_type)
        return self.objects[key][0]

    def read(self, key: str, version_id: str | None) -> bytes:
        held_version, data, _ = self.objects[key]
        if version_id and version_id != held_version:
            raise KeyError(version_id)
        return data

    def hold(self, key: str, version_id: str | None) -> None:
        if key not in self.objects:  # S3 answers NoSuchKey: there is nothing to hold
            raise KeyError(key)
        self.holds.add(key)

    def held(self, key: str, version_id: str | None) -> bool:
        return key in self.holds

    def put_package(self, key: str, data: bytes) -> None:
        self.packages[key] = data

    def read_package(self, key: str) -> bytes:
        return self.packages[key]
