"""The words of the return's console pages: each stage, service, need, urgency, referral
status and closure reason as people read it, in the page's language, and dates in words."""

from __future__ import annotations

import datetime as dt

from chalicelib import wiring
from chalicelib.domain.aftercare import ClosureReason, ReturnStage
from chalicelib.domain.disclosure import OrganisationKind
from chalicelib.domain.referrals import (
    NeedType,
    ReferralError,
    ReferralStatus,
    ServiceType,
    Urgency,
    Why,
)
from chalicelib.domain.words import date_in_words
from chalicelib.web.console.base import Ctx
from chalicelib.web.console.render import N_

STAGE_NAMES = {
    ReturnStage.LOCATED: N_("Located"),
    ReturnStage.VERIFIED: N_("Verified"),
    ReturnStage.ON_MEDIATION_LIST: N_("On a mediation list"),
    ReturnStage.IN_TRANSIT: N_("On the way home"),
    ReturnStage.RETURNED: N_("Returned"),
    ReturnStage.REUNITED: N_("Reunited with family"),
    ReturnStage.PLACED: N_("Placed in care"),
}
SERVICE_NAMES = {
    ServiceType.HEALTH: N_("Health care"),
    ServiceType.PSYCHOSOCIAL: N_("Psychological support"),
    ServiceType.LEGAL: N_("Legal aid"),
    ServiceType.EDUCATION: N_("Education"),
    ServiceType.REGISTRATION: N_("Documents and registration"),
    ServiceType.FAMILY_REUNIFICATION: N_("Family reunification"),
    ServiceType.SAFE_HOUSE: N_("Safe house"),
    ServiceType.LIVELIHOODS: N_("Livelihoods"),
}
NEED_NAMES = {
    NeedType.MEDICAL: N_("Medical"),
    NeedType.PSYCHOLOGICAL: N_("Psychological"),
    NeedType.LEGAL: N_("Legal"),
    NeedType.DOCUMENTS: N_("Documents"),
    NeedType.EDUCATION: N_("Education"),
    NeedType.HOUSING: N_("Housing"),
    NeedType.FAMILY_TRACING: N_("Family tracing"),
}
URGENCY_NAMES = {
    Urgency.HIGH: N_("Urgent"),
    Urgency.MEDIUM: N_("Soon"),
    Urgency.LOW: N_("When possible"),
}
REFERRAL_STATUS_NAMES = {
    ReferralStatus.IN_PROGRESS: N_("Waiting for the provider"),
    ReferralStatus.ACCEPTED: N_("Accepted"),
    ReferralStatus.REJECTED: N_("Declined"),
    ReferralStatus.REVOKED: N_("Withdrawn"),
    ReferralStatus.DONE: N_("Done"),
}
CLOSURE_NAMES = {
    ClosureReason.GOALS_MET: N_("The case plan's goals are met"),
    ClosureReason.REUNIFIED: N_("Reunited with family"),
    ClosureReason.TRANSFERRED: N_("Transferred to another organisation"),
    ClosureReason.TURNED_18: N_("Turned 18"),
    ClosureReason.SUPPORT_DECLINED: N_("Support declined"),
    ClosureReason.LOST_CONTACT: N_("Contact lost"),
}
CLOSURE_STATE_NAMES = {
    "requested": N_("Waiting for a coordinator's approval"),
    "approved": N_("Closed"),
    "refused": N_("Closure refused"),
}

# Why a step was refused, as the page says it (never the domain's code or its English).
REFUSAL_WORDS = {
    Why.CASE_CLOSED: N_("The case is closed."),
    Why.NOT_NEXT_STAGE: N_("This step cannot follow the child's last one."),
    Why.NO_NOTE: N_("Every step needs a note saying how or why."),
    Why.WITH_WHOM: N_("Say with whom the child now lives."),
    Why.IN_FUTURE: N_("The day cannot be in the future."),
    Why.BEFORE_LAST_STEP: N_("A step cannot be dated before the one it follows."),
    Why.NOT_HOME: N_("This begins once the child is home."),
    Why.NO_NEEDS: N_("Name at least one need."),
    Why.NO_SUCH_SERVICE: N_("There is no such service on this case."),
    Why.NO_OUTCOME: N_("Say how the service went."),
    Why.BEFORE_RETURN: N_("A follow-up cannot be dated before the return."),
    Why.NO_FINDING: N_("Say what the follow-up found."),
    Why.CLOSURE_WAITING: N_("A closure is already waiting for approval."),
    Why.CLOSURE_NOTE: N_("A closure needs a note."),
    Why.REFERRALS_OPEN: N_("Referrals are still open: revoke them or have them done first."),
    Why.NO_CLOSURE_WAITING: N_("No closure is waiting for approval."),
    Why.SAME_PERSON: N_("A closure is approved by another person than who asked for it."),
    Why.REFUSAL_NOTE: N_("Say why the closure is refused."),
    Why.REFERRAL_MOVE: N_("The referral cannot change that way now."),
    Why.REFERRAL_REASON: N_("Give a reason."),
    Why.PROVIDER_ANSWER: N_("A provider accepts, declines or records a referral done."),
    Why.ONLY_COORDINATOR: N_("Only a coordinator may refer without the family's consent."),
    Why.NO_FAMILY_CONSENT: N_(
        "The family has not consented to services and to sharing with other organisations: "
        "a coordinator may refer with a reason."
    ),
    Why.REPORTER_WITHDREW: N_("The reporter withdrew their consent to sharing."),
    Why.NO_TRACING: N_(
        "The reporter did not allow tracing and sharing with the authorities: a mediator "
        "may not receive this child."
    ),
    Why.NOT_A_PROVIDER: N_("This organisation is not a service provider in the directory."),
    Why.NOT_OFFERED_THERE: N_("This provider does not offer this service where the child lives."),
    Why.NAME_MEDIATOR: N_("Name the mediator."),
    Why.NOT_VERIFIED: N_("Only a verified child is put on a mediation list."),
    Why.ALREADY_LISTED: N_("The child is on this list already."),
    Why.EMPTY_LIST: N_("An empty list is not exported."),
    Why.ANSWER_REFUSED: N_("Lines of the mediator's answer cannot be taken: none was taken."),
}


def refused_in_words(ctx: Ctx, refused: Exception) -> str:
    """A refusal as the page says it: the domain's reason in the catalog's words (and, for
    a step out of order, the steps that may follow, by name)."""
    _ = ctx._
    if not isinstance(refused, ReferralError):
        return str(refused)  # the console's own checks, already in words
    said = _(REFUSAL_WORDS[refused.why])
    moves = refused.values.get("moves")
    if refused.why == Why.NOT_NEXT_STAGE and moves:
        names = ", ".join(_(STAGE_NAMES[m]) for m in moves)
        said += " " + _("It can move on to: %(stages)s.") % {"stages": names}
    return said


def words(ctx: Ctx) -> dict:
    """The names a page shows for the domain's values, in the page's language."""
    _ = ctx._
    providers = _providers()
    return {
        "stage_name": lambda s: _(STAGE_NAMES[ReturnStage(s)]),
        "service_name": lambda s: _(SERVICE_NAMES[ServiceType(s)]),
        "need_name": lambda s: _(NEED_NAMES[NeedType(s)]),
        "urgency_name": lambda s: _(URGENCY_NAMES[Urgency(s)]),
        "referral_status": lambda s: _(REFERRAL_STATUS_NAMES[ReferralStatus(s)]),
        "closure_name": lambda s: _(CLOSURE_NAMES[ClosureReason(s)]),
        "closure_state": lambda s: _(CLOSURE_STATE_NAMES[str(s)]),
        "organisation": lambda agency: providers.get(agency, agency),
        "providers": providers,
        # Those that cover a child's oblast, each with the services it offers.
        "providers_for": lambda oblast: _providers_for(oblast, _),
        "as_date": lambda text: dt.date.fromisoformat(text) if text else None,
        # Dates in words ("14 березня 2026 р."), as the rest of Homeward writes them.
        "day": lambda value: date_in_words(value, ctx.lang),
    }


def _providers() -> dict[str, str]:
    """The service providers of the directory: agency -> organisation's name."""
    found: dict[str, str] = {}
    for contact in wiring.directory().current().contacts:
        if contact.kind == OrganisationKind.SERVICE_PROVIDER and contact.active:
            found.setdefault(contact.agency, contact.organisation)
    return dict(sorted(found.items(), key=lambda item: item[1].casefold()))


def _providers_for(oblast: str, _) -> dict[str, str]:
    """The service providers covering `oblast`: agency -> "name: the services offered"."""
    offered: dict[str, tuple[str, list[ServiceType]]] = {}
    for contact in wiring.directory().current().contacts:
        if contact.kind != OrganisationKind.SERVICE_PROVIDER or not contact.active:
            continue
        if contact.oblasts and oblast not in contact.oblasts:
            continue
        _name, services = offered.setdefault(contact.agency, (contact.organisation, []))
        services += [s for s in contact.services if s not in services]
    return {
        agency: f"{name}: {', '.join(_(SERVICE_NAMES[s]) for s in services)}" if services else name
        for agency, (name, services) in sorted(offered.items(), key=lambda i: i[1][0].casefold())
    }
