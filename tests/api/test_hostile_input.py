"""Script tags, bidi overrides, null bytes and huge strings in every text field of the form.

They are kept as the text they are, and nothing renders them as anything else: not the
form page, not the alert e-mails, not the status page.
"""

from __future__ import annotations

import html
import json
import re

import boto3
from formdata import form_fields, post_form

from chalicelib.adapters.dynamo.items import from_item
from chalicelib.web.form_fields import FIELDS

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>\u202egnp.exe\x00 "\' end'
TEXT_FIELDS = [name for name, f in FIELDS.items() if f.kind in ("text", "textarea", "names")]


def hostile_fields(**extra: str) -> dict[str, str]:
    return form_fields(**{name: HOSTILE for name in TEXT_FIELDS}, **extra)


def stored_case(aws) -> dict:
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    return next(i for i in (from_item(x) for x in items) if i.get("kind") == "case")


def test_every_text_field_is_covered():
    assert len(TEXT_FIELDS) == 13


def test_hostile_text_is_stored_as_text(client, aws):
    response = post_form(client, hostile_fields())
    assert response.status_code == 201
    report = json.loads(stored_case(aws)["report"])
    for name in TEXT_FIELDS:
        part, field = name.split(".")
        value = report[part][field]
        assert value == ([HOSTILE] if field == "other_names" else HOSTILE), name
    # The receipt shows nothing that was typed.
    page = response.body.decode()
    assert "alert(" not in page and "gnp.exe" not in page


def test_hostile_text_is_inert_when_the_form_comes_back(client, aws):
    response = post_form(client, hostile_fields(**{"reporter.phone": "nonsense"}))
    assert response.status_code == 422
    page = response.body.decode()
    # Only the page's own script tag; no attribute or element came from the input.
    assert page.count("<script") == 1
    assert "<img" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == len(TEXT_FIELDS)
    # Each value comes back whole, as text, in its own field.
    for name in TEXT_FIELDS:
        field_id = FIELDS[name].id
        if FIELDS[name].kind == "textarea":
            match = re.search(rf'<textarea id="{field_id}"[^>]*>([^<]*)</textarea>', page)
        else:
            match = re.search(rf'<input id="{field_id}"[^>]* value="([^"]*)"', page)
        assert html.unescape(match.group(1)) == HOSTILE, name


def test_very_long_text_is_refused_per_field_and_kept(client, aws):
    long = "ї" * 6000
    fields = form_fields(**{"event.circumstances": long, "child.family_name": "x" * 300})
    response = post_form(client, fields)
    assert response.status_code == 422
    page = html.unescape(response.body.decode())
    assert "не більше 5000 символів" in page
    assert "не більше 100 символів" in page
    assert long in page


def test_hostile_text_reaches_the_alert_emails_as_text_and_escaped_html(client, aws, pump):
    from infra.local.outbox import sent_messages

    response = post_form(client, hostile_fields())
    assert response.status_code == 201
    pump.run_until_idle()
    emails = [m for m in sent_messages() if m["channel"] == "email"]
    assert emails
    # The values arrive as typed, less the bidi override that could reorder the lines
    # around them: as text in the text part, escaped in the HTML part, so that no mail
    # client renders the markup.
    typed = HOSTILE.replace("\u202e", "")
    assert any(typed in email["body"] for email in emails)
    assert any(typed in html.unescape(email["html"]) for email in emails)
    for email in emails:
        assert "\u202e" not in email["body"] and "\u202e" not in email["html"]
        assert "<script" not in email["html"] and "<img" not in email["html"]
        assert "onerror=alert(1)>" not in email["html"]
        assert "<script>" not in email["subject"]
    for sms in (m for m in sent_messages() if m["channel"] == "sms"):
        assert "script" not in sms["body"] and "\u202e" not in sms["body"]


def test_hostile_reference_and_token_on_the_status_page(client, aws):
    from urllib.parse import urlencode

    response = client.http.post(
        "/status",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"reference": HOSTILE, "token": HOSTILE * 10, "lang": "uk"}),
    )
    assert response.status_code == 200
    page = response.body.decode()
    assert "alert" not in page and "\u202e" not in page
