"""Shapes of the staff API's requests and answers for what the console does too: search,
corrections, acknowledging one's own alert, the colleagues a case can be given to, a
routing preview, a link to a case's file (web/console_api.py). Beside web/schemas.py,
whose models these build on; web/operations.py resolves a name in either.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from chalicelib.domain import alerts, casefile
from chalicelib.domain.case import iso
from chalicelib.domain.disclosure import Disclosed
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
