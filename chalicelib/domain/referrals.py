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


class ReferralError(ValueError):
    """A step the referral does not allow; the message says why, in words."""


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
            raise ReferralError(f"a referral that is {self.status} cannot become {target}")
        if target in NEEDS_REASON and not (reason and reason.strip()):
            raise ReferralError(f"a referral is {target} only with a reason")
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
            raise ConsentMissing("only a coordinator may refer without the family's consent")
        return Basis.OVERRIDE
    raise ConsentMissing(
        "the family has not consented to services and to disclosure to other organisations: "
        "a coordinator may override with a reason"
    )
