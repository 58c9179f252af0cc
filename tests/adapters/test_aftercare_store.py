"""The return records' store keeps the same promises on the fakes and on DynamoDB."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.aftercare import Aftercare, ReturnStage
from chalicelib.domain.errors import Refused
from chalicelib.domain.mediation import MediationList
from chalicelib.domain.referrals import Basis, Referral, ReferralStatus, ReferralStep, ServiceType

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def record(reference: str) -> Aftercare:
    return Aftercare(reference=reference, oblast="UA-65", received_at=NOW)


def referral(reference, rid, provider, at):
    step = ReferralStep(status=ReferralStatus.IN_PROGRESS, at=at, by="o", agency="UA-NIB")
    return Referral(
        referral_id=rid,
        reference=reference,
        service=ServiceType.HEALTH,
        provider=provider,
        basis=Basis.CONSENT,
        note="",
        steps=(step,),
    )


def save(stores, rec, due=None):
    uow = stores.unit_of_work()
    stores.aftercare.save(uow, rec, follow_up_due=due)
    uow.commit()


def test_a_record_is_saved_at_its_next_version_and_a_stale_save_is_refused(stores):
    save(stores, record("HW-2222-2222"))
    held = stores.aftercare.get("HW-2222-2222")
    assert held.version == 1 and held.oblast == "UA-65"
    save(stores, held)
    with pytest.raises(Refused) as refused:
        save(stores, held)  # based on version 1, the store is at 2
    assert refused.value.names == {"aftercare"}
    with pytest.raises(Refused):
        save(stores, record("HW-2222-2222"))  # a new record where one exists
    assert [r.reference for r in stores.aftercare.all()] == ["HW-2222-2222"]


def test_follow_ups_due_are_found_before_a_day_longest_overdue_first(stores):
    save(stores, record("HW-3333-3333"), due=dt.date(2026, 3, 10))
    save(stores, record("HW-4444-4444"), due=dt.date(2026, 3, 5))
    save(stores, record("HW-5555-5555"), due=dt.date(2026, 4, 1))
    found = stores.aftercare.follow_ups_due_before(dt.date(2026, 3, 11))
    assert found == ["HW-4444-4444", "HW-3333-3333"]
    save(stores, stores.aftercare.get("HW-4444-4444"), due=None)
    assert stores.aftercare.follow_ups_due_before(dt.date(2026, 3, 11)) == ["HW-3333-3333"]


def test_a_providers_referrals_are_its_own_newest_first_and_closures_wait(stores):
    uow = stores.unit_of_work()
    stores.aftercare.add_referral(uow, referral("HW-2222-2222", "R1", "UA-PSY", NOW))
    stores.aftercare.add_referral(
        uow, referral("HW-3333-3333", "R2", "UA-PSY", NOW + dt.timedelta(1))
    )
    stores.aftercare.add_referral(uow, referral("HW-4444-4444", "R3", "UA-MED", NOW))
    stores.aftercare.closure_waiting(uow, "HW-2222-2222", True)
    uow.commit()
    assert stores.aftercare.referrals_of("UA-PSY") == [
        ("HW-3333-3333", "R2"),
        ("HW-2222-2222", "R1"),
    ]
    assert stores.aftercare.closures_waiting() == ["HW-2222-2222"]
    uow = stores.unit_of_work()
    stores.aftercare.closure_waiting(uow, "HW-2222-2222", False)
    uow.commit()
    assert stores.aftercare.closures_waiting() == []


def test_mediation_lists_are_versioned(stores):
    listed = MediationList(list_id="L1", mediator="Qatar", created_by="o", created_at=NOW)
    uow = stores.unit_of_work()
    stores.aftercare.save_list(uow, listed)
    uow.commit()
    held = stores.aftercare.mediation_list("L1")
    assert held.version == 1 and held.mediator == "Qatar"
    uow = stores.unit_of_work()
    stores.aftercare.save_list(uow, listed)
    with pytest.raises(Refused):
        uow.commit()
    assert [m.list_id for m in stores.aftercare.mediation_lists()] == ["L1"]


def test_an_erased_record_takes_its_referrals_and_closure_and_nothing_else(stores):
    mine = record("HW-2222-2222").model_copy(
        update={"referrals": (referral("HW-2222-2222", "R1", "UA-PSY", NOW),)}
    )
    save(stores, mine, due=dt.date(2026, 3, 10))
    save(stores, record("HW-3333-3333"))
    uow = stores.unit_of_work()
    stores.aftercare.add_referral(uow, mine.referrals[0])
    stores.aftercare.add_referral(uow, referral("HW-3333-3333", "R2", "UA-PSY", NOW))
    stores.aftercare.closure_waiting(uow, "HW-2222-2222", True)
    uow.commit()
    for _ in range(2):  # erasing again, with nothing left, is no error
        uow = stores.unit_of_work()
        stores.aftercare.erase(uow, mine)
        uow.commit()
    assert stores.aftercare.get("HW-2222-2222") is None
    assert [r.reference for r in stores.aftercare.all()] == ["HW-3333-3333"]
    assert stores.aftercare.referrals_of("UA-PSY") == [("HW-3333-3333", "R2")]
    assert stores.aftercare.closures_waiting() == []
    assert stores.aftercare.follow_ups_due_before(dt.date(2026, 4, 1)) == []


def test_the_reporters_word_follows_the_record_and_is_all_it_tells(stores):
    assert stores.aftercare.reporter_word("HW-6666-6666") is None
    save(stores, record("HW-6666-6666"))
    assert stores.aftercare.reporter_word("HW-6666-6666") is None  # not on the pathway
    moved = stores.aftercare.get("HW-6666-6666").step(
        ReturnStage.LOCATED, on=NOW.date(), by="s", agency="UA-OMBUDSMAN", how="x", now=NOW
    )
    save(stores, moved)
    assert stores.aftercare.reporter_word("HW-6666-6666") == "located"
    moved = stores.aftercare.get("HW-6666-6666")
    for stage in (ReturnStage.VERIFIED, ReturnStage.ON_MEDIATION_LIST):
        moved = moved.step(stage, on=NOW.date(), by="s", agency="UA-NIB", how="Qatar", now=NOW)
    save(stores, moved)
    assert stores.aftercare.reporter_word("HW-6666-6666") == "verified"
