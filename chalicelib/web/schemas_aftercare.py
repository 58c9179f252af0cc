"""Shapes of the staff API's return, referral, mediation and KPI requests and answers.

Every stage, status, type and reason comes from the domain (domain/aftercare.py,
domain/referrals.py); the record itself is the domain's model, with what staff need to
know about it now (the next follow-up, whether it is late).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.domain.aftercare import Aftercare, ClosureReason, ReturnStage
from chalicelib.domain.mediation import AnswerLine, MediationList, RecordedAnswer
from chalicelib.domain.referrals import Need, ReferralStatus, ServiceType
from chalicelib.domain.staff import AGENCY_PATTERN

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Agency = Annotated[str, StringConstraints(pattern=AGENCY_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests --


class ReturnStep(Strict):
    stage: ReturnStage
    on: dt.date = Field(description="The day it happened")
    how: Text = Field(description="How it was done, or why (who verified, how)")
    with_whom: Short | None = Field(default=None, description="For reunited or placed")


class ServicesConsentGiven(Strict):
    services: bool = Field(description="The family consents to services")
    disclosure: bool = Field(description="...and to disclosure to other organisations")


class NeedsAssessed(Strict):
    needs: list[Need] = Field(min_length=1, max_length=20)
    on: dt.date


class ServicePlanned(Strict):
    service: ServiceType
    agency: Agency = Field(description="The implementing organisation")
    due: dt.date


class ServiceDone(Strict):
    on: dt.date
    outcome: Text


class NewReferral(Strict):
    service: ServiceType
    provider: Agency = Field(description="A service provider in the directory")
    note: Text = Field(description="What the provider is told it is for")
    due: dt.date
    override_reason: Text | None = Field(
        default=None,
        description="Coordinators only: why the child is referred without the family's "
        "consent (audited; the auditors are alerted)",
    )


class Reason(Strict):
    reason: Text


class ReferralAnswer(Strict):
    status: Literal[ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.DONE]
    reason: Text | None = Field(default=None, description="Required to reject")


class FollowUpDone(Strict):
    on: dt.date
    note: Text


class ClosureAsked(Strict):
    reason: ClosureReason
    note: Text


class ClosureDecision(Strict):
    approve: bool
    note: Text | None = Field(default=None, description="Required to refuse")


class NewMediationList(Strict):
    mediator: Short = Field(description="The mediator's name (a state, an organisation)")


class MediationChild(Strict):
    reference: Annotated[str, StringConstraints(max_length=20)]
    on: dt.date | None = Field(default=None, description="When put on the list; today if left out")


class MediatorAnswers(Strict):
    version: int = Field(ge=1, description="The export the mediator answers")
    on: dt.date | None = Field(default=None, description="When the answer came; today if left out")
    answers: list[AnswerLine] = Field(
        min_length=1,
        max_length=2000,
        description="Each child by its line in that export (from 1): confirmed, "
        "being_returned, not_found or refused",
    )


# -- answers --


class ReturnRecord(Aftercare):
    follow_up_due: dt.date | None = None
    follow_up_overdue: bool = False

    @classmethod
    def of(cls, file: Any) -> ReturnRecord:
        return cls(
            **file.record.model_dump(),
            follow_up_due=file.next_follow_up,
            follow_up_overdue=file.overdue,
        )


class ClosuresWaiting(BaseModel):
    cases: list[ReturnRecord]

    @classmethod
    def of(cls, files: list) -> ClosuresWaiting:
        return cls(cases=[ReturnRecord.of(f) for f in files])


class ReferralHistory(BaseModel):
    status: ReferralStatus
    at: dt.datetime
    agency: str
    reason: str | None = None


class ProviderReferral(BaseModel):
    """A referral as its provider sees it: only what the disclosure policy releases."""

    reference: str
    referral_id: str
    service: ServiceType
    status: ReferralStatus
    note: str
    due: dt.date | None
    child: dict[str, Any] = Field(description="Only the fields released for a referral")
    history: list[ReferralHistory]

    @classmethod
    def of(cls, view: Any) -> ProviderReferral:
        referral = view.referral
        return cls(
            reference=referral.reference,
            referral_id=referral.referral_id,
            service=referral.service,
            status=referral.status,
            note=referral.note,
            due=view.due,
            child=view.child,
            history=[
                ReferralHistory(status=s.status, at=s.at, agency=s.agency, reason=s.reason)
                for s in referral.steps
            ],
        )


class ProviderInbox(BaseModel):
    referrals: list[ProviderReferral]

    @classmethod
    def of(cls, views: list) -> ProviderInbox:
        return cls(referrals=[ProviderReferral.of(v) for v in views])


class MediationLists(BaseModel):
    lists: list[MediationList]

    @classmethod
    def of(cls, lists: list[MediationList]) -> MediationLists:
        return cls(lists=lists)


class MediationExport(BaseModel):
    list_id: str
    mediator: str
    version: int
    children: list[dict[str, Any]] = Field(description="Only the fields released to a mediator")
    withheld: int = Field(description="Children on the list whose consent no longer allows it")

    @classmethod
    def of(cls, export: Any) -> MediationExport:
        return cls(
            list_id=export.listed.list_id,
            mediator=export.listed.mediator,
            version=export.version,
            children=export.children,
            withheld=export.withheld,
        )


class Overtaken(BaseModel):
    line: int
    why: str


class MediatorAnswerImported(BaseModel):
    list: MediationList
    taken: list[RecordedAnswer] = Field(description="The lines taken now")
    overtaken: list[Overtaken] = Field(
        description="Lines a change to the child's pathway overtook after they were checked"
    )

    @classmethod
    def of(cls, imported: Any) -> MediatorAnswerImported:
        return cls(
            list=imported.listed,
            taken=imported.taken,
            overtaken=[Overtaken(line=line, why=why) for line, why in imported.overtaken],
        )


class KpiFigures(BaseModel):
    cases: int
    verified: int
    returned: int
    days_to_verified: float | None
    days_to_returned: float | None
    days_to_first_service: float | None
    follow_ups: int
    follow_ups_on_time: int
    follow_ups_overdue: int
    referrals: int
    referrals_accepted: int
    referrals_completed: int


class KpiOblast(KpiFigures):
    oblast: str


class KpiMonth(KpiFigures):
    month: str = Field(description="The month the reports came in, YYYY-MM")


class ReturnKpis(BaseModel):
    by_stage: dict[str, int]
    overall: KpiFigures
    by_oblast: list[KpiOblast]
    by_month: list[KpiMonth]
