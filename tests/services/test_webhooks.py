"""Webhooks on the fakes: a partner's report changes stage, the partner hears of it once,
signed, with nothing but what it filed; failures are retried, then parked for coordinators.
"""

import copy
import datetime as dt
import json

import pytest
from helpers import EXAMPLE_REPORT, demo_directory

from chalicelib.domain.case import fingerprint
from chalicelib.domain.partners import (
    ROTATION_OVERLAP,
    SCOPES,
    Partner,
    PartnerClient,
    sign_webhook,
    verify_webhook,
)
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.webhooks import MAX_ATTEMPTS, UnsafeWebhookTarget, WebhookSendError
from chalicelib.domain.workflow import Status
from chalicelib.services import casework, partners, webhooks
from chalicelib.services.access import Caller, NotPermitted

NGO = PartnerClient("ngo-one", frozenset(SCOPES))
HOOK = "https://hooks.ngo.example/homeward"


def staff(role="coordinator", agency="UA-NIB"):
    return Caller(
        StaffMember(f"{role}-1", role, agency), "req-1", demo_directory().recipient(agency)
    )


@pytest.fixture
def secret(stores, settings):
    registered = partners.register(
        staff(), Partner("ngo-one", "NGO One", webhook_url=HOOK), stores=stores, settings=settings
    )
    return bytes.fromhex(registered.webhook_secret)


def filed(stores, settings, pipeline, external_id="CASE-17"):
    report = Report.model_validate(copy.deepcopy(EXAMPLE_REPORT))
    receipt, _ = partners.file_report(
        NGO,
        report,
        fingerprint(report.model_dump(mode="json")),
        external_id,
        stores=stores,
        settings=settings,
    )
    pipeline.pump_stream()
    return receipt.reference


def move(stores, reference, target, note="checked"):
    case = stores.cases.get(reference)
    return casework.move_case(
        staff(), reference, target=target, note=note, version=case.version, stores=stores
    )


def test_a_change_of_stage_is_posted_once_signed_with_only_what_the_partner_filed(
    secret, stores, settings, pipeline
):
    reference = filed(stores, settings, pipeline)
    move(stores, reference, Status.TRIAGED)
    pipeline.pump_stream()
    (attempt,) = pipeline.pump_webhooks()
    assert attempt.outcome == "delivered"
    (post,) = pipeline.poster.posts
    assert post["url"] == HOOK
    body = json.loads(post["body"])
    assert body == {
        "event": "report.stage_changed",
        "id": f"{reference}.2",
        "reference": reference,
        "external_id": "CASE-17",
        "stage": "in_review",
        "occurred_at": body["occurred_at"],
    }
    # Nothing of the child, the reporter or the note.
    for field in ("Ковальчук", "Олександр", "iryna", "checked", "asthma"):
        assert field not in post["body"].decode()
    header = post["headers"]["Homeward-Signature"]
    now = int(dt.datetime.now(dt.UTC).timestamp())
    assert verify_webhook(secret, header, post["body"], now)
    assert post["headers"]["Homeward-Delivery"] == f"{reference}.2"
    # A repeated stream record or queue message posts nothing twice.
    pipeline.webhook_queue.enqueue([("ngo-one", f"{reference}.2")])
    assert [a.outcome for a in pipeline.pump_webhooks()] == ["done"]
    assert len(pipeline.poster.posts) == 1


def test_only_a_change_of_the_coarse_stage_is_told(secret, stores, settings, pipeline, db):
    reference = filed(stores, settings, pipeline)
    move(stores, reference, Status.TRIAGED)  # received -> in review
    move(stores, reference, Status.VERIFIED)  # still in review: nothing to tell
    move(stores, reference, Status.DUPLICATE, note="same as another")  # -> combined
    pipeline.pump_stream()
    pipeline.pump_webhooks()
    stages = [json.loads(p["body"])["stage"] for p in pipeline.poster.posts]
    assert stages == ["in_review", "combined"]


def test_no_address_no_webhook_and_other_reports_owe_none(stores, settings, pipeline, db):
    stores.partners.register(Partner("ngo-one", "NGO One"))
    reference = filed(stores, settings, pipeline)
    move(stores, reference, Status.TRIAGED)
    assert db.webhooks == {}


def test_failures_are_retried_then_parked_where_coordinators_see_them(
    secret, stores, settings, pipeline
):
    reference = filed(stores, settings, pipeline)
    move(stores, reference, Status.TRIAGED)
    pipeline.pump_stream()
    pipeline.poster.statuses = [500, WebhookSendError("timeout"), 200]
    outcomes = [a.outcome for _ in range(3) for a in pipeline.pump_webhooks()]
    assert outcomes == ["retry", "retry", "delivered"]
    assert [a.attempts for a in [stores.webhooks.get("ngo-one", f"{reference}.2")]] == [3]

    move(stores, reference, Status.CLOSED, note="returned home")
    pipeline.pump_stream()
    pipeline.poster.statuses = [503] * MAX_ATTEMPTS
    outcomes = [a.outcome for _ in range(MAX_ATTEMPTS) for a in pipeline.pump_webhooks()]
    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert pipeline.webhook_queue.messages == []
    (failed,) = webhooks.failed_webhooks(staff(), stores=stores)
    assert (failed.event.event_id, failed.attempts, failed.last_error) == (
        f"{reference}.3",
        MAX_ATTEMPTS,
        "HTTP 503",
    )
    # A coordinator sends it again (audited); caseworkers may not even look.
    with pytest.raises(NotPermitted):
        webhooks.failed_webhooks(staff("caseworker", "UA-OMBUDSMAN"), stores=stores)
    webhooks.retry_webhook(
        staff(), "ngo-one", f"{reference}.3", stores=stores, queue=pipeline.webhook_queue
    )
    assert [a.outcome for a in pipeline.pump_webhooks()] == ["delivered"]
    assert webhooks.failed_webhooks(staff(), stores=stores) == []
    trail = [e.action for e in stores.cases.db.audit["webhooks"]]
    assert trail == ["list-failed", "refused", "retry", "list-failed"]
    with pytest.raises(webhooks.WebhookNotFound):
        webhooks.retry_webhook(
            staff(), "ngo-one", f"{reference}.3", stores=stores, queue=pipeline.webhook_queue
        )


def test_an_address_that_turns_private_is_not_tried_again(secret, stores, settings, pipeline):
    reference = filed(stores, settings, pipeline)
    move(stores, reference, Status.TRIAGED)
    pipeline.pump_stream()
    pipeline.poster.statuses = [UnsafeWebhookTarget("not a public address")]
    assert [a.outcome for a in pipeline.pump_webhooks()] == ["failed"]
    (failed,) = stores.webhooks.failed()
    assert failed.last_error == "address refused (not public)"


# -- each partner's own secret, rotated with an overlap (issue 23) ---------------------------


def test_each_partner_has_its_own_secret_and_one_cannot_verify_anothers(stores, settings):
    one = partners.register(
        staff(), Partner("ngo-one", "NGO One", webhook_url=HOOK), stores=stores, settings=settings
    )
    two = partners.register(
        staff(), Partner("ngo-two", "NGO Two", webhook_url=HOOK), stores=stores, settings=settings
    )
    assert one.webhook_secret != two.webhook_secret
    body, now = b'{"event":"report.stage_changed"}', 1_800_000_000
    header = sign_webhook(bytes.fromhex(one.webhook_secret), now, body)
    assert not verify_webhook(bytes.fromhex(two.webhook_secret), header, body, now)


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap_then_alone(
    secret, stores, settings, pipeline, db
):
    reference = filed(stores, settings, pipeline)
    now = dt.datetime.now(dt.UTC)
    rotated = partners.rotate_webhook_secret(
        staff(), "ngo-one", stores=stores, settings=settings, now=now
    )
    new = bytes.fromhex(rotated.webhook_secret)
    assert new != secret
    assert rotated.partner.previous_secret_until == now + ROTATION_OVERLAP
    assert db.audit["partners"][-1].action == "rotate-webhook-secret"

    def posted(at: dt.datetime, target: Status) -> tuple[str, bytes]:
        move(stores, reference, target)
        pipeline.pump_stream()
        (attempt,) = pipeline.pump_webhooks(now=at)
        assert attempt.outcome == "delivered"
        post = pipeline.poster.posts[-1]
        return post["headers"]["Homeward-Signature"], post["body"]

    # During the overlap, a receiver with either secret accepts the webhook.
    header, body = posted(now + dt.timedelta(days=1), Status.TRIAGED)
    sent = int((now + dt.timedelta(days=1)).timestamp())
    assert verify_webhook(secret, header, body, sent) and verify_webhook(new, header, body, sent)
    # Registering the partner again (a new address) keeps the secret it was handed.
    again = partners.register(
        staff(), Partner("ngo-one", "NGO One", webhook_url=HOOK), stores=stores, settings=settings
    )
    assert again.webhook_secret == rotated.webhook_secret
    # After it, the old secret verifies nothing.
    later = now + ROTATION_OVERLAP + dt.timedelta(minutes=1)
    header, body = posted(later, Status.DUPLICATE)
    sent = int(later.timestamp())
    assert verify_webhook(new, header, body, sent)
    assert not verify_webhook(secret, header, body, sent)


def test_only_coordinators_rotate_a_secret_and_only_a_registered_partners(secret, stores, settings):
    with pytest.raises(NotPermitted):
        partners.rotate_webhook_secret(
            staff("caseworker"), "ngo-one", stores=stores, settings=settings
        )
    with pytest.raises(partners.PartnerNotRegistered):
        partners.rotate_webhook_secret(staff(), "ngo-nobody", stores=stores, settings=settings)
    assert stores.partners.get("ngo-one").webhook_generation == 0
