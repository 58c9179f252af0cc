"""Shapes of the staff API's requests and answers: validated, serialised, and documented.

Answers are built through these models, so what the OpenAPI document promises is what
the API sends.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain import alerts
from chalicelib.domain.contacts import Contact
from chalicelib.domain.report import Category, Oblast, Report
from chalicelib.domain.routing import RoutingRule
from chalicelib.domain.staff import Role
from chalicelib.domain.workflow import STATUSES

Status = Literal[STATUSES]  # the workflow's statuses (chalicelib/domain/workflow.py)
Reference = Annotated[
    str, StringConstraints(pattern=r"^HW-[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


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


class StatusChange(Strict):
    status: Status
    note: Text
    version: int = Field(ge=1)


class Assignment(Strict):
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    version: int = Field(ge=1)


class NewNote(Strict):
    text: Text


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


class CasePage(BaseModel):
    cases: list[CaseSummary]
    cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")


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


class CaseFile(CaseSummary):
    report: Report
    agencies: list[str]
    links: list[str]
    updated_at: str | None = None
    notes: list[Note]
    deliveries: list[DeliveryState]


class AuditRecord(BaseModel):
    reference: str
    actor: str
    role: Role
    agency: str
    action: str
    detail: str | None = None
    at: str
    request_id: str


class AuditTrail(BaseModel):
    entries: list[AuditRecord]


class Statistics(BaseModel):
    total: int
    urgent: int
    status: dict[str, int]
    oblast: dict[str, int]
    category: dict[str, int]


class MatchDecision(Strict):
    decision: Literal["confirmed", "rejected"]


class Match(BaseModel):
    reference: str = Field(description="The other case")
    verdict: Literal["likely", "possible"]
    score: float
    explanation: dict[str, str] = Field(
        description="Per field: match, close, mismatch, missing (dates also year_only, "
        "day_month_swapped)"
    )
    review: Literal["potential", "confirmed", "rejected"]
    found_at: str
    decided_by: str | None = None
    decided_at: str | None = None


class Matches(BaseModel):
    matches: list[Match]


class UndeliveredAlert(BaseModel):
    reference: str
    delivery_id: str
    contact_id: str
    channel: Literal["email", "sms"]
    attempts: int
    last_error: str | None = None
    failed_at: str | None = None


class Undelivered(BaseModel):
    deliveries: list[UndeliveredAlert]


class DeliveryRetry(Strict):
    reference: Reference
    delivery_id: Annotated[str, StringConstraints(min_length=3, max_length=300)]


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
