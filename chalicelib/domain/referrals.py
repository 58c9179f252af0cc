"""The help after the return: the family's consent, needs, services and referrals.

Primero's services subform (types, implementing agency, due date, implemented on) and its
referrals (in progress → accepted / rejected with a reason / revoked → done), made on the
family's consent to services and to disclosure to other organisations, or on a
coordinator's override with a reason (audited, the auditors alerted: services/aftercare.py).
What a referral releases to its provider is decided by domain/disclosure.py.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Why(StrEnum):
    """Why a step of the return, a referral, a mediation list or a closure is refused:
    declared once. The API says it in English (WHY_SAID); the console in its catalog's
    words (web/console/aftercare_words.py), never this code or the English."""

    CASE_CLOSED = "case_closed"
    NOT_NEXT_STAGE = "not_next_stage"
    NO_NOTE = "no_note"
    WITH_WHOM = "with_whom"
    IN_FUTURE = "in_future"
    BEFORE_LAST_STEP = "before_last_step"
    NOT_HOME = "not_home"
    NO_NEEDS = "no_needs"
    NO_SUCH_SERVICE = "no_such_service"
    NO_OUTCOME = "no_outcome"
    BEFORE_RETURN = "before_return"
    NO_FINDING = "no_finding"
    CLOSURE_WAITING = "closure_waiting"
    CLOSURE_NOTE = "closure_note"
    REFERRALS_OPEN = "referrals_open"
    NO_CLOSURE_WAITING = "no_closure_waiting"
    SAME_PERSON = "same_person"
    REFUSAL_NOTE = "refusal_note"
    REFERRAL_MOVE = "referral_move"
    REFERRAL_REASON = "referral_reason"
    PROVIDER_ANSWER = "provider_answer"
    ONLY_COORDINATOR = "only_coordinator"
    NO_FAMILY_CONSENT = "no_family_consent"
    REPORTER_WITHDREW = "reporter_withdrew"
    NO_TRACING = "no_tracing"
    NOT_A_PROVIDER = "not_a_provider"
    NOT_OFFERED_THERE = "not_offered_there"
    NAME_MEDIATOR = "name_mediator"
    NOT_VERIFIED = "not_verified"
    ALREADY_LISTED = "already_listed"
    EMPTY_LIST = "empty_list"
    ANSWER_REFUSED = "answer_refused"


# The English the API's problem details carry (`values` fill the braces).
WHY_SAID: dict[Why, str] = {
    Why.CASE_CLOSED: "the case is closed",
    Why.NOT_NEXT_STAGE: "a child who is {was} can move to {allowed}, not {stage}",
    Why.NO_NOTE: "every step needs a note saying how or why",
    Why.WITH_WHOM: "{stage}: say with whom",
    Why.IN_FUTURE: "a step or a follow-up cannot be dated in the future",
    Why.BEFORE_LAST_STEP: "a step cannot be dated before the one it follows",
    Why.NOT_HOME: "needs, services, referrals and follow-ups begin once the child is home",
    Why.NO_NEEDS: "an assessment names at least one need",
    Why.NO_SUCH_SERVICE: "no such service on this case",
    Why.NO_OUTCOME: "say how the service went",
    Why.BEFORE_RETURN: "a follow-up cannot be dated before the return",
    Why.NO_FINDING: "say what the follow-up found",
    Why.CLOSURE_WAITING: "a closure is already waiting for approval",
    Why.CLOSURE_NOTE: "a closure needs a note",
    Why.REFERRALS_OPEN: "referrals still open: revoke them or have them done first",
    Why.NO_CLOSURE_WAITING: "no closure is waiting for approval",
    Why.SAME_PERSON: "a closure is approved by another person than who asked",
    Why.REFUSAL_NOTE: "a refused closure needs a note saying why",
    Why.REFERRAL_MOVE: "a referral that is {status} cannot become {target}",
    Why.REFERRAL_REASON: "a referral is {target} only with a reason",
    Why.PROVIDER_ANSWER: "a provider accepts, rejects or records a referral done",
    Why.ONLY_COORDINATOR: "only a coordinator may refer without the family's consent",
    Why.NO_FAMILY_CONSENT: "the family has not consented to services and to disclosure to "
    "other organisations: a coordinator may override with a reason",
    Why.REPORTER_WITHDREW: "the reporter withdrew their consent to sharing",
    Why.NO_TRACING: "the reporter did not allow tracing and sharing with the authorities: "
    "a mediator may not receive this child",
    Why.NOT_A_PROVIDER: "{provider} is not a service provider in the directory",
    Why.NOT_OFFERED_THERE: "{provider} does not offer {service} where the child lives",
    Why.NAME_MEDIATOR: "name the mediator",
    Why.NOT_VERIFIED: "only a verified child is put on a mediation list",
    Why.ALREADY_LISTED: "the child is on this list already",
    Why.EMPTY_LIST: "an empty list is not exported",
    Why.ANSWER_REFUSED: "{lines}",
}


class ReferralError(ValueError):
    """A step the return, a referral or a list does not allow: `why` says which (the
    message is its English, for the API and the logs)."""

    def __init__(self, why: Why, **values: object) -> None:
        self.why = why
        self.values = values
        super().__init__(WHY_SAID[why].format(**values))


class ConsentMissing(ReferralError):
    """A referral without the family's consent to services and to disclosure, and no
    coordinator's override with a reason."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- consent, needs and services --------------------------------------------------------


class ServicesConsent(_Frozen):
    """The family's (or the child's) answers, as the caseworker recorded them."""

    services: bool
    disclosure: bool
    recorded_by: str
    recorded_at: dt.datetime


class NeedType(StrEnum):
    MEDICAL = "medical"
    PSYCHOLOGICAL = "psychological"
    LEGAL = "legal"
    DOCUMENTS = "documents"
    EDUCATION = "education"
    HOUSING = "housing"
    FAMILY_TRACING = "family_tracing"


class Urgency(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Need(_Frozen):
    type: NeedType
    urgency: Urgency
    note: str = ""


class Assessment(_Frozen):
    needs: tuple[Need, ...]
    assessed_on: dt.date
    by: str


class ServiceType(StrEnum):
    """The services of Primero's services subform, in the coalition's words."""

    HEALTH = "health"
    PSYCHOSOCIAL = "psychosocial"
    LEGAL = "legal"
    EDUCATION = "education"
    REGISTRATION = "registration"
    FAMILY_REUNIFICATION = "family_reunification"
    SAFE_HOUSE = "safe_house"
    LIVELIHOODS = "livelihoods"


# A service in the words of an alert to its provider (uk, en).
SERVICE_WORDS: dict[ServiceType, dict[str, str]] = {
    ServiceType.HEALTH: {"en": "health care", "uk": "медична допомога"},
    ServiceType.PSYCHOSOCIAL: {"en": "psychosocial support", "uk": "психосоціальна підтримка"},
    ServiceType.LEGAL: {"en": "legal aid", "uk": "правова допомога"},
    ServiceType.EDUCATION: {"en": "education", "uk": "освіта"},
    ServiceType.REGISTRATION: {
        "en": "documents and registration",
        "uk": "документи та реєстрація",
    },
    ServiceType.FAMILY_REUNIFICATION: {
        "en": "family reunification",
        "uk": "возз’єднання з родиною",
    },
    ServiceType.SAFE_HOUSE: {"en": "a safe place to live", "uk": "безпечне житло"},
    ServiceType.LIVELIHOODS: {"en": "livelihoods", "uk": "засоби до існування"},
}


class Service(_Frozen):
    """A service planned for a need: who provides it, by when, and how it went."""

    service_id: str
    type: ServiceType
    agency: str
    due: dt.date
    planned_by: str
    planned_at: dt.datetime
    implemented_on: dt.date | None = None
    outcome: str | None = None
    # The referral that asked a provider for it, if one did.
    referral_id: str | None = None


# -- referrals --------------------------------------------------------------------------


class ReferralStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    DONE = "done"


REFERRAL_MOVES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.IN_PROGRESS: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.REVOKED}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.DONE, ReferralStatus.REVOKED}),
    ReferralStatus.REJECTED: frozenset(),
    ReferralStatus.REVOKED: frozenset(),
    ReferralStatus.DONE: frozenset(),
}
# The provider answers a referral; the case's own people revoke it.
PROVIDER_MOVES = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.DONE})
NEEDS_REASON = frozenset({ReferralStatus.REJECTED, ReferralStatus.REVOKED})


class Basis(StrEnum):
    """On what a referral discloses the child to another organisation."""

    CONSENT = "consent"
    OVERRIDE = "override"  # a coordinator's stated reason, audited, auditors alerted


class ReferralStep(_Frozen):
    status: ReferralStatus
    at: dt.datetime
    by: str
    agency: str
    reason: str | None = None


class Referral(_Frozen):
    referral_id: str
    reference: str
    service: ServiceType
    provider: str
    basis: Basis
    # What the provider is told it is for (the caseworker's words for the provider).
    note: str
    steps: tuple[ReferralStep, ...]
    override_reason: str | None = None

    @property
    def status(self) -> ReferralStatus:
        return self.steps[-1].status

    @property
    def created_at(self) -> dt.datetime:
        return self.steps[0].at

    def at_status(self, status: ReferralStatus) -> dt.datetime | None:
        return next((s.at for s in self.steps if s.status == status), None)

    def moved(
        self, target: ReferralStatus, *, by: str, agency: str, at: dt.datetime, reason: str | None
    ) -> Referral:
        if target not in REFERRAL_MOVES[self.status]:
            raise ReferralError(Why.REFERRAL_MOVE, status=self.status, target=target)
        if target in NEEDS_REASON and not (reason and reason.strip()):
            raise ReferralError(Why.REFERRAL_REASON, target=target)
        step = ReferralStep(status=target, at=at, by=by, agency=agency, reason=reason)
        return self.model_copy(update={"steps": (*self.steps, step)})


def referral_basis(
    consent: ServicesConsent | None, override_reason: str | None, *, coordinator: bool
):
    """Consent to services and to disclosure, or a coordinator's override with a reason."""
    if consent is not None and consent.services and consent.disclosure:
        return Basis.CONSENT
    if override_reason and override_reason.strip():
        if not coordinator:
            raise ConsentMissing(Why.ONLY_COORDINATOR)
        return Basis.OVERRIDE
    raise ConsentMissing(Why.NO_FAMILY_CONSENT)
