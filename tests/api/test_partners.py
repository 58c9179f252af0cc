"""Partners file reports by machine: their own token, their own ids, their own reports.

Against the app in moto: a partner's client-credentials token reaches the partner API and
nothing else; a staff token does not reach the partner API; one partner's ids name
nothing for another; the same id again is the same case; a partner's quota is its own.
"""

import json
import logging.handlers

import pytest

from chalicelib.domain.partners import READ, WRITE
from infra.local.outbox import sent_messages


@pytest.fixture
def partner_token(dev_key):
    from chalicelib.adapters.tokens import mint_dev_partner_token

    def mint(client_id: str, scopes=(WRITE, READ)) -> str:
        return mint_dev_partner_token(dev_key, client_id=client_id, scopes=scopes)

    return mint


@pytest.fixture
def registered(staff):
    def register(client_id: str, quota: int = 120, **extra) -> dict:
        body = {"client_id": client_id, "name": f"NGO {client_id}", "quota_per_minute": quota}
        response = staff("coordinator").put(f"/partners/{client_id}", body | extra)
        assert response.status_code == 200, response.body
        return json.loads(response.body)

    return register


def send(client, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body)
    return client.http.request(method, f"/api/v1/partner{path}", headers=headers, body=data)


def file(client, token, external_id, report):
    return send(client, "POST", "/reports", token, {"external_id": external_id, "report": report})


def test_a_partner_files_a_report_and_the_same_id_again_is_the_same_case(
    client, registered, partner_token, report_body
):
    registered("ngo-one")
    token = partner_token("ngo-one")
    first = file(client, token, "CASE-17", report_body)
    assert first.status_code == 201, first.body
    again = file(client, token, "CASE-17", report_body)
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert json.loads(again.body)["reference"] == json.loads(first.body)["reference"]
    # The same id with another report is a mistake of the partner's, not a second case.
    other = file(client, token, "CASE-17", report_body | {"urgent": True})
    assert other.status_code == 409
    stage = send(client, "GET", "/reports/CASE-17", token)
    assert json.loads(stage.body) == {
        "external_id": "CASE-17",
        "reference": json.loads(first.body)["reference"],
        "received_at": json.loads(first.body)["received_at"],
        "stage": "received",
    }


def test_one_partners_ids_name_nothing_for_another(client, registered, partner_token, report_body):
    registered("ngo-one")
    registered("ngo-two")
    mine = file(client, partner_token("ngo-one"), "CASE-1", report_body)
    # Another partner's read of the same id: as if it did not exist.
    theirs = send(client, "GET", "/reports/CASE-1", partner_token("ngo-two"))
    assert theirs.status_code == 404
    # And the same id is another partner's own: a case of its own, not a replay of ours.
    filed = file(client, partner_token("ngo-two"), "CASE-1", report_body | {"urgent": True})
    assert filed.status_code == 201
    assert "Idempotent-Replayed" not in filed.headers
    assert json.loads(filed.body)["reference"] != json.loads(mine.body)["reference"]


def test_a_partner_token_does_not_open_the_staff_api_nor_a_staff_token_the_partner_api(
    client, registered, partner_token, token, report_body
):
    registered("ngo-one")
    partner = {"Authorization": f"Bearer {partner_token('ngo-one')}"}
    for path in ("/api/v1/staff/cases", "/api/v1/staff/statistics", "/api/v1/staff/partners"):
        assert client.http.get(path, headers=partner).status_code == 401
    coordinator = token("coordinator")
    assert send(client, "GET", "/reports/CASE-1", coordinator).status_code == 401
    assert file(client, coordinator, "CASE-1", report_body).status_code == 401


def test_scopes_unregistered_partners_and_quotas(client, registered, partner_token, report_body):
    registered("reader", quota=2)
    reading_only = partner_token("reader", scopes=(READ,))
    refused = file(client, reading_only, "CASE-1", report_body)
    assert refused.status_code == 403
    assert "reports.write" in refused.headers["WWW-Authenticate"]
    # A valid token of a client no coordinator registered: nothing is done for it.
    assert file(client, partner_token("stranger"), "CASE-1", report_body).status_code == 403
    # The partner's own quota: 2 a minute, then 429 with Retry-After.
    assert send(client, "GET", "/reports/X-1", reading_only).status_code == 404
    assert send(client, "GET", "/reports/X-2", reading_only).status_code == 404
    limited = send(client, "GET", "/reports/X-3", reading_only)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    # Another partner is not slowed down by it.
    registered("ngo-two")
    assert file(client, partner_token("ngo-two"), "CASE-1", report_body).status_code == 201


def test_an_import_batch_names_every_mistake_and_files_nothing_then_files_and_resumes(
    client, registered, partner_token, report_body, pump
):
    registered("registry", quota=1000)
    token = partner_token("registry")
    broken = dict(report_body, child=dict(report_body["child"], sex="boy"))
    rows = [
        {"line": 2, "external_id": "R-1", "report": report_body},
        {"line": 3, "external_id": "R-2", "report": broken},
        {"line": 4, "external_id": "bad id!", "report": report_body},
    ]
    refused = send(client, "POST", "/imports/file-0001/rows", token, {"rows": rows})
    assert refused.status_code == 422
    errors = json.loads(refused.body)["errors"]
    assert [e["loc"] for e in errors] == [[3, "child.sex"], [4, "external_id"]]
    # Nothing of it was filed.
    assert send(client, "GET", "/reports/R-1", token).status_code == 404

    good = [
        {"line": 2, "external_id": "R-1", "report": report_body},
        {"line": 3, "external_id": "R-2", "report": report_body | {"urgent": True}},
    ]
    first = json.loads(send(client, "POST", "/imports/file-0001/rows", token, {"rows": good}).body)
    assert (first["created"], first["replayed"], first["refused"]) == (2, 0, 0)
    # The same request again (an interrupted run resumed): nothing filed twice.
    again = json.loads(send(client, "POST", "/imports/file-0001/rows", token, {"rows": good}).body)
    assert (again["created"], again["replayed"]) == (0, 2)
    assert [r["reference"] for r in again["rows"]] == [r["reference"] for r in first["rows"]]

    closed = send(client, "POST", "/imports/file-0001/close", token)
    assert closed.status_code == 202
    # Rows of a closed batch go to a new batch.
    late = send(client, "POST", "/imports/file-0001/rows", token, {"rows": good[:1]})
    assert late.status_code == 409

    # The urgent row rang at once, with its own alert (issue 22), naming its reference
    # (and, by SMS, never the child); the ordinary row waits for the batch's digest.
    routine, urgent = [r["reference"] for r in first["rows"]]
    pump.run_until_idle()
    rang = sent_messages()
    assert rang and all(urgent in m["body"] and routine not in m["body"] for m in rang)
    sms = [m for m in rang if m["channel"] == "sms"]
    assert sms and all(report_body["child"]["family_name"] not in m["body"] for m in sms)
    # The rest: one digest per recipient, by e-mail or SMS, naming the references.
    assert pump.send_import_digests() >= 1
    digests = [m for m in sent_messages() if m not in rang]  # newest first
    assert {m["to"] for m in digests} >= {"coordinator@nib.example.org"}
    assert len({(m["to"], m["channel"]) for m in digests}) == len(digests)
    for message in digests:
        assert report_body["child"]["family_name"] not in message["body"]
        if message["channel"] == "email":
            assert routine in message["body"]
    # Once: the next minute sends nothing more.
    assert pump.send_import_digests() == 0
    assert len(sent_messages()) == len(rang) + len(digests)


def test_a_partner_reads_back_a_report_combined_with_another(
    client, registered, partner_token, staff, report_body
):
    """The reporter's stage comes from the domain (progress.Stage): a partner's report a
    coordinator marks as the duplicate of another reads back as "combined", not a 422."""
    registered("ngo-one")
    token = partner_token("ngo-one")
    filed = json.loads(file(client, token, "CASE-9", report_body).body)
    moved = staff("coordinator").post(
        f"/cases/{filed['reference']}/status",
        {"status": "duplicate", "note": "the same boy as the Kherson report", "version": 1},
    )
    assert moved.status_code == 200, moved.body
    read = send(client, "GET", "/reports/CASE-9", token)
    assert read.status_code == 200, read.body
    assert json.loads(read.body)["stage"] == "combined"


def test_an_answer_that_fails_its_own_model_is_our_500_not_the_callers_422(
    client, registered, partner_token, report_body, monkeypatch
):
    """A stage the domain grew and an answer did not (the bug behind issue 21): the
    caller is told it is our fault, with the request id to quote, and the log says which
    field, never its value."""
    from chalicelib.services import partners as service

    registered("ngo-one")
    token = partner_token("ngo-one")
    assert file(client, token, "CASE-5", report_body).status_code == 201
    monkeypatch.setattr(service, "reporter_stage", lambda status: "misplaced-stage")
    logged = logging.handlers.BufferingHandler(100)
    logging.getLogger("homeward.web").addHandler(logged)
    try:
        read = send(client, "GET", "/reports/CASE-5", token)
    finally:
        logging.getLogger("homeward.web").removeHandler(logged)
    assert read.status_code == 500
    assert read.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(read.body)
    assert problem["type"] == "/problems/internal-error"
    assert problem["request_id"]
    assert "errors" not in problem
    said = " ".join(r.getMessage() for r in logged.buffer)
    assert "PartnerReportStatus" in said and "stage" in said
    assert problem["request_id"] in said
    assert "misplaced-stage" not in said


def test_a_coordinator_rotates_a_partners_webhook_secret_through_the_api(registered, staff):
    first = registered("ngo-one")["webhook_secret"]
    rotated = staff("coordinator").post("/partners/ngo-one/webhook-secret", {})
    assert rotated.status_code == 200, rotated.body
    answer = rotated.json_body
    assert answer["client_id"] == "ngo-one"
    assert answer["webhook_secret"] != first and len(answer["webhook_secret"]) == 64
    assert answer["previous_secret_until"]
    # Registered again (a new quota): the partner keeps the secret it was just handed.
    assert registered("ngo-one", quota=30)["webhook_secret"] == answer["webhook_secret"]
    assert staff("caseworker").post("/partners/ngo-one/webhook-secret", {}).status_code == 403
    unknown = staff("coordinator").post("/partners/ngo-nobody/webhook-secret", {})
    assert unknown.status_code == 404
