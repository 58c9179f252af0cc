"""The return pathway and the help after it, as pure rules (domain/aftercare.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.aftercare import (
    Aftercare,
    AftercareError,
    ClosureReason,
    ClosureState,
    FollowUpPolicy,
    ReturnStage,
)
from chalicelib.domain.disclosure import (
    ConsentGiven,
    Disclosure,
    OrganisationKind,
    Recipient,
    Release,
    disclosure,
    may_release,
    released,
)
from chalicelib.domain.kpis import return_kpis
from chalicelib.domain.mediation import MediationList
from chalicelib.domain.referrals import (
    Basis,
    ConsentMissing,
    Need,
    NeedType,
    Referral,
    ReferralError,
    ReferralStatus,
    ReferralStep,
    Service,
    ServiceType,
    Urgency,
    referral_basis,
)

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
POLICY = FollowUpPolicy(first_within_days=14, every_days=90)


def record(**kw) -> Aftercare:
    given = {"reference": "HW-AAAA-BBBB", "oblast": "UA-65", "received_at": NOW - 100 * DAY}
    return Aftercare(**{**given, **kw})


def walk(to: ReturnStage, on: dt.date | None = None) -> Aftercare:
    """A record taken step by step to a stage, every step on `on`."""
    path = [
        ReturnStage.LOCATED,
        ReturnStage.VERIFIED,
        ReturnStage.ON_MEDIATION_LIST,
        ReturnStage.IN_TRANSIT,
        ReturnStage.RETURNED,
    ]
    rec = record()
    for stage in path[: path.index(to) + 1]:
        rec = rec.step(stage, on=on or NOW.date(), by="olena", agency="UA-NIB", how="x", now=NOW)
    return rec


def referral(status=ReferralStatus.IN_PROGRESS) -> Referral:
    step = ReferralStep(status=status, at=NOW, by="olena", agency="UA-NIB")
    return Referral(
        referral_id="R1",
        reference="HW-AAAA-BBBB",
        service=ServiceType.PSYCHOSOCIAL,
        provider="UA-PSY",
        basis=Basis.CONSENT,
        note="sleep",
        steps=(step,),
    )


def test_the_pathway_goes_step_by_step_with_who_when_and_why():
    rec = walk(ReturnStage.RETURNED)
    assert [s.stage for s in rec.steps][-1] == ReturnStage.RETURNED
    assert all(s.by == "olena" and s.how == "x" for s in rec.steps)
    assert rec.home and rec.returned_on == NOW.date()


@pytest.mark.parametrize(
    ("at", "target"),
    [
        (None, ReturnStage.VERIFIED),
        (ReturnStage.LOCATED, ReturnStage.ON_MEDIATION_LIST),
        (ReturnStage.VERIFIED, ReturnStage.RETURNED),
        (ReturnStage.RETURNED, ReturnStage.IN_TRANSIT),
    ],
)
def test_a_step_out_of_order_is_refused_in_words(at, target):
    rec = walk(at) if at else record()
    with pytest.raises(AftercareError, match="can move to"):
        rec.step(target, on=NOW.date(), by="o", agency="UA-NIB", how="x", now=NOW)


def test_a_step_needs_a_why_a_date_not_ahead_and_reunion_says_with_whom():
    rec = walk(ReturnStage.RETURNED)
    with pytest.raises(AftercareError, match="how or why"):
        record().step(ReturnStage.LOCATED, on=NOW.date(), by="o", agency="A", how=" ", now=NOW)
    with pytest.raises(AftercareError, match="future"):
        record().step(
            ReturnStage.LOCATED, on=NOW.date() + DAY, by="o", agency="A", how="x", now=NOW
        )
    with pytest.raises(AftercareError, match="with whom"):
        rec.step(ReturnStage.REUNITED, on=NOW.date(), by="o", agency="A", how="x", now=NOW)
    home = rec.step(
        ReturnStage.REUNITED,
        on=NOW.date(),
        by="o",
        agency="A",
        how="x",
        now=NOW,
        with_whom="mother",
    )
    assert home.steps[-1].with_whom == "mother" and home.home


def test_a_referral_needs_consent_to_services_and_disclosure_or_a_coordinators_reason():
    rec = walk(ReturnStage.RETURNED)
    with pytest.raises(ConsentMissing):
        referral_basis(rec.consent, None, coordinator=True)
    only_services = rec.with_consent(True, False, by="o", now=NOW)
    with pytest.raises(ConsentMissing):
        referral_basis(only_services.consent, None, coordinator=True)
    with pytest.raises(ConsentMissing, match="only a coordinator"):
        referral_basis(only_services.consent, "urgent medical need", coordinator=False)
    assert referral_basis(only_services.consent, "urgent need", coordinator=True) == Basis.OVERRIDE
    both = rec.with_consent(True, True, by="o", now=NOW)
    assert referral_basis(both.consent, None, coordinator=False) == Basis.CONSENT


def test_a_referral_moves_through_its_lifecycle_and_rejection_needs_a_reason():
    r = referral()
    with pytest.raises(ReferralError, match="reason"):
        r.moved(ReferralStatus.REJECTED, by="p", agency="UA-PSY", at=NOW, reason="")
    with pytest.raises(ReferralError, match="cannot become"):
        r.moved(ReferralStatus.DONE, by="p", agency="UA-PSY", at=NOW, reason=None)
    accepted = r.moved(ReferralStatus.ACCEPTED, by="p", agency="UA-PSY", at=NOW, reason=None)
    done = accepted.moved(ReferralStatus.DONE, by="p", agency="UA-PSY", at=NOW + DAY, reason=None)
    assert done.status == ReferralStatus.DONE and done.at_status(ReferralStatus.ACCEPTED) == NOW
    with pytest.raises(ReferralError):
        done.moved(ReferralStatus.REVOKED, by="o", agency="UA-NIB", at=NOW, reason="late")


def test_a_referral_done_records_its_service_as_implemented():
    rec = walk(ReturnStage.RETURNED)
    service = Service(
        service_id="S1",
        type=ServiceType.PSYCHOSOCIAL,
        agency="UA-PSY",
        due=NOW.date() + 30 * DAY,
        planned_by="o",
        planned_at=NOW,
        referral_id="R1",
    )
    rec = rec.planned(service).referred(referral())
    accepted = rec.referrals[0].moved(
        ReferralStatus.ACCEPTED, by="p", agency="P", at=NOW, reason=None
    )
    done = accepted.moved(ReferralStatus.DONE, by="p", agency="P", at=NOW + 3 * DAY, reason=None)
    rec = rec.with_referral(accepted).with_referral(done)
    assert rec.services[0].implemented_on == (NOW + 3 * DAY).date()
    assert rec.first_service_on == (NOW + 3 * DAY).date()


def test_services_needs_and_referrals_wait_for_the_return():
    rec = walk(ReturnStage.IN_TRANSIT)
    with pytest.raises(AftercareError, match="home"):
        rec.assessed((Need(type=NeedType.MEDICAL, urgency=Urgency.HIGH),), on=NOW.date(), by="o")
    with pytest.raises(AftercareError, match="home"):
        rec.referred(referral())


def test_follow_ups_are_due_within_the_first_days_then_every_period_and_overdue_is_seen():
    returned = NOW - 20 * DAY
    rec = walk(ReturnStage.RETURNED, on=returned.date())
    first_due = returned.date() + 14 * DAY
    assert rec.next_follow_up(POLICY) == first_due
    assert rec.overdue(POLICY, returned + 14 * DAY) is None
    assert rec.overdue(POLICY, returned + 15 * DAY) == first_due
    done = rec.followed_up(on=first_due - 2 * DAY, by="o", note="well", now=NOW, policy=POLICY)
    assert done.follow_ups[-1].on_time
    assert done.next_follow_up(POLICY) == first_due - 2 * DAY + 90 * DAY
    assert done.overdue(POLICY, NOW) is None
    late = rec.followed_up(on=NOW.date(), by="o", note="late visit", now=NOW, policy=POLICY)
    assert not late.follow_ups[-1].on_time
    with pytest.raises(AftercareError, match="before the return"):
        rec.followed_up(on=returned.date() - DAY, by="o", note="x", now=NOW, policy=POLICY)


def test_no_follow_up_is_due_before_the_return():
    assert walk(ReturnStage.IN_TRANSIT).next_follow_up(POLICY) is None


def test_closure_needs_a_reason_another_persons_approval_and_no_open_referral():
    rec = walk(ReturnStage.RETURNED)
    with pytest.raises(AftercareError, match="referrals still open"):
        rec.referred(referral()).closure_requested(ClosureReason.GOALS_MET, "done", by="o", now=NOW)
    asked = rec.closure_requested(ClosureReason.GOALS_MET, "plan met", by="olena", now=NOW)
    with pytest.raises(AftercareError, match="another person"):
        asked.closure_decided(True, by="olena", now=NOW, note=None)
    with pytest.raises(AftercareError, match="why"):
        asked.closure_decided(False, by="petro", now=NOW, note=None)
    closed = asked.closure_decided(True, by="petro", now=NOW, note=None)
    assert closed.closed and closed.closure.state == ClosureState.APPROVED
    assert closed.next_follow_up(POLICY) is None
    with pytest.raises(AftercareError, match="closed"):
        closed.followed_up(on=NOW.date(), by="o", note="x", now=NOW, policy=POLICY)


def test_a_service_provider_learns_nothing_of_reports_and_a_release_holds_only_its_fields():
    provider = Recipient(OrganisationKind.SERVICE_PROVIDER)
    assert disclosure(provider, ConsentGiven.everything()) == Disclosure.NOTHING
    report = {
        "child": {"family_name": "K", "given_name": "O", "patronymic": "A", "sex": "male"},
        "residence": {"oblast": "UA-65", "settlement": "Oleshky"},
        "reporter": {"name": "Iryna", "phone": "+380501234567"},
        "event": {"circumstances": "taken"},
        "last_known_location": {"country": "RU", "region": "Krasnodar Krai"},
    }
    to_provider = released(Release.REFERRAL, report)
    assert to_provider == {
        "child": {"family_name": "K", "given_name": "O", "sex": "male"},
        "residence": {"oblast": "UA-65"},
    }
    to_mediator = released(Release.MEDIATION, report)
    assert set(to_mediator) == {"child", "last_known_location"}
    assert "reporter" not in to_mediator and "settlement" not in str(to_mediator)


def test_a_mediator_gets_only_children_traceable_and_shared_with_authorities():
    assert may_release(Release.MEDIATION, ConsentGiven.everything())
    assert not may_release(Release.MEDIATION, ConsentGiven(True, True, False, True))
    assert not may_release(Release.MEDIATION, ConsentGiven(False, True, True, True))
    assert not may_release(Release.REFERRAL, ConsentGiven.none_left())


def test_a_mediation_list_is_versioned_by_its_exports():
    listed = MediationList(list_id="L1", mediator="Qatar", created_by="o", created_at=NOW)
    with pytest.raises(AftercareError, match="empty"):
        listed.exported(by="o", now=NOW)
    listed = listed.with_child("HW-AAAA-BBBB")
    with pytest.raises(AftercareError, match="already"):
        listed.with_child("HW-AAAA-BBBB")
    twice = listed.exported(by="o", now=NOW).exported(by="o", now=NOW + DAY)
    assert [e.version for e in twice.exports] == [1, 2]


def test_kpis_count_stages_days_follow_ups_and_referrals_per_oblast_and_month():
    returned = walk(ReturnStage.RETURNED, on=(NOW - 20 * DAY).date())
    service = Service(
        service_id="S1",
        type=ServiceType.HEALTH,
        agency="UA-MED",
        due=NOW.date(),
        planned_by="o",
        planned_at=NOW,
    )
    returned = returned.planned(service).service_done(
        "S1", on=(NOW - 15 * DAY).date(), outcome="ok"
    )
    accepted = referral().moved(ReferralStatus.ACCEPTED, by="p", agency="P", at=NOW, reason=None)
    returned = returned.referred(accepted)
    located = record(oblast="UA-14").step(
        ReturnStage.LOCATED, on=NOW.date(), by="o", agency="A", how="x", now=NOW
    )
    figures = return_kpis([returned, located], POLICY, NOW)
    assert figures["by_stage"]["returned"] == 1 and figures["by_stage"]["located"] == 1
    overall = figures["overall"]
    assert overall["cases"] == 2 and overall["returned"] == 1
    assert overall["days_to_returned"] == 80.0
    assert overall["days_to_first_service"] == 5.0
    assert overall["follow_ups_overdue"] == 1  # due 14 days after the return, 20 ago
    assert (overall["referrals"], overall["referrals_accepted"]) == (1, 1)
    assert [row["oblast"] for row in figures["by_oblast"]] == ["UA-14", "UA-65"]
    assert figures["by_month"][0]["month"] == "2026-02" and figures["by_month"][0]["cases"] == 2
