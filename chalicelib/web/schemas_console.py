"""Shapes of the staff API's requests and answers for what the console does too: search,
corrections, acknowledging one's own alert, the colleagues a case can be given to, a
routing preview, a link to a case's file (web/console_api.py). Beside web/schemas.py,
whose models these build on; web/operations.py resolves a name in either.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from chalicelib.domain import alerts, casefile
from chalicelib.domain.case import iso
from chalicelib.domain.disclosure import Disclosed
from chalicelib.domain.on_call import Narrowed, Waits
from chalicelib.domain.report import Category, Oblast
from chalicelib.domain.staff import Role
from chalicelib.web.schemas import CaseSummary, Strict


class SearchQuery(Strict):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = (
        Field(
            description="A reference, or the child's names in any script, with a birth date "
            "(2012-03-14 or 14.03.2012) or year"
        )
    )


class FoundChild(BaseModel):
    family_name: str
    given_name: str
    date_of_birth: dt.date | None = None
    birth_year: int | None = None


class FoundCase(CaseSummary):
    child: FoundChild | None = Field(
        description="Null when the reporter's consent lets this reader know only that the "
        "report exists"
    )

    @classmethod
    def of(cls, brief: casefile.CaseBrief) -> FoundCase:  # type: ignore[override]
        child = brief.report.child if brief.report else None
        return cls(
            **CaseSummary.of(brief.summary).model_dump(),
            child=FoundChild(
                family_name=child.family_name,
                given_name=child.given_name,
                date_of_birth=child.date_of_birth,
                birth_year=child.birth_year,
            )
            if child
            else None,
        )


class SearchResults(BaseModel):
    cases: list[FoundCase]

    @classmethod
    def of(cls, found) -> SearchResults:
        return cls(cases=[FoundCase.of(b) for b in found.cases])


class Correction(Strict):
    field: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="section.field, e.g. child.date_of_birth"
    )
    value: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        description="The corrected value as it would be typed; empty clears an optional field"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
    version: int = Field(ge=1)


class ConsoleAcknowledgement(Strict):
    delivery_id: Annotated[str, StringConstraints(min_length=3, max_length=300)]


class Acknowledgement(BaseModel):
    reference: str
    at: str
    handled: bool

    @classmethod
    def of(cls, done) -> Acknowledgement:
        return cls(reference=done.reference, at=iso(done.at), handled=done.handled)


class PreviewQuery(Strict):
    oblast: Oblast
    category: Category
    urgent: bool = False
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class Reached(BaseModel):
    contact_id: str
    agency: str
    channel: alerts.Channel
    disclosure: Disclosed


class PreviewRung(BaseModel):
    level: int = Field(description="0: the first alert; then each escalation")
    deliveries: list[Reached]


class RoutingPreview(BaseModel):
    rungs: list[PreviewRung]

    @classmethod
    def of(cls, rungs) -> RoutingPreview:
        return cls(
            rungs=[
                PreviewRung(
                    level=r.level,
                    deliveries=[
                        Reached(
                            contact_id=d.contact_id,
                            agency=d.agency,
                            channel=d.channel,
                            disclosure=d.disclosure.name.lower(),
                        )
                        for d in r.deliveries
                    ],
                )
                for r in rungs
            ]
        )


class ColleagueEntry(BaseModel):
    subject: str
    name: str | None = None
    role: Role
    agency: str


class Colleagues(BaseModel):
    colleagues: list[ColleagueEntry]

    @classmethod
    def of(cls, people) -> Colleagues:
        return cls(
            colleagues=[
                ColleagueEntry(subject=p.subject, name=p.name, role=p.role, agency=p.agency)
                for p in people
            ]
        )


class AttachmentLink(BaseModel):
    url: str
    expires_in: int

    @classmethod
    def of(cls, url: str) -> AttachmentLink:
        from chalicelib.services.attachment_links import LINK_SECONDS

        return cls(url=url, expires_in=LINK_SECONDS)


# -- the on-call view (services/on_call.py) ------------------------------------------------


class OnCallQuery(Strict):
    show: Narrowed = Field(
        default=Narrowed.EVERYONE,
        description="all; me: sent to the caller; desk: of cases the desk owns",
    )
    page: int = Field(default=1, ge=1, le=100_000)


class TriedContact(BaseModel):
    contact_id: str
    name: str
    channel: alerts.Channel
    level: int
    state: alerts.DeliveryState
    at: str | None = None


class WaitingAlertOut(BaseModel):
    reference: str
    what: Waits
    urgent: bool
    category: Category
    oblast: Oblast
    level: int
    due: str
    seconds_left: float
    tried: list[TriedContact]
    for_me: bool
    my_desk: bool
    # The delivery the caller may acknowledge (POST .../cases/{reference}/acknowledge).
    acknowledge: str | None = None


class OnCallPage(BaseModel):
    total: int
    page: int
    pages: int
    alerts: list[WaitingAlertOut]

    @classmethod
    def of(cls, found) -> OnCallPage:
        return cls(
            total=found.total,
            page=found.page,
            pages=found.pages,
            alerts=[
                WaitingAlertOut(
                    reference=a.reference,
                    what=a.what,
                    urgent=a.waiting.alert.urgent,
                    category=a.waiting.alert.category,
                    oblast=a.waiting.alert.oblast,
                    level=a.level,
                    due=iso(a.waiting.due),
                    seconds_left=round(a.seconds_left),
                    tried=[
                        TriedContact(
                            contact_id=t.contact_id,
                            name=t.name,
                            channel=t.channel,
                            level=t.level,
                            state=t.state,
                            at=iso(t.at) if t.at else None,
                        )
                        for t in a.tried
                    ],
                    for_me=a.for_me,
                    my_desk=a.my_desk,
                    acknowledge=a.acknowledge,
                )
                for a in found.alerts
            ],
        )


# -- statistics and sending again ----------------------------------------------------


class AcknowledgementTimes(BaseModel):
    """One desk's (or one week's) acknowledgements that stopped a ladder."""

    key: str = Field(description="The desk's agency, or the week (2026-W48)")
    count: int
    median_seconds: float
    p90_seconds: float
    late: int = Field(description="How many were acknowledged only after an escalation")


class Responses(BaseModel):
    by_desk: list[AcknowledgementTimes]
    by_week: list[AcknowledgementTimes]
    overdue: dict[str, int] = Field(
        description="Per desk: alerts of cases it owns waiting past their deadline"
    )
    open_by_person: dict[str, int] = Field(
        description="Per staff subject: open cases assigned to them"
    )

    @classmethod
    def of(cls, found) -> Responses:
        def times(rows):
            return [
                AcknowledgementTimes(
                    key=r.key,
                    count=r.count,
                    median_seconds=r.median_seconds,
                    p90_seconds=r.p90_seconds,
                    late=r.late,
                )
                for r in rows
            ]

        return cls(
            by_desk=times(found.by_desk),
            by_week=times(found.by_week),
            overdue=found.overdue,
            open_by_person=found.open_by_person,
        )


class Statistics(BaseModel):
    total: int
    urgent: int
    status: dict[str, int]
    oblast: dict[str, int]
    category: dict[str, int]
    # Time to acknowledge (last 12 weeks), overdue alerts and open caseloads.
    responses: Responses | None = None

    @classmethod
    def of(cls, found: dict) -> Statistics:
        responses = found.get("responses")
        return cls(
            **{k: v for k, v in found.items() if k != "responses"},
            responses=Responses.of(responses) if responses is not None else None,
        )


class ResentAll(BaseModel):
    """What "send all again" did: how many were queued, how many had no way to their
    contact any more, or may no longer be sent (the reporter withdrew)."""

    queued: int
    unreachable: int
    withheld: int

    @classmethod
    def of(cls, done) -> ResentAll:
        return cls(queued=done.queued, unreachable=done.unreachable, withheld=done.withheld)


class Resent(BaseModel):
    """A delivery queued to be sent again: to whom, by what, at the address the directory
    has now (the sender resolves it once more when it sends)."""

    status: Literal["queued"] = "queued"
    contact_id: str
    channel: alerts.Channel
    address: str

    @classmethod
    def of(cls, delivery: alerts.Delivery) -> Resent:
        return cls(
            contact_id=delivery.contact_id, channel=delivery.channel, address=delivery.address
        )
