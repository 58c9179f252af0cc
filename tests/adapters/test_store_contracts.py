"""What every store promises the services (services/ports.py), on the fakes and on DynamoDB.

The same test runs against both backends (tests/adapters/conftest.py), so a fake that
behaves otherwise than DynamoDB fails here before it can mislead a service test.
"""

import dataclasses
import datetime as dt

import pytest
from helpers import case_for, commit, refused_names

from chalicelib.domain.alerts import Alert, Channel, Delivery, DeliveryState
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.casefile import Counted, Filters, InvalidCursor
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.errors import Refused
from chalicelib.domain.intake import Charge, IdempotencyRecord, RateLimit
from chalicelib.domain.matching import CandidatePair, Review, Verdict
from chalicelib.domain.workflow import Status

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def opened(stores, reference="HW-2222-3333", at=T0, **changes):
    case = dataclasses.replace(case_for(**changes), reference=reference, received_at=at)
    uow = stores.unit_of_work()
    stores.cases.open(uow, case)
    uow.commit()
    return case


# -- the unit of work ---------------------------------------------------------------------


def test_a_refused_condition_writes_nothing_and_names_itself(stores):
    case = opened(stores)
    other = dataclasses.replace(case, reference="HW-4444-5555")
    names = refused_names(
        stores,
        lambda u: stores.cases.open(u, other),
        lambda u: stores.cases.open(u, case),  # exists: refused
    )
    assert names == {"case"}
    assert stores.cases.get("HW-4444-5555") is None


# -- cases --------------------------------------------------------------------------------


def test_a_case_is_opened_once_and_read_back_whole(stores):
    case = opened(stores)
    assert stores.cases.get(case.reference) == case
    assert refused_names(stores, lambda u: stores.cases.open(u, case)) == {"case"}
    file = stores.cases.file(case.reference)
    assert file.case == case and file.notes == () and file.deliveries == ()
    # For matching: everything but the sealed fields (the reporter, the child's most
    # sensitive details), which only the functions that show a case may open.
    (found,) = stores.cases.reports([case.reference, "HW-9999-9999"]).values()
    assert found.child.family_name == case.report.child.family_name
    assert found.child.date_of_birth == case.report.child.date_of_birth
    assert found.reporter.email is None and found.child.medical_needs is None
    assert stores.cases.status_of(case.reference) == Status.RECEIVED
    assert stores.cases.status_of("HW-9999-9999") is None
    assert stores.cases.attachments_of(case.reference) == ()
    assert stores.cases.attachments_of("HW-9999-9999") is None
    assert stores.cases.file("HW-9999-9999") is None


def test_a_change_needs_the_current_version(stores):
    case = opened(stores)
    commit(
        stores,
        lambda u: stores.cases.change(
            u, case.reference, version=1, now=T0, status=Status.TRIAGED, assignee="ana"
        ),
    )
    file = stores.cases.file(case.reference)
    assert (file.status, file.version, file.assignee) == (Status.TRIAGED, 2, "ana")
    with pytest.raises(Refused) as refused:
        commit(stores, lambda u: stores.cases.change(u, case.reference, version=1, now=T0))
    assert refused.value.names == {"case"} and refused.value.old["case"]["version"] == 2


def test_links_notes_and_a_missing_case(stores):
    a, b = opened(stores), opened(stores, "HW-4444-5555")
    commit(
        stores,
        lambda u: stores.cases.change(u, a.reference, version=1, now=T0, link=b.reference),
        lambda u: stores.cases.link_back(u, b.reference, a.reference, T0),
        lambda u: stores.cases.add_note(u, a.reference, author="ana", text="called", at=T0),
    )
    assert stores.cases.file(a.reference).links == {b.reference}
    assert stores.cases.file(b.reference).links == {a.reference}
    assert [n.text for n in stores.cases.file(a.reference).notes] == ["called"]
    assert refused_names(stores, lambda u: stores.cases.require(u, "HW-9999-9999")) == {"case"}
    assert refused_names(
        stores, lambda u: stores.cases.link_back(u, "HW-9999-9999", a.reference, T0)
    ) == {"other"}


def test_mandates(stores):
    case = opened(stores)
    commit(stores, lambda u: stores.mandates.grant(u, case.reference, T0, ["UA-NIB", "CA-GAC"]))
    assert stores.mandates.agencies_of([case.reference, "HW-9999-9999"]) == {
        case.reference: {"UA-NIB", "CA-GAC"}
    }
    assert stores.cases.file(case.reference).agencies == {"UA-NIB", "CA-GAC"}
    assert refused_names(
        stores, lambda u: stores.mandates.grant(u, "HW-9999-9999", T0, ["UA-NIB"])
    ) == {"mandated-case"}


def test_case_lists_newest_first_filtered_paged_and_by_mandate(stores):
    older = opened(stores, "HW-2222-2222", T0, residence={"oblast": "UA-14"})
    newer = opened(stores, "HW-3333-3333", T0 + dt.timedelta(minutes=1), urgent=True)
    newest = opened(stores, "HW-4444-4444", T0 + dt.timedelta(minutes=2))
    commit(stores, lambda u: stores.mandates.grant(u, newer.reference, T0, ["UA-OMBUDSMAN"]))

    def refs(page):
        return [c.reference for c in page.cases]

    everything = stores.case_index.list(Filters(), agency=None)
    assert refs(everything) == [newest.reference, newer.reference, older.reference]
    assert everything.cursor is None
    assert refs(stores.case_index.list(Filters(oblast="UA-14"), agency=None)) == [older.reference]
    assert refs(stores.case_index.list(Filters(urgent=True), agency=None)) == [newer.reference]
    assert refs(stores.case_index.list(Filters(), agency="UA-OMBUDSMAN")) == [newer.reference]
    assert refs(stores.case_index.list(Filters(), agency="UA-JUVPOL")) == []

    first = stores.case_index.list(Filters(), agency=None, limit=2)
    assert refs(first) == [newest.reference, newer.reference] and first.cursor
    rest = stores.case_index.list(Filters(), agency=None, limit=2, cursor=first.cursor)
    assert refs(rest) == [older.reference]
    # A cursor continues only the list it came from.
    with pytest.raises(InvalidCursor):
        stores.case_index.list(Filters(urgent=True), agency=None, limit=2, cursor=first.cursor)
    with pytest.raises(InvalidCursor):
        stores.case_index.list(Filters(), agency="UA-NIB", limit=2, cursor=first.cursor)
    assert stores.case_index.count_received_since(T0 + dt.timedelta(seconds=30)) == 2


# -- alerts and deliveries --------------------------------------------------------------


def test_alerts_wait_escalate_and_are_acknowledged(stores):
    case = opened(stores)
    alert = Alert.for_new_case(case)
    due = T0 + dt.timedelta(minutes=15)
    commit(stores, lambda u: stores.alerts.add(u, alert, acknowledge_by=due))
    assert refused_names(stores, lambda u: stores.alerts.add(u, alert)) == {"alert"}
    assert stores.alerts.waiting(due_before=due) == []
    (waiting,) = stores.alerts.waiting(due_before=due + dt.timedelta(seconds=1))
    assert (waiting.alert, waiting.level, waiting.due) == (alert, 0, due)

    later = due + dt.timedelta(minutes=15)
    assert stores.alerts.reschedule(waiting, due + dt.timedelta(minutes=5))
    (waiting,) = stores.alerts.waiting(due_before=later)
    commit(stores, lambda u: stores.alerts.escalate(u, waiting, later))
    # The same rung twice: a second schedule finds it moved on.
    assert refused_names(stores, lambda u: stores.alerts.escalate(u, waiting, later)) == {"waiting"}
    assert not stores.alerts.reschedule(waiting, later)
    (moved,) = stores.alerts.waiting(due_before=later + dt.timedelta(seconds=1))
    assert moved.level == 1
    commit(stores, lambda u: stores.alerts.acknowledge(u, case.reference, alert.purpose, "x", T0))
    assert stores.alerts.waiting(due_before=later + dt.timedelta(days=1)) == []
    assert stores.alerts.mark_digest("2026-11-28") and not stores.alerts.mark_digest("2026-11-28")


def a_delivery(case, channel=Channel.SMS) -> Delivery:
    return Delivery(
        Alert.for_new_case(case),
        "south",
        "UA-OMBUDSMAN",
        channel,
        "+380501112233",
        "uk",
        Disclosure.EXISTENCE,
    )


def test_a_delivery_is_claimed_once_settled_once_and_acknowledged_once(stores):
    case = opened(stores)
    delivery = a_delivery(case)
    ref, did = case.reference, delivery.delivery_id
    commit(stores, lambda u: stores.deliveries.record(u, delivery, T0))
    assert refused_names(stores, lambda u: stores.deliveries.record(u, delivery, T0)) == {
        "delivery"
    }
    assert stores.deliveries.claim(ref, "nothing/x/sms", T0, 45).outcome == "missing"
    claim = stores.deliveries.claim(ref, did, T0, 45)
    assert claim.outcome == "claimed" and claim.delivery.attempts == 1
    assert claim.delivery.delivery == delivery
    assert stores.deliveries.claim(ref, did, T0, 45).outcome == "busy"
    # A dead sender's lease runs out.
    later = T0 + dt.timedelta(seconds=46)
    assert stores.deliveries.claim(ref, did, later, 45).delivery.attempts == 2
    assert not stores.deliveries.settle(
        ref, did, DeliveryState.SENT, later, was=DeliveryState.PENDING
    )
    assert stores.deliveries.settle(ref, did, DeliveryState.SENT, later, message_id="m-1")
    assert not stores.deliveries.settle(ref, did, DeliveryState.FAILED, later)
    assert stores.deliveries.claim(ref, did, later, 45).outcome == "done"
    (sent,) = stores.deliveries.of_case(ref)
    assert (sent.state, sent.provider_message_id, sent.sent_at) == (
        DeliveryState.SENT,
        "m-1",
        later,
    )

    commit(stores, lambda u: stores.deliveries.acknowledge(u, ref, did, later))
    assert refused_names(stores, lambda u: stores.deliveries.acknowledge(u, ref, did, later)) == {
        "delivery"
    }
    assert stores.deliveries.of_case(ref)[0].state == DeliveryState.ACKNOWLEDGED


def test_a_delivery_keeps_whether_its_contacts_desk_owns_the_case(stores):
    case = opened(stores)
    owning = dataclasses.replace(
        a_delivery(case, Channel.EMAIL), address="south@ombudsman.example.org", owner=True
    )
    seen = a_delivery(case)
    commit(stores, lambda u: [stores.deliveries.record(u, d, T0) for d in (owning, seen)])
    found = {d.delivery_id: d.delivery.owner for d in stores.deliveries.of_case(case.reference)}
    assert found == {owning.delivery_id: True, seen.delivery_id: False}


def test_a_delivery_recorded_before_ownership_was_kept_is_not_an_owners(stores):
    if not hasattr(stores.deliveries, "_client"):
        pytest.skip("only a stored item can lack the attribute")
    from chalicelib.adapters.dynamo import keys

    case = opened(stores)
    old = dataclasses.replace(a_delivery(case, Channel.EMAIL), owner=True)
    commit(stores, lambda u: stores.deliveries.record(u, old, T0))
    stores.deliveries._client.update_item(
        TableName=stores.deliveries._table,
        Key=keys.delivery(case.reference, old.delivery_id),
        UpdateExpression="REMOVE #owner",
        ExpressionAttributeNames={"#owner": "owner"},
    )
    (found,) = stores.deliveries.of_case(case.reference)
    assert found.delivery.owner is False


def test_an_sms_reply_code_is_one_contacts_for_one_delivery_until_it_expires(stores):
    until = T0 + dt.timedelta(days=7)
    assert stores.deliveries.expect_reply("south", "04821", "HW-A", "d-1", until=until, now=T0)
    # Kept again for the same delivery (a resend); refused for another while it holds;
    # the same code is free for another contact.
    assert stores.deliveries.expect_reply("south", "04821", "HW-A", "d-1", until=until, now=T0)
    assert not stores.deliveries.expect_reply("south", "04821", "HW-B", "d-2", until=until, now=T0)
    assert stores.deliveries.expect_reply("north", "04821", "HW-B", "d-2", until=until, now=T0)
    assert stores.deliveries.replied("south", "04821", T0) == ("HW-A", "d-1")
    assert stores.deliveries.replied("north", "04821", T0) == ("HW-B", "d-2")
    assert stores.deliveries.replied("south", "12345", T0) is None
    later = until + dt.timedelta(seconds=1)
    assert stores.deliveries.replied("south", "04821", later) is None
    # Expired, the code may serve another delivery of the contact.
    assert stores.deliveries.expect_reply(
        "south", "04821", "HW-C", "d-3", until=later + dt.timedelta(days=7), now=later
    )
    assert stores.deliveries.replied("south", "04821", later) == ("HW-C", "d-3")


def test_deliveries_by_state_newest_first_and_a_failed_one_retried(stores):
    case = opened(stores)
    email, sms = a_delivery(case, Channel.EMAIL), a_delivery(case, Channel.SMS)
    commit(stores, lambda u: stores.deliveries.record(u, email, T0))
    commit(stores, lambda u: stores.deliveries.record(u, sms, T0 + dt.timedelta(minutes=1)))
    pending = stores.deliveries.in_state(DeliveryState.PENDING)
    assert [d.delivery_id for d in pending] == [sms.delivery_id, email.delivery_id]
    before = stores.deliveries.in_state(DeliveryState.PENDING, before=T0 + dt.timedelta(seconds=30))
    assert [d.delivery_id for d in before] == [email.delivery_id]

    stores.deliveries.claim(case.reference, email.delivery_id, T0, 45)
    stores.deliveries.settle(case.reference, email.delivery_id, DeliveryState.FAILED, T0, error="x")
    (failed,) = stores.deliveries.in_state(DeliveryState.FAILED)
    assert (failed.attempts, failed.last_error) == (1, "x")
    assert stores.deliveries.settle(
        case.reference,
        email.delivery_id,
        DeliveryState.PENDING,
        T0,
        reset_attempts=True,
        was=DeliveryState.FAILED,
    )
    assert stores.deliveries.in_state(DeliveryState.FAILED) == []


# -- intake's guards ----------------------------------------------------------------------


def test_an_idempotency_key_is_kept_once_per_scope(stores):
    record = IdempotencyRecord("source-a", "key-00000001", "f" * 64, "HW-2222-3333", "t")
    commit(stores, lambda u: stores.guards.remember(u, record, 10**10))
    assert refused_names(stores, lambda u: stores.guards.remember(u, record, 10**10)) == {
        "idempotency"
    }
    assert stores.guards.recall("source-a", "key-00000001") == record
    # Another caller's same key is another key.
    assert stores.guards.recall("source-b", "key-00000001") is None
    commit(stores, lambda u: stores.guards.remember(u, dataclasses.replace(record, scope="b"), 1))


def test_a_receipt_shown_is_marked_on_its_key_and_an_unknown_key_gets_nothing(stores):
    record = IdempotencyRecord("form", "key-00000002", "f" * 64, "HW-2222-4444", "t")
    commit(stores, lambda u: stores.guards.remember(u, record, 10**10))
    assert stores.guards.recall("form", "key-00000002").shown is False
    stores.guards.mark_shown("form", "key-00000002")
    assert stores.guards.recall("form", "key-00000002").shown is True
    # A key never remembered stays unknown: no record is made of it.
    stores.guards.mark_shown("form", "key-00000003")
    assert stores.guards.recall("form", "key-00000003") is None


def test_a_rate_charge_is_a_token_bucket(stores):
    limit = RateLimit(limit=3, per_seconds=600)
    now = int(T0.timestamp() * 1000)
    fresh = Charge("report", "source-a", now, limit)
    commit(stores, lambda u: stores.guards.charge(u, fresh))
    # Mid-burst: a fresh charge is refused (with when the allowance runs to), a burst is not.
    with pytest.raises(Refused) as refused:
        commit(stores, lambda u: stores.guards.charge(u, fresh))
    assert refused.value.old["rate"]["allowance_at"] == now + limit.interval_ms
    commit(stores, lambda u: stores.guards.charge(u, fresh.as_burst()))
    commit(stores, lambda u: stores.guards.charge(u, fresh.as_burst()))
    # The burst of 3 is spent.
    assert refused_names(stores, lambda u: stores.guards.charge(u, fresh.as_burst())) == {"rate"}
    # A burst charge for a source never seen is refused (the service then charges fresh).
    other = Charge("report", "source-b", now, limit, burst=True)
    assert refused_names(stores, lambda u: stores.guards.charge(u, other)) == {"rate"}
    # Once the allowance has run out in time, the source is fresh again.
    later = Charge("report", "source-a", now + 600_000, limit)
    commit(stores, lambda u: stores.guards.charge(u, later))


def test_statistics_of_all_cases_and_of_each_mandate(stores):
    case = opened(stores)
    counted = Counted.of_case(case)
    commit(stores, lambda u: stores.statistics.count_new(u, counted))
    commit(stores, lambda u: stores.statistics.count_new(u, counted, ["UA-NIB", "CA-GAC"]))
    commit(stores, lambda u: stores.statistics.count_move(u, "received", "triaged", ["UA-NIB"]))
    numbers = stores.statistics.read()
    assert numbers["total"] == 1 and numbers["status"] == {"triaged": 1}
    assert numbers["oblast"] == {case.oblast: 1} and numbers["category"] == {case.category: 1}
    assert stores.statistics.read("UA-NIB")["status"] == {"triaged": 1}
    assert stores.statistics.read("CA-GAC")["status"] == {"received": 1}
    assert stores.statistics.read("UA-JUVPOL")["total"] == 0


# -- matching -----------------------------------------------------------------------------


def test_blocking_keys_bring_the_newest_cases(stores):
    for minute, reference in enumerate(["HW-2222-2222", "HW-3333-3333", "HW-4444-4444"]):
        at = T0 + dt.timedelta(minutes=minute)
        commit(stores, lambda u, r=reference, at=at: stores.match_index.add(u, r, at, ["k1", "k2"]))
    assert stores.match_index.references("k1", 2) == ["HW-4444-4444", "HW-3333-3333"]
    assert stores.match_index.references("nothing", 5) == []


def test_a_candidate_pair_is_kept_on_both_sides_and_decided_once(stores):
    pair = CandidatePair("HW-2222-2222", "HW-3333-3333", Verdict.LIKELY, 0.9, {"sex": "match"}, T0)
    assert stores.pairs.record(pair)
    assert not stores.pairs.record(pair)
    (mine,) = stores.pairs.of_case("HW-2222-2222")
    (theirs,) = stores.pairs.of_case("HW-3333-3333")
    assert mine == pair and (theirs.reference, theirs.other) == ("HW-3333-3333", "HW-2222-2222")

    def decide(decision):
        return lambda u: stores.pairs.decide(
            u, "HW-3333-3333", "HW-2222-2222", decision=decision, decided_by="ana", now=T0
        )

    commit(stores, decide(Review.CONFIRMED))
    assert refused_names(stores, decide(Review.REJECTED)) == {"pair"}
    assert stores.pairs.of_case("HW-2222-2222")[0].review == Review.CONFIRMED
    assert stores.pairs.of_case("HW-2222-2222")[0].decided_by == "ana"


# -- audit and directory ------------------------------------------------------------------


def test_the_audit_trail_keeps_every_entry_in_order(stores):
    entries = [
        AuditEntry(
            "HW-2222-2222",
            "ana",
            "caseworker",
            "UA-NIB",
            f"a{i}",
            T0 + dt.timedelta(seconds=i),
            "r",
        )
        for i in range(3)
    ]
    commit(stores, lambda u: stores.audit.add(u, entries[0]))
    stores.audit.record(entries[1:])
    assert stores.audit.trail("HW-2222-2222") == entries
    assert stores.audit.trail("HW-3333-3333") == []


def test_the_directory_changes_one_version_at_a_time(stores):
    from helpers import demo_directory

    read = stores.directory.read()
    contact = demo_directory().contacts[0].model_copy(update={"contact_id": "new-desk"})
    uow = stores.unit_of_work()
    assert stores.directory.change(uow, read.version, contacts=[contact]) == read.version + 1
    uow.commit()
    assert stores.directory.read().contact("new-desk") == contact
    assert refused_names(
        stores, lambda u: stores.directory.change(u, read.version, removed_contacts=["new-desk"])
    ) == {"version"}
    commit(
        stores,
        lambda u: stores.directory.change(u, read.version + 1, removed_contacts=["new-desk"]),
    )
    assert stores.directory.read().contact("new-desk") is None
