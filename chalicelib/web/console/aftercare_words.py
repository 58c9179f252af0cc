"""The words of the return's console pages: each stage, service, need, urgency, referral
status and closure reason as people read it, in the page's language, and dates in words."""

from __future__ import annotations

import datetime as dt

from chalicelib import wiring
from chalicelib.domain.aftercare import ClosureReason, ReturnStage
from chalicelib.domain.disclosure import OrganisationKind
from chalicelib.domain.referrals import NeedType, ReferralStatus, ServiceType, Urgency
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
