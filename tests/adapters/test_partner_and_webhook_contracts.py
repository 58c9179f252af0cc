"""What the stores promise partners, webhooks, import batches, break-glass and withdrawal,
on the fakes and on DynamoDB (moto): the port methods no other contract test reached.

tests/adapters/test_port_coverage.py keeps it so: a port method without a contract test
on both backends fails there.
"""

import dataclasses
import datetime as dt

from helpers import case_for, commit, refused_names

from chalicelib.domain.alerts import Alert
from chalicelib.domain.partners import Partner
from chalicelib.domain.webhooks import WebhookEvent

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def opened(stores, reference="HW-2222-3333", at=T0):
    case = dataclasses.replace(case_for(), reference=reference, received_at=at)
    commit(stores, lambda u: stores.cases.open(u, case))
    return case


# -- cases: reachable, break-glass, withdrawal -------------------------------------------


def test_the_case_store_answers_and_a_break_glass_grant_is_read_with_the_case(stores):
    assert stores.cases.reachable() is True
    case = opened(stores)
    until = T0 + dt.timedelta(hours=1)
    commit(stores, lambda u: stores.cases.grant_break_glass(u, case.reference, "coord-1", until))
    assert stores.cases.file(case.reference).break_glass == {"coord-1": until}
    # A later grant to the same person replaces the earlier one; another person's is apart.
    later = until + dt.timedelta(hours=1)
    commit(
        stores,
        lambda u: stores.cases.grant_break_glass(u, case.reference, "coord-1", later),
        lambda u: stores.cases.grant_break_glass(u, case.reference, "coord-2", until),
    )
    assert stores.cases.file(case.reference).break_glass == {"coord-1": later, "coord-2": until}


def test_an_erasure_removes_the_break_glass_grants_the_traces_name_and_can_be_run_again(stores):
    case = opened(stores)
    other = opened(stores, "HW-4444-5555", T0 + MINUTE)
    until = T0 + dt.timedelta(hours=1)
    commit(
        stores,
        lambda u: stores.cases.grant_break_glass(u, case.reference, "coord-1", until),
        lambda u: stores.cases.grant_break_glass(u, case.reference, "coord-2", until),
        lambda u: stores.cases.grant_break_glass(u, other.reference, "coord-1", until),
    )
    grants = stores.lifecycle.traces(case.reference).grants
    assert len(grants) == 2
    commit(stores, lambda u: stores.lifecycle.remove_grants(u, case.reference, list(grants[:1])))
    assert len(stores.cases.file(case.reference).break_glass) == 1
    assert stores.lifecycle.traces(case.reference).grants == grants[1:]
    # An erasure interrupted and run again removes what is left; nothing is refused.
    commit(stores, lambda u: stores.lifecycle.remove_grants(u, case.reference, list(grants)))
    assert stores.cases.file(case.reference).break_glass == {}
    assert stores.lifecycle.traces(case.reference).grants == ()
    # Another case's grant to the same person is its own.
    assert stores.cases.file(other.reference).break_glass == {"coord-1": until}


def test_a_withdrawal_is_asked_once_and_only_of_a_case_that_exists(stores):
    case = opened(stores)
    assert refused_names(
        stores, lambda u: stores.lifecycle.request_withdrawal(u, "HW-9999-9999", T0, "r-0")
    ) == {"case"}
    commit(stores, lambda u: stores.lifecycle.request_withdrawal(u, case.reference, T0, "r-1"))
    assert refused_names(
        stores, lambda u: stores.lifecycle.request_withdrawal(u, case.reference, T0, "r-2")
    ) == {"withdrawal"}


# -- alerts of an import batch -------------------------------------------------------------


def test_a_batchs_alerts_are_read_oldest_first_and_each_is_dispatched_once(stores):
    first = opened(stores, "HW-2222-3333", T0)
    second = opened(stores, "HW-4444-5555", T0 + MINUTE)
    elsewhere = opened(stores, "HW-6666-7777", T0 + 2 * MINUTE)
    # The domain's one rule: a batch's non-urgent rows wait for the digest, so these alerts
    # are the imported kind and carry their batch (what the store files them under).
    alerts = [
        Alert.on_arrival(c, batch=b)
        for c, b in (
            (second, "ngo-one/file-1"),
            (first, "ngo-one/file-1"),
            (elsewhere, "ngo-two/file-1"),
        )
    ]
    assert all(a.imported for a in alerts)
    commit(stores, *[lambda u, a=a: stores.alerts.add(u, a, batch=a.batch) for a in alerts])
    found = stores.alerts.of_batch("ngo-one/file-1")
    assert found == [alerts[1], alerts[0]]
    assert stores.alerts.of_batch("ngo-one/file-2") == []
    commit(stores, lambda u: stores.alerts.mark_dispatched(u, alerts[1]))
    # A replay of the same dispatch is refused: nobody is alerted twice.
    assert refused_names(stores, lambda u: stores.alerts.mark_dispatched(u, alerts[1])) == {
        "dispatched"
    }
    # Nor is an alert that was never recorded marked as dispatched.
    ghost = Alert.on_arrival(
        dataclasses.replace(first, reference="HW-9999-9999"), batch="ngo-one/file-1"
    )
    assert refused_names(stores, lambda u: stores.alerts.mark_dispatched(u, ghost)) == {
        "dispatched"
    }


# -- partners and their import batches -----------------------------------------------------


def test_partners_are_registered_replaced_and_listed_by_client_id(stores):
    assert stores.partners.get("ngo-one") is None and stores.partners.all() == []
    two = Partner("ngo-two", "NGO Two", quota_per_minute=60)
    one = Partner("ngo-one", "NGO One", webhook_url="https://hooks.ngo.example/in")
    stores.partners.register(two)
    stores.partners.register(one)
    assert stores.partners.get("ngo-one") == one
    assert stores.partners.all() == [one, two]
    changed = dataclasses.replace(two, active=False, quota_per_minute=10)
    stores.partners.register(changed)
    assert stores.partners.get("ngo-two") == changed
    assert stores.partners.all() == [one, changed]
    # A rotated webhook secret: which one is current, until when the old one signs too.
    rotated = dataclasses.replace(one, webhook_generation=2, previous_secret_until=T0)
    stores.partners.register(rotated)
    assert stores.partners.get("ngo-one") == rotated


def test_a_batch_opens_once_closes_once_and_its_digest_is_claimed_once(stores):
    assert stores.partners.batch("ngo-one", "file-1") is None
    batch = stores.partners.open_batch("ngo-one", "file-1", T0)
    assert (batch.client_id, batch.batch_id, batch.opened_at, batch.closed_at) == (
        "ngo-one",
        "file-1",
        T0,
        None,
    )
    # Opened again (an interrupted run resumed): the same batch, its first opening kept.
    assert stores.partners.open_batch("ngo-one", "file-1", T0 + MINUTE) == batch
    assert stores.partners.batch("ngo-one", "file-1") == batch
    assert stores.partners.closed_batches() == []
    assert not stores.partners.close_batch("ngo-one", "file-9", T0)

    assert stores.partners.close_batch("ngo-one", "file-1", T0 + 2 * MINUTE)
    assert not stores.partners.close_batch("ngo-one", "file-1", T0 + 3 * MINUTE)
    stores.partners.open_batch("ngo-two", "file-1", T0)
    assert stores.partners.close_batch("ngo-two", "file-1", T0 + MINUTE)
    closed = stores.partners.closed_batches()
    # Oldest closing first: its digest is owed longest.
    assert [(b.client_id, b.closed_at) for b in closed] == [
        ("ngo-two", T0 + MINUTE),
        ("ngo-one", T0 + 2 * MINUTE),
    ]
    assert stores.partners.closed_batches(limit=1) == closed[:1]

    assert stores.partners.claim_digest(closed[1], T0 + 5 * MINUTE)
    assert not stores.partners.claim_digest(closed[1], T0 + 6 * MINUTE)
    assert stores.partners.batch("ngo-one", "file-1").digested_at == T0 + 5 * MINUTE
    assert [b.client_id for b in stores.partners.closed_batches()] == ["ngo-two"]
    # An open batch has no digest to claim.
    still_open = stores.partners.open_batch("ngo-one", "file-2", T0)
    assert not stores.partners.claim_digest(still_open, T0 + 7 * MINUTE)


# -- webhooks --------------------------------------------------------------------------------


def an_event(version=2, client_id="ngo-one", at=T0) -> WebhookEvent:
    return WebhookEvent.of_move(client_id, "HW-2222-3333", "CASE-17", "in_review", version, at)


def test_a_webhook_is_owed_once_and_read_back_as_it_stands(stores):
    event = an_event()
    assert stores.webhooks.get("ngo-one", event.event_id) is None
    commit(stores, lambda u: stores.webhooks.add(u, event))
    assert refused_names(stores, lambda u: stores.webhooks.add(u, event)) == {"webhook"}
    found = stores.webhooks.get("ngo-one", event.event_id)
    assert (found.event, found.state, found.attempts, found.last_error) == (
        event,
        "pending",
        0,
        None,
    )
    # Another partner's name for it names nothing.
    assert stores.webhooks.get("ngo-two", event.event_id) is None

    assert stores.webhooks.delivered(event, 2, T0 + MINUTE)
    done = stores.webhooks.get("ngo-one", event.event_id)
    assert (done.state, done.attempts, done.updated_at) == ("delivered", 2, T0 + MINUTE)
    assert not stores.webhooks.delivered(an_event(9), 1, T0)


def test_a_failing_webhook_waits_then_is_parked_and_a_retry_starts_it_over(stores):
    early, late = an_event(2), an_event(3)
    commit(stores, lambda u: stores.webhooks.add(u, early), lambda u: stores.webhooks.add(u, late))
    stores.webhooks.attempt_failed(early, 1, "HTTP 503", T0 + MINUTE, last=False)
    waiting = stores.webhooks.get("ngo-one", early.event_id)
    assert (waiting.state, waiting.attempts, waiting.last_error) == ("pending", 1, "HTTP 503")
    assert stores.webhooks.failed() == []

    stores.webhooks.attempt_failed(early, 8, "timeout", T0 + 2 * MINUTE, last=True)
    stores.webhooks.attempt_failed(late, 8, "HTTP 500", T0 + 3 * MINUTE, last=True)
    parked = stores.webhooks.failed()
    # Newest failure first, as coordinators read them.
    assert [(w.event.event_id, w.last_error) for w in parked] == [
        (late.event_id, "HTTP 500"),
        (early.event_id, "timeout"),
    ]
    assert [w.event.event_id for w in stores.webhooks.failed(limit=1)] == [late.event_id]

    retried = stores.webhooks.retry("ngo-one", early.event_id, T0 + 4 * MINUTE)
    assert retried.state == "failed" and retried.event == early
    again = stores.webhooks.get("ngo-one", early.event_id)
    assert (again.state, again.attempts) == ("pending", 0)
    # Only a parked webhook is retried; an unknown one is nothing.
    assert stores.webhooks.retry("ngo-one", early.event_id, T0 + 5 * MINUTE) is None
    assert stores.webhooks.retry("ngo-one", "HW-9999-9999.2", T0) is None
    assert [w.event.event_id for w in stores.webhooks.failed()] == [late.event_id]
