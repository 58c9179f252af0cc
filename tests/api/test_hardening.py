"""What hostile or unlucky input found at the seams (issue 10), each fixed and kept fixed."""

import json
import logging
import re

import boto3
import pytest
from formdata import form_fields, form_key, post_form
from helpers import post_report

from chalicelib import wiring

PROBLEM = "application/problem+json"


def case_items(aws) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    return [i for i in items if i.get("kind", {}).get("S") == "case"]


def test_a_body_nested_thousands_deep_is_400_not_a_crash(client, aws):
    body = "[" * 30_000 + "]" * 30_000
    response = post_report(client, body)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == PROBLEM


def test_an_unexpected_error_is_a_problem_with_a_request_id_and_a_quiet_log(
    client, staff, monkeypatch, caplog
):
    from chalicelib.services import casework

    def broken(*args, **kwargs):
        raise ValueError("Ковальчук Олександр, +380501234567")  # what a person typed

    monkeypatch.setattr(casework, "statistics", broken)
    # Chalice's own "homeward" logger does not propagate to the root: listen on it.
    logger = logging.getLogger("homeward")
    logger.addHandler(caplog.handler)
    try:
        response = staff("coordinator").get("/statistics")
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == PROBLEM
    body = json.loads(response.body)
    assert body["request_id"] and "Ковальчук" not in response.body.decode()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged and body["request_id"] in logged
    assert "Ковальчук" not in logged and "+380" not in logged
    assert "Traceback" not in caplog.text


def test_a_page_that_fails_is_an_error_page_not_chalices(client, monkeypatch):
    from chalicelib.web import status

    monkeypatch.setattr(status, "page", lambda *a, **k: 1 / 0)
    response = client.http.get("/status")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"InternalServerError" not in response.body


@pytest.fixture
def three_cases(client, pump, report_body):
    for _ in range(3):
        assert post_report(client, report_body).status_code == 201
    pump.run_until_idle()


def test_a_cursor_continues_only_the_list_it_came_from(staff, three_cases):
    caseworker = staff("caseworker", "UA-OMBUDSMAN")
    first = caseworker.get("/cases?limit=1").json_body
    assert first["cursor"]
    assert caseworker.get(f"/cases?limit=1&cursor={first['cursor']}").status_code == 200
    for other in (
        staff("coordinator").get(f"/cases?limit=1&cursor={first['cursor']}"),
        caseworker.get(f"/cases?limit=1&urgent=true&cursor={first['cursor']}"),
        staff("caseworker", "UA-NIB").get(f"/cases?limit=1&cursor={first['cursor']}"),
    ):
        assert other.status_code == 400
        assert other.json_body["type"] == "/problems/invalid-cursor"


def test_a_case_outside_the_mandate_costs_what_a_missing_one_costs(staff, client, pump, aws):
    """The time to answer must not tell a hidden case from a missing one: both are refused
    after the same reads, before the case itself is read."""
    reference = post_report(client, json.loads(json.dumps(__import__("helpers").EXAMPLE_REPORT)))
    reference = reference.json_body["reference"]
    pump.run_until_idle()
    calls: list[str] = []
    wiring.client("dynamodb").meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    outsider = staff("caseworker", "UA-JUVPOL")
    costs = []
    for target in (reference, "HW-2222-3333"):
        calls.clear()
        assert outsider.get(f"/cases/{target}").status_code == 404
        costs.append(list(calls))
    assert costs[0] == costs[1]
    assert "Query" not in costs[0]  # the case's partition is never read


def test_refused_staff_requests_are_audited(staff, client, pump, aws, report_body):
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    assert staff("caseworker", "UA-JUVPOL").get(f"/cases/{reference}").status_code == 404
    assert staff("auditor").get(f"/cases/{reference}").status_code == 403
    trail = staff("auditor").get(f"/cases/{reference}/audit").json_body["entries"]
    refused = [(e["role"], e["agency"], e["detail"]) for e in trail if e["action"] == "refused"]
    assert ("caseworker", "UA-JUVPOL", "read") in refused
    assert ("auditor", "UA-NIB", "read") in refused


def test_idempotency_keys_belong_to_their_caller(client, aws, report_body):
    mine = post_report(client, report_body, key="partner-key-00000001")
    other_source = {"X-Forwarded-For": "203.0.113.9"}  # not trusted: the same source
    again = post_report(client, report_body, key="partner-key-00000001", headers=other_source)
    assert again.json_body["reference"] == mine.json_body["reference"]
    # Another source (API Gateway's view of the client) with the same key is another key.
    from chalicelib.services import intake
    from chalicelib.web import public

    original = public.source
    public.source = lambda request: "203.0.113.9"
    try:
        theirs = post_report(client, report_body | {"urgent": True}, key="partner-key-00000001")
    finally:
        public.source = original
    assert theirs.status_code == 201
    assert theirs.json_body["reference"] != mine.json_body["reference"]
    assert intake.FORM_SCOPE == "form"


def test_the_honeypot_answers_like_a_person_but_keeps_nothing(client, aws, monkeypatch):
    monkeypatch.setenv("HOMEWARD_RATE_LIMIT", "2")
    wiring.reset()
    bot = form_fields(website="http://spam.example", submission_key=form_key("bot-key-000000001"))
    first = post_form(client, bot)
    again = post_form(client, bot)
    # Replayed per key, as a person's double tap is: the same receipt, with its code
    # while no receipt of it was shown.
    assert (first.status_code, again.status_code) == (201, 200)
    assert b'id="status-token"' in first.body and b'id="status-token"' in again.body
    receipt = re.compile(rb'id="reference">([^<]+)<')
    assert receipt.search(first.body).group(1) == receipt.search(again.body).group(1)
    # Checked like a person's report.
    broken = form_fields(website="x", submission_key=form_key("bot-key-000000002"))
    broken.pop("child.family_name")
    assert post_form(client, broken).status_code == 422
    # Charged to its source: the next report from there is over the limit.
    post_form(client, form_fields(website="x", submission_key=form_key("bot-key-000000003")))
    assert (
        post_form(client, form_fields(submission_key=form_key("person-key-0000001"))).status_code
        == 429
    )
    assert case_items(aws) == []


def test_pages_ask_browsers_for_https(client):
    for path in ("/", "/status"):
        assert client.http.get(path).headers["Strict-Transport-Security"].startswith("max-age=")


def test_every_answer_carries_the_security_headers(client):
    """The attack: `/static/*` and wrong methods lacked HSTS, CSP and nosniff."""
    for method, path in [
        ("GET", "/static/form.js"),
        ("GET", "/static/nothing-here.js"),
        ("GET", "/healthz"),
        # A wrong method on a route the app has (an unknown route is API Gateway's own
        # answer, outside the app: not covered here).
        ("DELETE", "/api/v1/reports"),
    ]:
        response = client.http.request(method, path, headers={}, body=b"")
        headers = {k.lower(): v for k, v in response.headers.items()}
        assert headers.get("strict-transport-security", "").startswith("max-age="), path
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("content-security-policy"), path
