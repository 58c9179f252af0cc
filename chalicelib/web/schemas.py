"""Shapes of the staff API's requests and answers: validated, serialised, and documented.

Answers are built through these models from the domain's objects (the `of` methods), so
what the OpenAPI document promises is what the API sends. Every state and enum comes
from the domain (workflow.Status, alerts.DeliveryState, matching.Review...).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain import alerts, casefile
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import REFERENCE_PATTERN, iso
from chalicelib.domain.contacts import Contact
from chalicelib.domain.disclosure import Withheld
from chalicelib.domain.matching import CandidatePair, Review, Verdict
from chalicelib.domain.report import Category, Oblast, Report
from chalicelib.domain.routing import RoutingRule
from chalicelib.domain.workflow import Status

Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


def _iso(moment: dt.datetime | None) -> str | None:
    return iso(moment) if moment else None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseQuery(Strict):
    status: Status | None = None
    oblast: Oblast | None = None
    category: Category | None = None
    urgent: bool | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    limit: int = Field(default=50, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _a_range(self) -> CaseQuery:
        # DynamoDB refuses a key range whose ends are the wrong way round.
        if self.received_from and self.received_to and self.received_from > self.received_to:
            raise ValueError("received_from is after received_to")
        return self

    def filters(self) -> casefile.Filters:
        return casefile.Filters(
            status=self.status,
            oblast=self.oblast,
            category=self.category,
            urgent=self.urgent,
            received_from=self.received_from,
            received_to=self.received_to,
        )


class StatusChange(Strict):
    status: Status
    note: Text
    version: int = Field(ge=1)


class Assignment(Strict):
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    version: int = Field(ge=1)


class NewNote(Strict):
    text: Text


class BreakGlass(Strict):
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=500)
    ] = Field(description="Why the coordinator must see what the reporter's consent withholds")


class NewLink(Strict):
    reference: Reference
    version: int = Field(ge=1)


class CaseSummary(BaseModel):
    reference: str
    received_at: str
    status: Status
    oblast: str
    category: str
    urgent: bool
    assignee: str | None = None
    version: int

    @classmethod
    def of(cls, summary: casefile.CaseSummary) -> CaseSummary:
        return cls(
            reference=summary.reference,
            received_at=iso(summary.received_at),
            status=summary.status,
            oblast=summary.oblast,
            category=summary.category,
            urgent=summary.urgent,
            assignee=summary.assignee,
            version=summary.version,
        )


class CasePage(BaseModel):
    cases: list[CaseSummary]
    cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")

    @classmethod
    def of(cls, page: casefile.Page) -> CasePage:
        return cls(cases=[CaseSummary.of(c) for c in page.cases], cursor=page.cursor)


class Note(BaseModel):
    at: str
    author: str
    text: str


class DeliveryState(BaseModel):
    contact_id: str
    channel: alerts.Channel
    state: alerts.DeliveryState
    attempts: int
    sent_at: str | None = None
    acknowledged_at: str | None = None

    @classmethod
    def of(cls, stored: alerts.StoredDelivery) -> DeliveryState:
        return cls(
            contact_id=stored.delivery.contact_id,
            channel=stored.delivery.channel,
            state=stored.state,
            attempts=stored.attempts,
            sent_at=_iso(stored.sent_at),
            acknowledged_at=_iso(stored.acknowledged_at),
        )


class CaseHistoryEvent(BaseModel):
    at: str
    actor: str
    agency: str
    action: str
    detail: dict[str, str | None]

    @classmethod
    def of(cls, event: casefile.CaseEvent, report_shown: bool = True) -> CaseHistoryEvent:
        detail = dict(event.detail)
        if not report_shown:
            # A corrected value is the report's: not for whom the report is withheld.
            detail = {k: v for k, v in detail.items() if k not in ("before", "after")}
        return cls(
            at=iso(event.at),
            actor=event.actor,
            agency=event.agency,
            action=event.action,
            detail=detail,
        )


class CaseFile(CaseSummary):
    report: Report | None = Field(
        description="As the disclosure policy lets this reader see it; null when only the "
        "report's existence may be known"
    )
    withheld: list[Withheld] = Field(
        description="What the reporter's consent keeps from this reader"
    )
    agencies: list[str]
    links: list[str]
    updated_at: str | None = None
    notes: list[Note]
    deliveries: list[DeliveryState]
    events: list[CaseHistoryEvent] = Field(
        default_factory=list,
        description="Assignments, links, corrections, match decisions, acknowledgements",
    )

    @classmethod
    def of(cls, shown: casefile.ShownCase) -> CaseFile:  # type: ignore[override]
        file = shown.file
        case = file.case
        return cls(
            reference=case.reference,
            received_at=iso(case.received_at),
            status=case.status,
            oblast=case.oblast,
            category=case.category,
            urgent=case.urgent,
            assignee=file.assignee,
            version=case.version,
            report=shown.report,
            withheld=list(shown.withheld),
            agencies=sorted(file.agencies),
            links=sorted(file.links),
            updated_at=_iso(file.updated_at),
            notes=[Note(at=iso(n.at), author=n.author, text=n.text) for n in file.notes],
            deliveries=[DeliveryState.of(d) for d in file.deliveries],
            events=[CaseHistoryEvent.of(e, shown.report is not None) for e in file.events],
        )


class AuditRecord(BaseModel):
    reference: str
    actor: str
    role: Annotated[
        str,
        Field(
            description="caseworker, coordinator, auditor, contact; reporter (a withdrawal) "
            "or retention (an anonymisation)"
        ),
    ]
    agency: str
    action: str
    detail: str | None = None
    at: str
    request_id: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRecord:
        return cls(
            reference=entry.reference,
            actor=entry.actor,
            role=entry.role,
            agency=entry.agency,
            action=entry.action,
            detail=entry.detail,
            at=iso(entry.at),
            request_id=entry.request_id,
        )


class AuditTrail(BaseModel):
    entries: list[AuditRecord]

    @classmethod
    def of(cls, entries: list[AuditEntry]) -> AuditTrail:
        return cls(entries=[AuditRecord.of(e) for e in entries])


class MatchDecision(Strict):
    decision: Literal[Review.CONFIRMED, Review.REJECTED]


class Match(BaseModel):
    reference: str = Field(description="The other case")
    verdict: Verdict
    score: float
    explanation: dict[str, str] = Field(
        description="Per field: match, close, mismatch, missing (dates also year_only, "
        "day_month_swapped)"
    )
    review: Review
    found_at: str
    decided_by: str | None = None
    decided_at: str | None = None

    @classmethod
    def of(cls, pair: CandidatePair) -> Match:
        return cls(
            reference=pair.other,
            verdict=pair.verdict,
            score=pair.score,
            explanation=pair.explanation,
            review=pair.review,
            found_at=iso(pair.found_at),
            decided_by=pair.decided_by,
            decided_at=_iso(pair.decided_at),
        )


class Matches(BaseModel):
    matches: list[Match]

    @classmethod
    def of(cls, pairs: list[CandidatePair]) -> Matches:
        return cls(matches=[Match.of(p) for p in pairs])


class UndeliveredAlert(BaseModel):
    reference: str
    delivery_id: str
    contact_id: str
    channel: alerts.Channel
    attempts: int
    last_error: str | None = None
    failed_at: str | None = None
    # Why, as a coordinator acts on it (alerts.Undeliverable).
    reason: alerts.Undeliverable = alerts.Undeliverable.OTHER
    # Where it was last tried (the contact's address then; "send again" resolves anew).
    address: str | None = None
    urgent: bool = False

    @classmethod
    def of(cls, stored: alerts.StoredDelivery) -> UndeliveredAlert:
        return cls(
            reference=stored.reference,
            delivery_id=stored.delivery_id,
            contact_id=stored.delivery.contact_id,
            channel=stored.delivery.channel,
            attempts=stored.attempts,
            last_error=stored.last_error,
            failed_at=_iso(stored.updated_at),
            reason=stored.undeliverable,
            address=stored.delivery.address,
            urgent=stored.delivery.alert.urgent,
        )


class Undelivered(BaseModel):
    deliveries: list[UndeliveredAlert]

    @classmethod
    def of(cls, stored: list[alerts.StoredDelivery]) -> Undelivered:
        return cls(deliveries=[UndeliveredAlert.of(d) for d in stored])


class DeliveryRetry(Strict):
    reference: Reference
    delivery_id: Annotated[str, StringConstraints(min_length=3, max_length=300)]


class Queued(BaseModel):
    status: Literal["queued"] = "queued"

    @classmethod
    def of(cls, _: object) -> Queued:
        return cls()


class ContactList(BaseModel):
    contacts: list[Contact]
    # Changes are made to one version of the directory at a time.
    version: int
    # What would make an alert reach nobody as the directory stands (routing.py).
    problems: list[str]


class ContactEntry(Contact):
    # The routing rules that name this contact, at any rung.
    rules: list[str]


class RoutingRuleList(BaseModel):
    rules: list[RoutingRule]
    version: int
    problems: list[str]


# -- a person's requests about their data (services/data_requests.py) --------------------


class DataRequest(Strict):
    """Whom a request is about: exactly one of the three."""

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    reference: Reference | None = None

    @model_validator(mode="after")
    def _one(self) -> DataRequest:
        if sum(v is not None for v in (self.email, self.phone, self.reference)) != 1:
            raise ValueError("give exactly one of email, phone and reference")
        return self

    def person(self):
        from chalicelib.services.data_requests import Person

        return Person(email=self.email, phone=self.phone, reference=self.reference)


class FileRecord(BaseModel):
    key: str
    sha256: str
    size: int
    content_type: str


class HeldCase(BaseModel):
    reference: str
    received_at: str
    status: Status
    report: Report = Field(description="Whole: the sealed fields opened")
    withdrawn_at: str | None = None
    anonymised_at: str | None = None
    agencies: list[str]
    links: list[str]
    notes: list[Note]
    files: list[FileRecord] = Field(
        description="The records of the files; the files are "
        "in the uploads bucket under cases/<reference>/"
    )
    audit: list[AuditRecord]


class DataExport(BaseModel):
    cases: list[HeldCase] = Field(description="Every case the person reported")

    @classmethod
    def of(cls, held: list) -> DataExport:
        cases = []
        for h in held:
            file, case = h.file, h.file.case
            cases.append(
                HeldCase(
                    reference=case.reference,
                    received_at=iso(case.received_at),
                    status=case.status,
                    report=case.report,
                    withdrawn_at=_iso(case.withdrawn_at),
                    anonymised_at=_iso(case.anonymised_at),
                    agencies=sorted(file.agencies),
                    links=sorted(file.links),
                    notes=[Note(at=iso(n.at), author=n.author, text=n.text) for n in file.notes],
                    files=[
                        FileRecord(
                            key=a.key, sha256=a.sha256, size=a.size, content_type=a.content_type
                        )
                        for a in file.attachments
                    ],
                    audit=[AuditRecord.of(e) for e in h.audit],
                )
            )
        return cls(cases=cases)


class DataErased(BaseModel):
    erased: list[str] = Field(description="Cases whose reporter's contact details were erased")
    nothing_left: list[str] = Field(description="Cases that held nothing of them any more")

    @classmethod
    def of(cls, done) -> DataErased:
        return cls(erased=done.erased, nothing_left=done.nothing_left)
