"""The return and the help after it, on the fakes: who may do what, what each person
sees, what is audited, and what alerts it causes."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from helpers import EXAMPLE_REPORT

from chalicelib.domain.aftercare import AftercareError, ClosureReason, FollowUpPolicy, ReturnStage
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.referrals import ConsentMissing, ReferralError, ReferralStatus, ServiceType
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import aftercare, intake, mediation, referrals
from chalicelib.services.access import Caller, CaseNotFound, NotPermitted

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
POLICY = FollowUpPolicy(first_within_days=14, every_days=90)
INTAKE = Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True)
PROVIDER = Recipient(OrganisationKind.SERVICE_PROVIDER)
COORDINATOR = Caller(StaffMember("c-1", "coordinator", "UA-NIB"), "r-1", INTAKE)
OTHER_COORDINATOR = Caller(StaffMember("c-2", "coordinator", "UA-NIB"), "r-2", INTAKE)
SOUTH = Caller(
    StaffMember("w-1", "caseworker", "UA-OMBUDSMAN"),
    "r-3",
    Recipient(OrganisationKind.NATIONAL_AUTHORITY),
)
HOPE = Caller(StaffMember("p-1", "provider", "UA-HOPE"), "r-4", PROVIDER)
CLINIC = Caller(StaffMember("p-2", "provider", "UA-CLINIC"), "r-5", PROVIDER)


def filed(pipeline, **consent) -> str:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["consent"].update(consent)
    receipt, _ = intake.submit(
        intake.Submission(Report.model_validate(body), "f", None, "198.51.100.7"),
        stores=pipeline.stores,
        settings=pipeline.settings,
        now=T0,
    )
    pipeline.run_until_idle(T0)
    return receipt.reference


def walk(stores, reference, to: ReturnStage, *, on: dt.date, caller=SOUTH):
    path = [
        ReturnStage.LOCATED,
        ReturnStage.VERIFIED,
        ReturnStage.ON_MEDIATION_LIST,
        ReturnStage.IN_TRANSIT,
        ReturnStage.RETURNED,
    ]
    for stage in path[: path.index(to) + 1]:
        aftercare.record_step(
            caller,
            reference,
            stage=stage,
            on=on,
            how=f"{stage}",
            stores=stores,
            policy=POLICY,
            now=T0,
        )


def actions(db, reference):
    return [(e.actor, e.action, e.detail) for e in db.audit.get(reference, [])]


@pytest.fixture
def returned(pipeline, stores):
    reference = filed(pipeline)
    walk(stores, reference, ReturnStage.RETURNED, on=T0.date())
    return reference


def test_the_pathway_is_recorded_step_by_step_and_audited(stores, db, pipeline):
    reference = filed(pipeline)
    walk(stores, reference, ReturnStage.IN_TRANSIT, on=T0.date())
    seen = aftercare.read_return(SOUTH, reference, stores=stores, policy=POLICY, now=T0)
    assert seen.record.stage == ReturnStage.IN_TRANSIT
    assert [s.by for s in seen.record.steps] == ["w-1"] * 4
    assert ("w-1", "return-step", "verified") in actions(db, reference)
    assert ("w-1", "read-return", None) in actions(db, reference)
    with pytest.raises(AftercareError, match="can move to"):
        aftercare.record_step(
            SOUTH,
            reference,
            stage=ReturnStage.REUNITED,
            on=T0.date(),
            how="x",
            stores=stores,
            policy=POLICY,
            now=T0,
        )


def test_a_caseworker_outside_the_mandate_and_a_provider_cannot_touch_the_return(
    stores, db, returned
):
    east = Caller(StaffMember("w-2", "caseworker", "UA-JUVPOL"), "r-9")
    with pytest.raises(CaseNotFound):
        aftercare.read_return(east, returned, stores=stores, policy=POLICY, now=T0)
    with pytest.raises(NotPermitted):
        aftercare.read_return(HOPE, returned, stores=stores, policy=POLICY, now=T0)
    assert ("p-1", "refused", "read-return") in actions(db, returned)


def refer(caller, reference, stores, provider="UA-HOPE", override=None):
    return referrals.refer(
        caller,
        reference,
        service=ServiceType.PSYCHOSOCIAL,
        provider=provider,
        note="trouble sleeping since the return",
        due=T0.date() + 30 * DAY,
        override_reason=override,
        escalate_after=(15 * 60, 24 * 3600),
        stores=stores,
        policy=POLICY,
        now=T0,
    )


def test_a_referral_without_consent_is_refused_unless_a_coordinator_overrides_with_a_reason(
    stores, db, returned
):
    with pytest.raises(ConsentMissing):
        refer(SOUTH, returned, stores)
    with pytest.raises(ConsentMissing, match="only a coordinator"):
        refer(SOUTH, returned, stores, override="the child needs help now")
    assert ("w-1", "refused", "refer without consent") in actions(db, returned)
    assert stores.aftercare.referrals_of("UA-HOPE") == []

    made = refer(COORDINATOR, returned, stores, override="the child needs help now")
    (referral,) = made.record.referrals
    assert referral.basis == "override" and referral.override_reason == "the child needs help now"
    assert ("c-1", "consent-override", "the child needs help now") in actions(db, returned)
    # The auditors' alert is in the outbox, with who, to whom and why (and no child).
    (alert,) = [a.alert for a in db.alerts.values() if a.alert.kind == "consent_override"]
    assert "UA-HOPE" in alert.note and "needs help now" in alert.note


def test_with_consent_a_caseworker_refers_and_only_a_service_provider_may_be_referred_to(
    stores, returned
):
    aftercare.record_consent(
        SOUTH, returned, services=True, disclosure=True, stores=stores, policy=POLICY, now=T0
    )
    made = refer(SOUTH, returned, stores)
    assert made.record.referrals[0].basis == "consent"
    assert made.record.services[0].agency == "UA-HOPE"
    with pytest.raises(referrals.NotAProvider):
        refer(SOUTH, returned, stores, provider="UA-OMBUDSMAN")


def test_a_provider_sees_only_its_own_referrals_and_only_what_they_release(stores, db, returned):
    aftercare.record_consent(
        SOUTH, returned, services=True, disclosure=True, stores=stores, policy=POLICY, now=T0
    )
    made = refer(SOUTH, returned, stores)
    referral_id = made.record.referrals[0].referral_id

    (seen,) = referrals.provider_inbox(HOPE, stores=stores)
    assert seen.referral.referral_id == referral_id
    assert seen.child == {
        "child": {
            "family_name": "Ковальчук",
            "given_name": "Олександр",
            "sex": "male",
            "date_of_birth": "2012-03-14",
        },
        "residence": {"oblast": "UA-65"},
    }
    assert ("p-1", "read-referral", None) in actions(db, returned)
    # Another provider: an empty inbox, and the referral "not found", recorded.
    assert referrals.provider_inbox(CLINIC, stores=stores) == []
    with pytest.raises(referrals.ReferralNotFound):
        referrals.read_referral(CLINIC, returned, referral_id, stores=stores)
    with pytest.raises(referrals.ReferralNotFound):
        referrals.answer_referral(
            CLINIC,
            returned,
            referral_id,
            status=ReferralStatus.ACCEPTED,
            reason=None,
            stores=stores,
            policy=POLICY,
            now=T0,
        )
    assert ("p-2", "refused", "read-referral") in actions(db, returned)
    # Staff do not use the providers' side, nor providers the case.
    with pytest.raises(NotPermitted):
        referrals.provider_inbox(SOUTH, stores=stores)


def test_a_provider_accepts_and_records_done_and_rejection_needs_a_reason(stores, returned):
    aftercare.record_consent(
        SOUTH, returned, services=True, disclosure=True, stores=stores, policy=POLICY, now=T0
    )
    first = refer(SOUTH, returned, stores).record.referrals[0].referral_id

    def answer(referral_id, status, reason=None, at=T0):
        return referrals.answer_referral(
            HOPE,
            returned,
            referral_id,
            status=status,
            reason=reason,
            stores=stores,
            policy=POLICY,
            now=at,
        )

    assert answer(first, ReferralStatus.ACCEPTED).referral.status == ReferralStatus.ACCEPTED
    with pytest.raises(ReferralError, match="a provider accepts"):
        answer(first, ReferralStatus.REVOKED, "no")
    assert answer(first, ReferralStatus.DONE, at=T0 + 3 * DAY).referral.status == "done"
    record = stores.aftercare.get(returned)
    assert record.first_service_on == (T0 + 3 * DAY).date()

    second = refer(SOUTH, returned, stores).record.referrals[-1].referral_id
    with pytest.raises(ReferralError, match="reason"):
        answer(second, ReferralStatus.REJECTED)
    assert answer(second, ReferralStatus.REJECTED, "no places").referral.status == "rejected"


def test_an_overdue_follow_up_alerts_the_cases_desk_once(stores, db, pipeline, returned):
    # Returned on T0: the first follow-up is due 14 days later.
    assert aftercare.alert_overdue_follow_ups(stores=stores, policy=POLICY, now=T0 + 14 * DAY) == 0
    assert aftercare.alert_overdue_follow_ups(stores=stores, policy=POLICY, now=T0 + 15 * DAY) == 1
    assert aftercare.alert_overdue_follow_ups(stores=stores, policy=POLICY, now=T0 + 16 * DAY) == 0
    pipeline.run_until_idle(T0 + 15 * DAY)
    told = {
        d.delivery.address
        for d, _ in db.deliveries.values()
        if d.delivery.alert.kind == "follow_up"
    }
    assert "south@ombudsman.example.org" in told
    # A follow-up done puts the next one three months on: nothing is overdue then.
    aftercare.record_follow_up(
        SOUTH,
        returned,
        on=(T0 + 16 * DAY).date(),
        note="at school, sleeping better",
        stores=stores,
        policy=POLICY,
        now=T0 + 16 * DAY,
    )
    assert aftercare.alert_overdue_follow_ups(stores=stores, policy=POLICY, now=T0 + 60 * DAY) == 0


def test_closure_needs_another_coordinators_approval(stores, db, returned):
    aftercare.request_closure(
        SOUTH,
        returned,
        reason=ClosureReason.GOALS_MET,
        note="plan met",
        stores=stores,
        policy=POLICY,
        now=T0,
    )
    (waiting,) = aftercare.closures_waiting(COORDINATOR, stores=stores, policy=POLICY, now=T0)
    assert waiting.record.closure.reason == "goals_met"
    with pytest.raises(NotPermitted):
        aftercare.decide_closure(
            SOUTH, returned, approve=True, note=None, stores=stores, policy=POLICY, now=T0
        )
    done = aftercare.decide_closure(
        COORDINATOR, returned, approve=True, note=None, stores=stores, policy=POLICY, now=T0
    )
    assert done.record.closed
    assert aftercare.closures_waiting(COORDINATOR, stores=stores, policy=POLICY, now=T0) == []
    assert ("c-1", "closure-approved", None) in actions(db, returned)


def test_a_mediation_list_takes_verified_children_and_exports_only_the_mediators_fields(
    stores, db, pipeline
):
    verified = filed(pipeline)
    walk(stores, verified, ReturnStage.VERIFIED, on=T0.date())
    located = filed(pipeline)
    walk(stores, located, ReturnStage.LOCATED, on=T0.date())
    unshared = filed(pipeline, share_with_authorities=False)
    walk(stores, unshared, ReturnStage.VERIFIED, on=T0.date(), caller=COORDINATOR)

    listed = mediation.create_list(COORDINATOR, mediator="Qatar", stores=stores, now=T0)
    with pytest.raises(NotPermitted):
        mediation.create_list(SOUTH, mediator="Qatar", stores=stores, now=T0)
    mediation.add_child(COORDINATOR, listed.list_id, verified, stores=stores, policy=POLICY, now=T0)
    with pytest.raises(AftercareError, match="verified"):
        mediation.add_child(
            COORDINATOR, listed.list_id, located, stores=stores, policy=POLICY, now=T0
        )
    with pytest.raises(ConsentMissing):
        mediation.add_child(
            COORDINATOR, listed.list_id, unshared, stores=stores, policy=POLICY, now=T0
        )
    assert stores.aftercare.get(verified).stage == ReturnStage.ON_MEDIATION_LIST

    export = mediation.export_list(COORDINATOR, listed.list_id, stores=stores, now=T0)
    assert export.version == 1 and export.withheld == 0
    (child,) = export.children
    assert child == {
        "child": {
            "family_name": "Ковальчук",
            "given_name": "Олександр",
            "patronymic": "Андрійович",
            "sex": "male",
            "date_of_birth": "2012-03-14",
        },
        "last_known_location": {"country": "RU", "region": "Krasnodar Krai"},
    }
    assert ("c-1", "mediation-export", f"{listed.list_id} v1") in actions(db, verified)
    again = mediation.export_list(OTHER_COORDINATOR, listed.list_id, stores=stores, now=T0)
    assert again.version == 2


def test_kpis_are_for_coordinators_and_auditors_and_count_the_return(stores, returned):
    figures = aftercare.kpis(COORDINATOR, stores=stores, policy=POLICY, now=T0)
    assert figures["by_stage"]["returned"] == 1
    assert figures["overall"]["days_to_returned"] == 0.0
    assert figures["by_oblast"][0]["oblast"] == "UA-65"
    with pytest.raises(NotPermitted):
        aftercare.kpis(SOUTH, stores=stores, policy=POLICY, now=T0)


def test_a_providers_answer_racing_a_colleagues_step_is_applied_again_and_both_stay(
    stores, returned, monkeypatch
):
    """The overdue schedule or a caseworker may write the return record between a
    provider's read and its write: the answer is made again on the new record."""
    aftercare.record_consent(
        SOUTH, returned, services=True, disclosure=True, stores=stores, policy=POLICY, now=T0
    )
    referral_id = refer(SOUTH, returned, stores).record.referrals[0].referral_id
    read = stores.aftercare.get
    reads = []

    def read_then_a_colleague_writes(reference):
        record = read(reference)
        reads.append(record.version)
        if len(reads) == 1:  # a caseworker's step lands after the provider's first read
            aftercare.record_consent(
                SOUTH, returned, services=True, disclosure=False, stores=stores,
                policy=POLICY, now=T0,
            )  # fmt: skip
        return record

    monkeypatch.setattr(stores.aftercare, "get", read_then_a_colleague_writes)
    answered = referrals.answer_referral(
        HOPE,
        returned,
        referral_id,
        status=ReferralStatus.ACCEPTED,
        reason=None,
        stores=stores,
        policy=POLICY,
        now=T0,
    )
    assert answered.referral.status == ReferralStatus.ACCEPTED
    assert len(reads) >= 2 and reads[-1] > reads[0]  # read again after the refusal
    monkeypatch.undo()
    record = stores.aftercare.get(returned)
    assert record.referrals[0].status == ReferralStatus.ACCEPTED  # the answer stayed
    assert record.consent.disclosure is False  # and so did the colleague's step


def test_a_child_is_referred_only_to_a_provider_offering_the_service_where_the_child_lives(
    stores, returned
):
    aftercare.record_consent(
        SOUTH, returned, services=True, disclosure=True, stores=stores, policy=POLICY, now=T0
    )

    def to_clinic(service):
        return referrals.refer(
            SOUTH,
            returned,
            service=service,
            provider="UA-CLINIC",
            note="a check-up",
            due=T0.date() + 30 * DAY,
            escalate_after=(15 * 60, 24 * 3600),
            stores=stores,
            policy=POLICY,
            now=T0,
        )

    # The demo clinic offers health care, in Kyiv only; the child lives in Kherson oblast.
    with pytest.raises(referrals.NotAProvider, match="does not offer"):
        to_clinic(ServiceType.HEALTH)
    with pytest.raises(referrals.NotAProvider, match="does not offer"):
        to_clinic(ServiceType.PSYCHOSOCIAL)
    assert stores.aftercare.referrals_of("UA-CLINIC") == []
    # The psychologists offer legal aid too, everywhere.
    made = refer(SOUTH, returned, stores)
    assert made.record.referrals[0].provider == "UA-HOPE"
