"""The staff API of the return and the help after it, under /api/v1/staff/: the return
pathway, consent, needs, services, referrals, follow-ups, closure, mediation lists, the
providers' inbox and the return's KPIs. Each route is one call into a service."""

from __future__ import annotations

import datetime as dt

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.operations import PREFIX, staff_operation

aftercare = lazy_module("chalicelib.services.aftercare")
referrals = lazy_module("chalicelib.services.referrals")
mediation = lazy_module("chalicelib.services.mediation")

bp = Blueprint(__name__)
RETURN = f"{PREFIX}/cases/{{reference}}/return"
CASE = f"{PREFIX}/cases/{{reference}}"
CHANGE = ("BadRequestBody", "ValidationError", "CaseNotFound", "NotPermitted", "RecordChanged")
REFUSED = (*CHANGE, "ReferralError")


def _context() -> dict:
    """What every use case here is given: the stores, the follow-up policy, the time."""
    return {
        "stores": wiring.stores(),
        "policy": wiring.settings().follow_ups,
        "now": dt.datetime.now(dt.UTC),
    }


@staff_operation(
    bp,
    "GET",
    RETURN,
    operation_id="readReturn",
    summary="The child's return and the help after it",
    answer="ReturnRecord",
    refusals=("CaseNotFound", "NotPermitted"),
)
def read_return(caller, reference):
    return aftercare.read_return(caller, reference, **_context())


@staff_operation(
    bp,
    "POST",
    f"{RETURN}/steps",
    operation_id="recordReturnStep",
    summary="A step of the return pathway: who, when, how or why",
    answer="ReturnRecord",
    body="ReturnStep",
    refusals=REFUSED,
)
def record_step(caller, reference, body):
    return aftercare.record_step(
        caller,
        reference,
        stage=body.stage,
        on=body.on,
        how=body.how,
        with_whom=body.with_whom,
        **_context(),
    )


@staff_operation(
    bp,
    "POST",
    f"{RETURN}/consent",
    operation_id="recordServicesConsent",
    summary="The family's consent to services and to disclosure to other organisations",
    answer="ReturnRecord",
    body="ServicesConsentGiven",
    refusals=REFUSED,
)
def record_consent(caller, reference, body):
    return aftercare.record_consent(
        caller, reference, services=body.services, disclosure=body.disclosure, **_context()
    )


@staff_operation(
    bp,
    "POST",
    f"{RETURN}/needs",
    operation_id="assessNeeds",
    summary="The needs assessed on return, each with its urgency",
    answer="ReturnRecord",
    body="NeedsAssessed",
    refusals=REFUSED,
)
def assess_needs(caller, reference, body):
    return aftercare.assess_needs(
        caller, reference, needs=tuple(body.needs), on=body.on, **_context()
    )


@staff_operation(
    bp,
    "POST",
    f"{RETURN}/services",
    operation_id="planService",
    summary="A service planned: its type, the implementing organisation, a due date",
    answer="ReturnRecord",
    body="ServicePlanned",
    refusals=REFUSED,
)
def plan_service(caller, reference, body):
    return aftercare.plan_service(
        caller, reference, service=body.service, agency=body.agency, due=body.due, **_context()
    )


@staff_operation(
    bp,
    "POST",
    f"{RETURN}/services/{{service_id}}/done",
    operation_id="recordServiceDone",
    summary="A service implemented, with its outcome",
    answer="ReturnRecord",
    body="ServiceDone",
    refusals=REFUSED,
)
def service_done(caller, reference, service_id, body):
    return aftercare.record_service_done(
        caller, reference, service_id, on=body.on, outcome=body.outcome, **_context()
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/referrals",
    operation_id="refer",
    summary="Refer the child to a service provider (the family's consent, or a coordinator's "
    "override with a reason: audited, auditors alerted)",
    answer="ReturnRecord",
    body="NewReferral",
    refusals=(*REFUSED, "ConsentMissing"),
)
def refer(caller, reference, body):
    return referrals.refer(
        caller,
        reference,
        service=body.service,
        provider=body.provider,
        note=body.note,
        due=body.due,
        override_reason=body.override_reason,
        escalate_after=wiring.settings().escalate_after,
        **_context(),
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/referrals/{{referral_id}}/revoke",
    operation_id="revokeReferral",
    summary="Revoke a referral, with a reason",
    answer="ReturnRecord",
    body="Reason",
    refusals=(*REFUSED, "ReferralNotFound"),
)
def revoke_referral(caller, reference, referral_id, body):
    return referrals.revoke_referral(
        caller, reference, referral_id, reason=body.reason, **_context()
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/follow-ups",
    operation_id="recordFollowUp",
    summary="A follow-up done (the next falls due by the configured period)",
    answer="ReturnRecord",
    body="FollowUpDone",
    refusals=REFUSED,
)
def follow_up(caller, reference, body):
    return aftercare.record_follow_up(caller, reference, on=body.on, note=body.note, **_context())


@staff_operation(
    bp,
    "POST",
    f"{CASE}/closure",
    operation_id="requestClosure",
    summary="Ask to close the case, with a reason from the list",
    answer="ReturnRecord",
    body="ClosureAsked",
    refusals=REFUSED,
)
def request_closure(caller, reference, body):
    return aftercare.request_closure(
        caller, reference, reason=body.reason, note=body.note, **_context()
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/closure/decision",
    operation_id="decideClosure",
    summary="Approve or refuse a closure (coordinators; another than who asked)",
    answer="ReturnRecord",
    body="ClosureDecision",
    refusals=REFUSED,
)
def decide_closure(caller, reference, body):
    return aftercare.decide_closure(
        caller, reference, approve=body.approve, note=body.note, **_context()
    )


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/closures",
    operation_id="closuresWaiting",
    summary="Closures waiting for a coordinator's approval",
    answer="ClosuresWaiting",
    refusals=("NotPermitted",),
)
def closures(caller):
    return aftercare.closures_waiting(caller, **_context())


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/statistics/return",
    operation_id="returnKpis",
    summary="The return's KPIs: cases by stage, days to verified, returned and first "
    "service, follow-ups on time, referrals accepted and completed; per oblast and month",
    answer="ReturnKpis",
    refusals=("NotPermitted",),
)
def kpis(caller):
    return aftercare.kpis(caller, **_context())


# -- mediation lists (coordinators) --

LISTS = f"{PREFIX}/mediation-lists"


@staff_operation(
    bp,
    "GET",
    LISTS,
    operation_id="mediationLists",
    summary="Mediation lists, newest first",
    answer="MediationLists",
    refusals=("NotPermitted",),
)
def mediation_lists(caller):
    return mediation.lists(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    LISTS,
    operation_id="createMediationList",
    summary="A new mediation list for a named mediator",
    answer="MediationList",
    body="NewMediationList",
    status=201,
    refusals=("BadRequestBody", "ValidationError", "NotPermitted", "ReferralError"),
)
def create_list(caller, body):
    context = _context()
    return mediation.create_list(
        caller, mediator=body.mediator, stores=context["stores"], now=context["now"]
    )


@staff_operation(
    bp,
    "POST",
    f"{LISTS}/{{list_id}}/children",
    operation_id="addToMediationList",
    summary="Put a verified child on the list (the pathway moves on with it)",
    answer="MediationList",
    body="MediationChild",
    refusals=(*REFUSED, "ConsentMissing", "ListNotFound"),
)
def add_child(caller, list_id, body):
    return mediation.add_child(caller, list_id, body.reference, on=body.on, **_context())


@staff_operation(
    bp,
    "POST",
    f"{LISTS}/{{list_id}}/export",
    operation_id="exportMediationList",
    summary="Export the list: only the fields a mediator may receive, a new version each time",
    answer="MediationExport",
    refusals=("NotPermitted", "ListNotFound", "ReferralError", "RecordChanged"),
)
def export_list(caller, list_id):
    context = _context()
    return mediation.export_list(caller, list_id, stores=context["stores"], now=context["now"])


@staff_operation(
    bp,
    "POST",
    f"{LISTS}/{{list_id}}/answers",
    operation_id="importMediatorAnswer",
    summary="The mediator's answer to an export, child by child (all lines or none)",
    answer="MediatorAnswerImported",
    body="MediatorAnswers",
    refusals=(*CHANGE, "ListNotFound", "AnswerRefused"),
)
def import_answer(caller, list_id, body):
    return mediation.import_answer(
        caller, list_id, version=body.version, lines=body.answers, on=body.on, **_context()
    )


# -- a service provider's own inbox (providers) --

REFERRAL = f"{PREFIX}/referrals/{{reference}}/{{referral_id}}"


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/referrals",
    operation_id="providerInbox",
    summary="The referrals to the caller's organisation (providers), as released to it",
    answer="ProviderInbox",
    refusals=("NotPermitted",),
)
def inbox(caller):
    return referrals.provider_inbox(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "GET",
    REFERRAL,
    operation_id="readReferral",
    summary="One referral to the caller's organisation (providers)",
    answer="ProviderReferral",
    refusals=("NotPermitted", "ReferralNotFound", "CaseNotFound"),
)
def read_referral(caller, reference, referral_id):
    return referrals.read_referral(caller, reference, referral_id, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    REFERRAL,
    operation_id="answerReferral",
    summary="Accept, reject (with a reason) or record done a referral (providers)",
    answer="ProviderReferral",
    body="ReferralAnswer",
    refusals=(*REFUSED, "ReferralNotFound"),
)
def answer_referral(caller, reference, referral_id, body):
    return referrals.answer_referral(
        caller, reference, referral_id, status=body.status, reason=body.reason, **_context()
    )
