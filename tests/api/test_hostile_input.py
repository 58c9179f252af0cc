"""Script tags, bidi overrides, null bytes and huge strings in every text field of the form.

Markup (and a bidi override, outside names) is kept as the text it is, and nothing
renders it as anything else: not the form page, not the alert e-mails, not the status
page. Control characters, and invisible characters in names, are refused next to their
field with every answer kept.
"""

from __future__ import annotations

import html
import re

import boto3
import pytest
from formdata import form_fields, post_form

from chalicelib.adapters.dynamo.items import from_item
from chalicelib.web.form_fields import FIELDS

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>\u202egnp.exe "\' end'
TEXT_FIELDS = [name for name, f in FIELDS.items() if f.kind in ("text", "textarea", "names")]
NAME_FIELDS = ("child.family_name", "child.given_name", "child.patronymic", "child.other_names")
# A name refuses invisible characters, the bidi override among them.
HOSTILE_NAME = HOSTILE.replace("\u202e", "")


def hostile(name: str) -> str:
    return HOSTILE_NAME if name in NAME_FIELDS else HOSTILE


def hostile_fields(**extra: str) -> dict[str, str]:
    return form_fields(**{name: hostile(name) for name in TEXT_FIELDS}, **extra)


def stored_case(aws) -> dict:
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    return next(i for i in (from_item(x) for x in items) if i.get("kind") == "case")


def test_every_text_field_is_covered():
    assert len(TEXT_FIELDS) == 13
    assert set(NAME_FIELDS) <= set(TEXT_FIELDS)


def test_hostile_text_is_stored_as_text(client, aws):
    response = post_form(client, hostile_fields())
    assert response.status_code == 201
    from chalicelib import wiring

    # Read through the store: the reporter's details are sealed in the item itself.
    report = wiring.stores().cases.get(stored_case(aws)["reference"]).report.model_dump()
    for name in TEXT_FIELDS:
        part, field = name.split(".")
        value = report[part][field]
        assert value == ([hostile(name)] if field == "other_names" else hostile(name)), name
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
        assert html.unescape(match.group(1)) == hostile(name), name


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        (
            "event.circumstances",
            "Taken at night.\x00\x1b[31m",
            "Цей текст містить невидимі керівні символи. Видаліть їх або наберіть текст ще раз.",
        ),
        (
            "event.place",
            "school\x0bNo. 2",
            "Напишіть це одним рядком, без невидимих керівних символів.",
        ),
        (
            "child.given_name",
            "Олек\u200bсандр",
            "В імені є невидимі символи. Будь ласка, наберіть його ще раз.",
        ),
        (
            "child.family_name",
            "\u200b",
            "В імені є невидимі символи. Будь ласка, наберіть його ще раз.",
        ),
        ("child.family_name", "—", "Напишіть ім'я літерами."),
    ],
)
def test_controls_and_invisible_names_are_refused_next_to_their_field(
    client, aws, name, typed, message
):
    response = post_form(client, form_fields(**{name: typed}))
    assert response.status_code == 422
    page = response.body.decode()
    field_id = FIELDS[name].id
    error = re.search(rf'<p class="error" id="{field_id}-error">([^<]+)</p>', page).group(1)
    assert html.unescape(error) == message
    assert typed.strip() not in html.unescape(error)
    # The typed value comes back in its field, for the reporter to correct.
    if FIELDS[name].kind == "textarea":
        shown = re.search(rf'<textarea id="{field_id}"[^>]*>([^<]*)</textarea>', page).group(1)
    else:
        shown = re.search(rf'<input id="{field_id}"[^>]* value="([^"]*)"', page).group(1)
    assert html.unescape(shown) == typed


def test_very_long_text_is_refused_per_field_and_kept(client, aws):
    long = "ї" * 6000
    fields = form_fields(**{"event.circumstances": long, "child.family_name": "x" * 300})
    response = post_form(client, fields)
    assert response.status_code == 422
    page = html.unescape(response.body.decode())
    assert "можна не більше 5000" in page
    assert "можна не більше 100" in page
    assert long in page


def test_hostile_text_reaches_the_alert_emails_as_text_and_escaped_html(client, aws, pump):
    from infra.local.outbox import sent_messages

    response = post_form(client, hostile_fields())
    assert response.status_code == 201
    pump.run_until_idle()
    emails = [m for m in sent_messages() if m["channel"] == "email"]
    assert emails
    # The values arrive as typed, less the bidi override that could reorder the lines
    # around them and with what could be a host name bracketed (domain/messages.py): as
    # text in the text part, escaped in the HTML part, so that no mail client renders
    # the markup.
    typed = HOSTILE.replace("\u202e", "").replace("gnp.exe", "gnp[.]exe")
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
