"""POST /api/v1/reports as CONTRACT.md describes it, against the template deployed in moto."""

import json
import threading

import boto3
import pytest
from helpers import post_report

from chalicelib.adapters.dynamo.items import from_item

PROBLEM = "application/problem+json"


def stored_items(outputs) -> list[dict]:
    client = boto3.client("dynamodb")
    items = client.scan(TableName=outputs["TableName"])["Items"]
    return [from_item(i) for i in items]


def cases(outputs) -> list[dict]:
    return [i for i in stored_items(outputs) if i.get("kind") == "case"]


def problem_of(response) -> dict:
    assert response.headers["Content-Type"] == PROBLEM
    body = json.loads(response.body)
    assert body["status"] == response.status_code
    assert body["title"]
    return body


def test_the_contract_example_is_stored_with_its_alert(client, aws, report_body):
    response = post_report(client, report_body)
    assert response.status_code == 201
    receipt = response.json_body
    assert set(receipt) == {"reference", "status_token", "received_at"}
    reference = receipt["reference"]

    items = {i["sk"].split("#")[0]: i for i in stored_items(aws) if i["pk"] == f"CASE#{reference}"}
    assert items["CASE"]["status"] == "received"
    assert json.loads(items["CASE"]["report"])["child"]["family_name"] == "Ковальчук"
    alert = items["ALERT"]
    assert alert["kind"] == "alert" and alert["oblast"] == "UA-65"
    # The outbox item travels through streams and queues: no personal data in it.
    assert "Ковальчук" not in json.dumps(alert, default=str, ensure_ascii=False)


def test_the_response_reveals_nothing_about_other_reports(client, report_body):
    first = post_report(client, report_body)
    second = post_report(client, report_body)
    assert first.status_code == second.status_code == 201
    assert first.json_body.keys() == second.json_body.keys()
    assert first.json_body["reference"] != second.json_body["reference"]
    assert "Idempotent-Replayed" not in second.headers


def test_same_key_same_body_returns_the_same_receipt_and_stores_nothing_new(
    client, aws, report_body
):
    first = post_report(client, report_body, key="retry-key-0001")
    # Key order and white space do not make it another report.
    reordered = json.dumps(dict(reversed(list(report_body.items()))), indent=2)
    again = post_report(client, reordered, key="retry-key-0001")
    assert again.status_code == 201
    assert again.json_body == first.json_body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(cases(aws)) == 1


def test_same_key_other_body_is_409_and_stores_nothing(client, aws, report_body):
    post_report(client, report_body, key="retry-key-0002")
    report_body["urgent"] = True
    response = post_report(client, report_body, key="retry-key-0002")
    assert response.status_code == 409
    assert problem_of(response)["type"] == "/problems/idempotency-key-reused"
    assert len(cases(aws)) == 1


def test_two_identical_requests_racing_create_one_case(app_module, aws, report_body):
    from chalice.test import Client

    barrier = threading.Barrier(8)
    results = []

    def submit():
        with Client(app_module.app, stage_name="local") as own_client:
            barrier.wait()
            results.append(post_report(own_client, report_body, key="racing-key-0003"))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [201] * 8
    assert len({r.json_body["reference"] for r in results}) == 1
    assert len(cases(aws)) == 1


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 129, "ünïcode-key"])
def test_an_invalid_idempotency_key_is_400(client, aws, report_body, key):
    response = post_report(client, report_body, headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key" in problem_of(response)["title"]
    assert cases(aws) == []


def test_malformed_json_is_400(client, aws):
    response = post_report(client, '{"child": {"family_name": "Ковальчук",')
    assert response.status_code == 400
    assert problem_of(response)["type"] == "/problems/malformed-json"
    assert cases(aws) == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_wrong_content_type_is_415(client, aws, report_body, content_type):
    headers = {"Content-Type": content_type}
    response = client.http.post("/api/v1/reports", headers=headers, body=json.dumps(report_body))
    assert response.status_code == 415
    assert content_type in problem_of(response)["detail"]
    assert cases(aws) == []


def test_json_with_a_charset_is_accepted(client, report_body):
    response = post_report(
        client, report_body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 201


def test_oversize_body_is_413(client, aws, report_body):
    report_body["event"]["circumstances"] = "x" * (65 * 1024)
    response = post_report(client, report_body)
    assert response.status_code == 413
    problem_of(response)
    assert cases(aws) == []


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (lambda b: b["child"].update(nickname="Sasha"), ["child", "nickname"]),
        (lambda b: b.update(extra=True), ["extra"]),
        (lambda b: b["reporter"].update(phone="050 123 45 67"), ["reporter", "phone"]),
        (lambda b: b["residence"].update(oblast="UA-00"), ["residence", "oblast"]),
        (lambda b: b["child"].update(date_of_birth=None, birth_year=None), ["child"]),
        (lambda b: b["child"].pop("family_name"), ["child", "family_name"]),
    ],
    ids=["unknown-child-field", "unknown-top-field", "phone", "oblast", "birth", "missing-name"],
)
def test_invalid_reports_are_422_naming_the_field(client, aws, report_body, change, loc):
    change(report_body)
    response = post_report(client, report_body)
    assert response.status_code == 422
    problem = problem_of(response)
    assert loc in [e["loc"] for e in problem["errors"]]
    for error in problem["errors"]:
        assert set(error) == {"loc", "msg", "type"}
    assert cases(aws) == []


def test_validation_errors_never_echo_what_was_sent(client, report_body):
    report_body["reporter"]["phone"] = "+3805012SECRET"
    response = post_report(client, report_body)
    assert response.status_code == 422
    assert b"SECRET" not in response.body


def test_a_json_array_is_422_not_a_crash(client):
    response = post_report(client, "[1, 2]")
    assert response.status_code == 422
    problem_of(response)


def test_too_many_reports_from_one_source_is_429(client, aws, report_body, monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("HOMEWARD_RATE_LIMIT", "3")
    wiring.reset()
    codes = [post_report(client, report_body).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    response = post_report(client, report_body)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    problem_of(response)
    assert len(cases(aws)) == 3
    # The source is kept only as a keyed hash, never as the address itself.
    assert "127.0.0.1" not in json.dumps(stored_items(aws), default=str)


def test_healthz(client):
    response = client.http.get("/healthz")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}


def test_healthz_reports_an_unreachable_table(client, monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("HOMEWARD_TABLE", "no-such-table")
    wiring.reset()
    response = client.http.get("/healthz")
    assert response.status_code == 503
    problem_of(response)


def test_openapi_describes_the_contract(client):
    document = client.http.get("/openapi.json").json_body
    assert document["openapi"].startswith("3.1")
    post = document["paths"]["/api/v1/reports"]["post"]
    assert set(post["responses"]) == {"201", "400", "409", "413", "415", "422", "429"}
    report = document["components"]["schemas"]["Report"]
    assert report["additionalProperties"] is False
    child = document["components"]["schemas"]["Child"]
    assert child["properties"]["sex"]["enum"] == ["female", "male", "unknown"]
    assert "/dev/outbox" not in document["paths"]


def test_dev_outbox_is_absent_outside_local_runs(client, app_module, monkeypatch):
    from chalice.test import Client

    from chalicelib import wiring

    assert client.http.get("/dev/outbox").status_code == 200
    wiring.reset()
    # The prod stage's environment, as .chalice/config.json and the stack give it.
    monkeypatch.setenv("HOMEWARD_PUBLIC_URL", "https://homeward.example.org")
    with Client(app_module.app, stage_name="prod") as deployed:
        response = deployed.http.get("/dev/outbox")
    assert response.status_code == 404
    problem_of(response)
