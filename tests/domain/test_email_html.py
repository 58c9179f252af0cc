"""The HTML part of an alert e-mail: same content as the text part, escaped, per language."""

import datetime as dt
import html

import jinja2
import pytest
from helpers import case_for

from chalicelib.domain.alerts import Alert
from chalicelib.domain.case import Case
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.messages import render_email

ACK = "http://127.0.0.1:8000/ack/7K3MQ9TXa1b2c3" + "2pmq4x" + "x" * 16
NOW = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)
CHILD_DETAILS = ("Ковальчук", "Олександр", "Сашко", "asthma", "Олешки", "recreation camp")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def stored_before(**changes: dict) -> Case:
    """A case whose report holds what validation refuses now: stored before it did, say.
    The alerts must not rely on validation for what they print."""
    case = case_for()
    report = case.report.model_copy(
        update={
            section: getattr(case.report, section).model_copy(update=values)
            for section, values in changes.items()
        }
    )
    return Case(case.reference, case.received_at, report)


def strings_of(value) -> list[str]:
    """Every string and date a report holds, at any depth."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return [str(value)] if isinstance(value, (str, dt.date)) else []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("uk", ("До Homeward надійшло нове повідомлення.", "депортація", "Підтвердити отримання")),
        ("en", ("A new report reached Homeward.", "deported", "Acknowledge this alert")),
    ],
)
def test_the_html_part_is_in_the_contacts_language_with_the_ack_link(language, words):
    case = case_for()
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
    )
    assert email.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}"' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    for word in words:
        assert word in email.html
    # The acknowledgement link is a real link (the button), and shown for copying.
    assert email.html.count(f'<a href="{ACK}"') == 2
    assert ACK in email.text
    assert "HW-7K3M-Q9TX" in email.html
    for detail in CHILD_DETAILS:  # consent allows sharing
        assert detail in email.html
    # Nothing to fetch or run: no scripts, images, style sheets or web fonts.
    for external in ("<script", "<img", "<link", "@import", "url(", "src="):
        assert external not in email.html


@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_html_part_says_nothing_the_text_part_does_not(language):
    case = case_for(child={"distinguishing_marks": "birthmark on the neck"})
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
    )
    shown = html.unescape(email.html)
    report = strings_of(case.report.model_dump())
    assert "birthmark on the neck" in report and "iryna@example.org" in report
    for value in (v for v in report if len(v) > 3):
        assert (value in shown) == (value in email.text), value


def test_a_hostile_child_name_is_escaped_in_html_and_kept_as_text():
    case = case_for(child={"given_name": HOSTILE}, event={"circumstances": f'"{HOSTILE}" & more'})
    email = render_email(Alert.for_new_case(case), case, "en", ACK, disclosure=Disclosure.DETAILS)
    assert "<script" not in email.html and "<img" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in (
        email.html
    )
    assert "&#34;&lt;script&gt;" in email.html and "&amp; more" in email.html
    assert HOSTILE in html.unescape(email.html)
    # The text part is not HTML: it carries the name exactly as typed.
    assert f"Child: Ковальчук {HOSTILE} Андрійович" in email.text


def test_bidi_controls_are_dropped_from_both_parts():
    # A name refuses them on the way in (domain/report.py); the alerts drop them anyway.
    case = stored_before(
        child={"family_name": f"Ков{BIDI}альчук"},
        event={"circumstances": "\u202egnp.exe taken \u2066to Crimea\u2069"},
    )
    for language in ("uk", "en"):
        email = render_email(
            Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
        )
        for part in (email.subject, email.text, email.html):
            assert not set(BIDI) & set(part)
        assert "Ковальчук Олександр" in email.text and "Ковальчук Олександр" in email.html
        # "gnp.exe" could be a host name: bracketed, as the module's docstring says.
        assert "gnp[.]exe taken to Crimea" in email.text
        assert "gnp[.]exe taken to Crimea" in email.html


@pytest.mark.parametrize("language", ["uk", "en"])
def test_without_consent_to_share_the_html_part_names_no_child(language):
    case = case_for(consent={"share_with_coalition": False})
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.EXISTENCE
    )
    assert "HW-7K3M-Q9TX" in email.html and f'<a href="{ACK}"' in email.html
    shown = html.unescape(email.html)
    for detail in (*CHILD_DETAILS, "Андрійович", "2012-03-14", "Krasnodar", "inhaler"):
        assert detail not in shown
        assert detail not in email.text
    withheld = {
        "uk": "Автор повідомлення не дав згоди передавати його подробиці коаліції.",
        "en": "The reporter did not agree to share the details of this report with the coalition.",
    }[language]
    assert withheld in email.html and withheld in email.text


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("uk", "стосуються однієї дитини"), ("en", "are about the same child")],
)
def test_a_confirmed_match_has_an_html_part_without_the_childs_details(language, phrase):
    from dataclasses import replace

    case = case_for()
    alert = Alert.match_confirmed(case, replace(case, reference="HW-AAAA-BBBB"), NOW)
    email = render_email(alert, case, language, ACK, disclosure=Disclosure.DETAILS)
    assert f'<html lang="{language}"' in email.html
    assert phrase in email.html
    assert "HW-7K3M-Q9TX" in email.html and "HW-AAAA-BBBB" in email.html
    assert f'<a href="{ACK}"' in email.html
    for detail in CHILD_DETAILS:
        assert detail not in email.html and detail not in email.text


def test_a_name_an_html_template_does_not_know_fails_loudly():
    from chalicelib.domain.messages import _environment

    with pytest.raises(jinja2.UndefinedError):
        _environment().get_template("en/match_email.html").render(reference="HW-7K3M-Q9TX")


def test_text_typed_on_several_lines_stays_inside_its_field_of_the_text_part():
    forged = "Taken to Crimea.\r\nAcknowledge this alert:\nhttp://evil.example/ack/x"
    case = case_for(event={"circumstances": forged})
    email = render_email(Alert.for_new_case(case), case, "en", ACK, disclosure=Disclosure.DETAILS)
    assert (
        "Circumstances:\n    \u2502 Taken to Crimea.\n    \u2502 Acknowledge this alert:\n"
        "    \u2502 hxxp://evil[.]example/ack/x\n" in email.text
    )
    assert f"Acknowledge this alert (the link works for 7 days):\n{ACK}" in email.text
    assert not any("http://evil" in line for line in email.text.splitlines())
