"""The reporter's withdrawal page: reference and status code in, consent out.

The same guards as the status page (cross-site posts refused, the status page's rate
limit, one "not found" for every wrong answer, nothing echoed back), and a box to tick
before anything changes.
"""

import re
from urllib.parse import urlencode

import boto3
import pytest
from formdata import FORM, form_fields, post_form

from chalicelib.domain.case import status_token

SIGNING_KEY = b"test-signing-key"


def text(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def filed(client) -> str:
    page = text(post_form(client, form_fields()))
    return re.search(r'id="reference">(HW-[0-9A-Z]{4}-[0-9A-Z]{4})<', page).group(1)


def withdraw(client, reference, token, *, confirm="yes", lang="en", headers=None):
    fields = {"reference": reference, "token": token, "lang": lang}
    if confirm:
        fields["confirm"] = confirm
    return client.http.post(
        "/status/withdraw",
        headers={"Content-Type": FORM, **(headers or {})},
        body=urlencode(fields),
    )


def outcome(page: str) -> str:
    return re.search(r'<div class="notice[^"]*"[^>]*>\s*<(?:h2|p)>([^<]+)<', page).group(1)


def item(aws, reference) -> dict:
    key = {"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}}
    return boto3.client("dynamodb").get_item(TableName=aws["TableName"], Key=key)["Item"]


@pytest.mark.parametrize(
    ("lang", "title"),
    [("uk", "Відкликання згоди"), ("en", "Withdraw your consent"), ("ru", "Отзыв согласия")],
)
def test_the_page_says_what_withdrawing_does_in_each_language(client, lang, title):
    response = client.http.get(f"/status/withdraw?lang={lang}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert f"<h1>{title}</h1>" in page and 'name="confirm"' in page
    status = text(client.http.get(f"/status?lang={lang}"))
    assert f'href="./status/withdraw?lang={lang}"' in status


def test_nothing_changes_without_the_box_ticked_or_with_a_wrong_code(client, aws):
    reference = filed(client)
    token = status_token(SIGNING_KEY, reference)
    unticked = withdraw(client, reference, token, confirm=None)
    assert unticked.status_code == 422
    error = re.search(r'<p class="error" id="confirm-error" role="alert">([^<]+)<', text(unticked))
    assert error.group(1).startswith("Nothing was changed")
    # What was typed from paper is still there, to tick the box and send again.
    assert 'name="reference"' in text(unticked)
    assert re.search(rf'id="reference" [^>]*value="{reference}"', text(unticked))
    assert re.search(rf'id="token" [^>]*value="{token}"', text(unticked))
    wrong = [
        withdraw(client, reference, "x" * 24),
        withdraw(client, "HW-2222-2222", status_token(SIGNING_KEY, "HW-2222-2222")),
        withdraw(client, reference, status_token(b"another deployment", reference)),
    ]
    assert {(r.status_code, outcome(text(r))) for r in wrong} == {(200, "Not found")}
    assert "sealed_reporter" in item(aws, reference)
    assert "withdrawn_at" not in item(aws, reference)


def test_a_reporter_withdraws_and_is_told_what_stays(client, aws, pump, staff):
    reference = filed(client)
    token = status_token(SIGNING_KEY, reference)
    done = withdraw(client, reference.lower(), token)
    page = text(done)
    assert done.status_code == 200 and outcome(page) == "Your consent is withdrawn"
    assert "What was not erased: the report about the child." in page
    # Like the status page, the answer carries neither the reference nor the code.
    assert reference not in page and token not in page
    # The public function only asked: the stream takes it to the one that erases.
    assert "sealed_reporter" in item(aws, reference)
    pump.pump_stream("follow_up_new_items")
    stored = item(aws, reference)
    assert "sealed_reporter" not in stored and "sealed_child" in stored
    assert stored["consent"]["M"]["withdrawn"] == {"BOOL": True}
    assert not any(v["BOOL"] for k, v in stored["consent"]["M"].items() if k != "withdrawn")
    again = withdraw(client, reference, token, lang="uk")
    assert outcome(text(again)) == "Відкликати більше нічого"
    # The intake desk's coordinator still works the case, without the reporter's details.
    case = staff("coordinator", "UA-NIB").get(f"/cases/{reference}").json_body
    assert case["report"]["reporter"]["email"] is None
    assert case["report"]["child"]["family_name"] == "Ковальчук"
    (entry,) = [
        e
        for e in staff("auditor").get(f"/cases/{reference}/audit").json_body["entries"]
        if e["action"] == "withdraw"
    ]
    assert (entry["actor"], entry["role"], entry["agency"]) == ("reporter", "reporter", "")


def test_another_sites_page_cannot_withdraw(client, aws):
    reference = filed(client)
    token = status_token(SIGNING_KEY, reference)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = withdraw(client, reference, token, headers=headers)
        assert refused.status_code == 403
    assert "withdrawn_at" not in item(aws, reference)


def test_withdrawals_count_against_the_status_pages_limit(client, aws, monkeypatch):
    from chalicelib.domain.intake import RateLimit
    from chalicelib.services import reporter

    monkeypatch.setattr(reporter, "STATUS_LOOKUPS", RateLimit(limit=2, per_seconds=600))
    reference = filed(client)
    status = urlencode({"reference": reference, "token": "x", "lang": "en"})
    client.http.post("/status", headers={"Content-Type": FORM}, body=status)
    assert withdraw(client, reference, "x").status_code == 200
    limited = withdraw(client, reference, status_token(SIGNING_KEY, reference))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "withdrawn_at" not in item(aws, reference)


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("uk", "Відкликання згоди на використання повідомлення як доказу"),
        ("en", "Withdraw your consent to use the report as evidence"),
        ("ru", "Отзыв согласия на использование сообщения как доказательства"),
    ],
)
def test_the_evidence_consent_is_withdrawn_alone_on_its_own_page(client, lang, title):
    page = text(client.http.get(f"/status/withdraw-evidence?lang={lang}"))
    assert f"<h1>{title}</h1>" in page and 'name="confirm"' in page
    status = text(client.http.get(f"/status?lang={lang}"))
    assert f'href="./status/withdraw-evidence?lang={lang}"' in status


def test_withdrawing_the_evidence_consent_needs_the_tick_and_the_right_code(client, aws):
    reference = filed(client)  # the form's report: no evidence consent was given

    def asked(token, confirm="yes"):
        fields = {"reference": reference, "token": token, "lang": "en", "confirm": confirm}
        return client.http.post(
            "/status/withdraw-evidence", headers={"Content-Type": FORM}, body=urlencode(fields)
        )

    token = status_token(SIGNING_KEY, reference)
    assert asked(token, confirm="").status_code == 422
    assert outcome(text(asked("WRONG-CODE"))) == "Not found"
    assert outcome(text(asked(token))) == "Nothing left to withdraw"
    # The case's other consents are untouched.
    assert item(aws, reference)["consent"]["M"]["share_with_authorities"] == {"BOOL": True}
