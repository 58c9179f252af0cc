"""Webhooks through the real handlers in moto: the status change's outbox item, the stream
function that queues it, the queue's message, the signed post, the backoff, the parking.
"""

import datetime as dt
import json

import boto3
import pytest
import time_machine
from fakes import FakePoster
from helpers import Console

from chalicelib.domain.partners import READ, WRITE, verify_webhook
from chalicelib.domain.webhooks import MAX_ATTEMPTS
from infra.local.emulator import REGION

HOOK = "https://hooks.ngo.example/homeward"


@pytest.fixture
def poster(monkeypatch, app_module):
    from chalicelib import wiring

    fake = FakePoster()
    monkeypatch.setattr(wiring, "webhook_poster", lambda: fake)
    return fake


@pytest.fixture
def partner(client, staff, dev_key):
    from chalicelib.adapters.tokens import mint_dev_partner_token

    body = {"client_id": "ngo-one", "name": "NGO One", "webhook_url": HOOK}
    registered = staff("coordinator").put("/partners/ngo-one", body)
    assert registered.status_code == 200, registered.body
    token = mint_dev_partner_token(dev_key, client_id="ngo-one", scopes=(WRITE, READ))
    return token, bytes.fromhex(registered.json_body["webhook_secret"])


def file_and_move(client, pump, staff, token, report_body):
    filed = client.http.post(
        "/api/v1/partner/reports",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps({"external_id": "CASE-17", "report": report_body}),
    )
    assert filed.status_code == 201, filed.body
    reference = filed.json_body["reference"]
    pump.run_until_idle()
    coordinator = staff("coordinator")
    version = coordinator.get(f"/cases/{reference}").json_body["version"]
    moved = {"status": "triaged", "note": "called the family", "version": version}
    assert coordinator.post(f"/cases/{reference}/status", moved).status_code == 200
    return reference


def file_and_park(client, pump, staff, token, poster, clock, report_body, status: int) -> str:
    """A status change whose webhook the partner answers `status` on every attempt: parked."""
    reference = file_and_move(client, pump, staff, token, report_body)
    pump.pump_stream()
    poster.statuses = [status] * MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        assert pump.pump_webhooks() == 1
        clock.shift(dt.timedelta(minutes=75))  # the longest backoff, with jitter
    return reference


def queued(aws):
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["WebhookQueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_only_public_https_addresses_are_registered(client, staff):
    for url in ("http://hooks.ngo.example/", "https://169.254.169.254/latest", "https://[::1]/"):
        body = {"client_id": "ngo-one", "name": "NGO One", "webhook_url": url}
        assert staff("coordinator").put("/partners/ngo-one", body).status_code == 422, url


def test_a_status_change_is_queued_posted_signed_and_retried_with_backoff(
    client, pump, staff, partner, poster, aws, report_body
):
    token, secret = partner
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        reference = file_and_move(client, pump, staff, token, report_body)
        pump.pump_stream()
        # The stream function put one message on the webhook queue.
        assert queued(aws) == (1, 0)
        poster.statuses = [502]
        assert pump.pump_webhooks() == 1
        # Failed: back on the queue, invisible for its backoff (about 30 s), not deleted.
        assert queued(aws) == (0, 1)
        clock.shift(dt.timedelta(seconds=20))
        assert pump.pump_webhooks() == 0
        clock.shift(dt.timedelta(seconds=30))
        assert pump.pump_webhooks() == 1
        assert queued(aws) == (0, 0)

    first, second = poster.posts
    assert first["body"] == second["body"]
    assert json.loads(second["body"]) == {
        "event": "report.stage_changed",
        "id": f"{reference}.2",
        "reference": reference,
        "external_id": "CASE-17",
        "stage": "in_review",
        "occurred_at": json.loads(second["body"])["occurred_at"],
    }
    header = second["headers"]["Homeward-Signature"]
    sent_at = int(header.split(",")[0].removeprefix("t="))
    assert verify_webhook(secret, header, second["body"], now=sent_at + 1)
    assert header != first["headers"]["Homeward-Signature"]  # a new timestamp each try


def test_the_last_failure_is_parked_for_coordinators_who_may_send_it_again(
    client, pump, staff, partner, poster, aws, report_body
):
    token, _ = partner
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        reference = file_and_park(client, pump, staff, token, poster, clock, report_body, 500)
        assert queued(aws) == (0, 0)
        assert len(poster.posts) == MAX_ATTEMPTS
        coordinator = staff("coordinator")
        (failed,) = coordinator.get("/webhooks/failed").json_body["webhooks"]
        assert failed["event_id"] == f"{reference}.2"
        assert (failed["state"], failed["attempts"], failed["last_error"]) == (
            "failed",
            MAX_ATTEMPTS,
            "HTTP 500",
        )
        assert staff("caseworker").get("/webhooks/failed").status_code == 403
        retry = {"client_id": "ngo-one", "event_id": failed["event_id"]}
        assert coordinator.post("/webhooks/retry", retry).status_code == 202
        assert pump.pump_webhooks() == 1
        assert coordinator.get("/webhooks/failed").json_body["webhooks"] == []
        assert coordinator.post("/webhooks/retry", retry).status_code == 404


def test_a_coordinator_sees_the_parked_webhook_in_the_console_and_sends_it_again(
    client, pump, staff, partner, poster, aws, report_body
):
    token, _ = partner
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        reference = file_and_park(client, pump, staff, token, poster, clock, report_body, 503)
        olena = Console(client, "demo-olena-koval", lang="uk")
        page = olena.get("/staff/deliveries").body.decode()
        section = page.split('id="hooks-title"', 1)[1]
        row = section.split(f">{reference}</a>", 1)[1].split("</tr>", 1)[0]
        # The partner by name, the attempts and what went wrong; the child by no name.
        assert "NGO One" in row and f"<td>{MAX_ATTEMPTS}</td>" in row and "HTTP 503" in row
        assert "Сповіщення партнерів" in page and report_body["child"]["family_name"] not in page
        # Its own form, with the page's token, sends it again.
        assert f'name="event_id" value="{reference}.2"' in row
        assert f'name="csrf" value="{olena.csrf}"' in row and olena.csrf
        assert 'staff/deliveries/webhooks/retry"' in row
        # A caseworker has no such page.
        assert Console(client, "demo-taras-bondar").get("/staff/deliveries").status_code == 403

        sent = olena.post(
            "/staff/deliveries/webhooks/retry",
            {"client_id": "ngo-one", "event_id": f"{reference}.2"},
        )
        assert sent.status_code == 303 and "done=retried" in sent.headers["Location"]
        assert queued(aws) == (1, 0)
        poster.statuses = [200]
        assert pump.pump_webhooks() == 1
        assert len(poster.posts) == MAX_ATTEMPTS + 1
        assert 'id="hooks-title"' not in olena.get("/staff/deliveries").body.decode()
        # Sent once more only: the same form again finds nothing to send.
        again = olena.post(
            "/staff/deliveries/webhooks/retry",
            {"client_id": "ngo-one", "event_id": f"{reference}.2"},
        )
        assert again.status_code == 409 and queued(aws) == (0, 0)
