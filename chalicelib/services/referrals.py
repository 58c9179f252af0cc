"""Referrals to service providers, as staff make them and providers answer them.

A referral is made on the family's consent to services and to disclosure, or on a
coordinator's override with a reason (audited apart, the auditors alerted by e-mail). A
provider's people see only the referrals to their own organisation, and of each only what
the disclosure policy releases for a referral (domain/disclosure.py, Release.REFERRAL).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.aftercare import Aftercare, FollowUpPolicy
from chalicelib.domain.alerts import Alert
from chalicelib.domain.casefile import CaseFile
from chalicelib.domain.disclosure import OrganisationKind, Release, may_release, released
from chalicelib.domain.referrals import (
    PROVIDER_MOVES,
    Basis,
    ConsentMissing,
    Referral,
    ReferralError,
    ReferralStatus,
    ReferralStep,
    Service,
    ServiceType,
    Why,
    referral_basis,
)
from chalicelib.services.access import Caller, require_role
from chalicelib.services.aftercare import (
    ReturnFile,
    change_record,
    save_retrying,
)
from chalicelib.services.ports import Stores


@dataclass(frozen=True)
class ReferralView:
    """A referral as its provider sees it: the referral, and the child only as released."""

    referral: Referral
    child: dict[str, Any]
    due: dt.date | None


class NotAProvider(ReferralError):
    """The organisation named is not a service provider in the directory."""


class ReferralNotFound(Exception):
    """No referral by that name to the caller's organisation (or none at all)."""


# -- referrals ---------------------------------------------------------------------------


def refer(
    caller: Caller,
    reference: str,
    *,
    service: ServiceType,
    provider: str,
    note: str,
    due: dt.date,
    override_reason: str | None = None,
    escalate_after: tuple[int, int],
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    """Refer the child to a provider for a service: on the family's consent, or on a
    coordinator's override with a reason (audited apart, and the auditors alerted).

    The provider is alerted with the reference and the service only, and an
    acknowledgement link; unacknowledged, the alert goes up its ladder (the deployment's
    times to acknowledge, `escalate_after`: seconds for an urgent case, and otherwise)."""
    directory = stores.directory.read()
    if directory.recipient(provider).kind != OrganisationKind.SERVICE_PROVIDER:
        raise NotAProvider(Why.NOT_A_PROVIDER, provider=provider)
    providers = [c for c in directory.contacts if c.agency == provider]
    referral_id = secrets.token_hex(4)
    coordinator = caller.staff.is_coordinator
    decided: dict[str, Basis] = {}

    def change(record: Aftercare) -> Aftercare:
        # The directory says what each provider offers and where (domain/contacts.py).
        if not any(c.serves(service, record.oblast) for c in providers):
            raise NotAProvider(Why.NOT_OFFERED_THERE, provider=provider, service=service)
        case_consent = stores.cases.consent_of(reference)
        basis = referral_basis(record.consent, override_reason, coordinator=coordinator)
        if basis == Basis.CONSENT and not (
            case_consent and may_release(Release.REFERRAL, case_consent)
        ):
            # The reporter withdrew: nothing leaves the case unless a coordinator says why.
            if not (override_reason and coordinator):
                raise ConsentMissing(Why.REPORTER_WITHDREW)
            basis = Basis.OVERRIDE
        decided["basis"] = basis
        step = ReferralStep(
            status=ReferralStatus.IN_PROGRESS,
            at=now,
            by=caller.staff.subject,
            agency=caller.staff.agency,
        )
        referral = Referral(
            referral_id=referral_id,
            reference=reference,
            service=service,
            provider=provider,
            basis=basis,
            note=note.strip(),
            steps=(step,),
            override_reason=override_reason if basis == Basis.OVERRIDE else None,
        )
        planned = Service(
            service_id=secrets.token_hex(4),
            type=service,
            agency=provider,
            due=due,
            planned_by=caller.staff.subject,
            planned_at=now,
            referral_id=referral_id,
        )
        return record.referred(referral).planned(planned)

    def extra(uow: Any, case: CaseFile, changed: Aftercare) -> None:
        referral = changed.referral(referral_id)
        assert referral is not None
        stores.aftercare.add_referral(uow, referral)
        told = Alert.referral_made(case.case, str(service), referral_id, provider, now)
        stores.alerts.add(
            uow, told, acknowledge_by=told.acknowledge_by(*escalate_after), name="referral-alert"
        )
        if referral.basis == Basis.OVERRIDE:
            who = caller.staff.name or caller.staff.subject
            words = f"{who} ({caller.staff.agency}) to {provider}: {override_reason}"
            stores.audit.add(
                uow, caller.entry(reference, "consent-override", detail=override_reason, at=now)
            )
            stores.alerts.add(
                uow,
                Alert.consent_override(case.case, words, now, request_id=caller.request_id),
                name="override-alert",
            )

    try:
        return change_record(
            caller,
            reference,
            "refer",
            change,
            stores=stores,
            policy=policy,
            now=now,
            detail=f"{service} to {provider}",
            extra=extra,
        )
    except ConsentMissing:
        stores.audit.record([caller.entry(reference, "refused", detail="refer without consent")])
        raise


def revoke_referral(
    caller: Caller,
    reference: str,
    referral_id: str,
    *,
    reason: str,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    def change(record: Aftercare) -> Aftercare:
        found = record.referral(referral_id)
        if found is None:
            raise ReferralNotFound()
        staff = caller.staff
        moved = found.moved(
            ReferralStatus.REVOKED, by=staff.subject, agency=staff.agency, at=now, reason=reason
        )
        return record.with_referral(moved)

    return change_record(
        caller,
        reference,
        "revoke-referral",
        change,
        stores=stores,
        policy=policy,
        now=now,
        detail=referral_id,
    )


def _providers_referral(caller: Caller, reference: str, referral_id: str, action: str, stores):
    """The record and the referral, if it was made to the caller's organisation; else
    "not found", recorded, the same as for one that does not exist."""
    require_role(caller, caller.staff.provides_services, reference, action, stores)
    record = stores.aftercare.get(reference)
    found = record.referral(referral_id) if record is not None else None
    if found is None or found.provider != caller.staff.agency:
        stores.audit.record([caller.entry(reference, "refused", detail=action)])
        raise ReferralNotFound()
    return record, found


def _view(referral: Referral, record: Aftercare, stores: Stores) -> ReferralView:
    case = stores.cases.get(referral.reference)
    report = case.report.model_dump(mode="json") if case is not None else {}
    # Withdrawn since? Only an override still carries the child's name to the provider.
    allowed = referral.basis == Basis.OVERRIDE or (
        case is not None and may_release(Release.REFERRAL, case.consent)
    )
    child = released(Release.REFERRAL, report) if allowed else {}
    due = next((s.due for s in record.services if s.referral_id == referral.referral_id), None)
    return ReferralView(referral, child, due)


def provider_inbox(caller: Caller, *, stores: Stores) -> list[ReferralView]:
    """The referrals to the caller's organisation, newest first, each as released."""
    require_role(caller, caller.staff.provides_services, "referrals", "inbox", stores)
    views = []
    for reference, referral_id in stores.aftercare.referrals_of(caller.staff.agency):
        record = stores.aftercare.get(reference)
        referral = record.referral(referral_id) if record else None
        if referral is not None and referral.provider == caller.staff.agency:
            views.append(_view(referral, record, stores))
    stores.audit.record([caller.entry(v.referral.reference, "read-referral") for v in views])
    return views


def read_referral(caller: Caller, reference: str, referral_id: str, *, stores: Stores):
    record, found = _providers_referral(caller, reference, referral_id, "read-referral", stores)
    stores.audit.record([caller.entry(reference, "read-referral", detail=referral_id)])
    return _view(found, record, stores)


def answer_referral(
    caller: Caller,
    reference: str,
    referral_id: str,
    *,
    status: ReferralStatus,
    reason: str | None,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReferralView:
    """The provider accepts, rejects (with a reason) or records the service done."""
    if status not in PROVIDER_MOVES:
        raise ReferralError(Why.PROVIDER_ANSWER)
    staff = caller.staff

    def step():
        record, found = _providers_referral(
            caller, reference, referral_id, "answer-referral", stores
        )
        moved = found.moved(status, by=staff.subject, agency=staff.agency, at=now, reason=reason)
        return record.with_referral(moved), moved

    changed, moved = save_retrying(
        step,
        caller,
        reference,
        "answer-referral",
        stores=stores,
        policy=policy,
        now=now,
        detail=f"{referral_id} {status}",
    )
    return _view(moved, changed, stores)
