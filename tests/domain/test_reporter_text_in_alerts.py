"""What a reporter typed, in an alert e-mail: visible, unlinkable, quoted, never the alert.

Issue 10: text could imitate the alert. A line separator other than "\\n" started a new
visual line without the indent that marks a reporter's lines, so a second
"Acknowledge: https://..." could be planted, and addresses went out for mail clients to
link. The reports here are built as if stored before validation refused such characters:
the alerts must be safe on their own (render_email is what the sender calls).
"""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from helpers import case_for
from pydantic import BaseModel

from chalicelib.domain.alerts import Alert
from chalicelib.domain.case import Case
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.messages import QUOTE_MARK, defanged, render_email

ACK = "http://127.0.0.1:8000/ack/7K3MQ9TXa1b2c3" + "2pmq4x" + "x" * 16
LANGUAGES = ("uk", "en")
# The alert's own line before its link, the one line that may invite acknowledging.
OWN_ACK_LINE = {
    "uk": "Підтвердіть отримання (посилання діє 7 днів):",
    "en": "Acknowledge this alert (the link works for 7 days):",
}
# Whatever breaks a line, or hides, or paints: each between the reporter's words.
SEPARATORS = [
    "\u2028",
    "\u2029",
    "\u0085",
    "\x0b",
    "\x0c",
    "\x1c",
    "\r",
    "\r\n",
    "\n",
    "\x00",
    "\x1b[31m",
    "\u200b",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u202e",
    "\u2066",
    "\ufeff",
]
PLAIN = "see https://evil.example/x and www.evil.example, or write to help@evil.example"


def forged(separator: str) -> str:
    return (
        f"Taken to Crimea.{separator}Acknowledge: https://evil.example/ack/X"
        f"{separator}Підтвердити отримання:{separator}www.evil.example/ack/X{separator}{PLAIN}"
    )


def stored(report_changes: dict[str, dict]) -> Case:
    """The contract's example with fields changed without validation."""
    case = case_for()
    report = case.report.model_copy(
        update={
            section: getattr(case.report, section).model_copy(update=values)
            for section, values in report_changes.items()
        }
    )
    return Case(case.reference, case.received_at, report)


def everywhere(value: str, model: BaseModel) -> BaseModel:
    """The model with every string in it, at any depth, replaced by `value`: all but the
    category and oblast, which the alert looks up in Homeward's own labels."""

    def replaced(item):
        if isinstance(item, BaseModel):
            return everywhere(value, item)
        if isinstance(item, str):
            return value
        if isinstance(item, list):
            return [replaced(i) for i in item]
        return item

    return model.model_copy(
        update={
            name: replaced(getattr(model, name))
            for name in type(model).model_fields
            if name not in ("category", "oblast")
        }
    )


def invisible(text: str) -> set[str]:
    """Characters of the categories an alert must not carry ("\\n" is the line break)."""
    return {c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")}


def assert_inert(email, language: str) -> None:
    text, shown = email.text, html.unescape(email.html)
    for part in (email.subject, text, email.html):
        assert invisible(part) == set()
        assert "evil.example" not in part
    for address in ("https://evil.example", "www.evil.example", "help@evil.example"):
        assert address not in shown and address not in text
    # Outside the quoted lines, the only invitation to acknowledge is the alert's own,
    # and its link is Homeward's.
    inviting = [
        line
        for line in text.split("\n")
        if not line.startswith(QUOTE_MARK.rstrip())
        and line.lstrip().startswith(("Acknowledge", "Підтверд"))
    ]
    assert inviting == [OWN_ACK_LINE[language]]
    assert f"{OWN_ACK_LINE[language]}\n{ACK}\n" in text
    assert text.count("http") == 1
    # In the HTML, every link is the acknowledgement link: nothing typed became an href.
    assert set(re.findall(r"href\s*=\s*[\"']?([^\"'\s>]*)", email.html, re.IGNORECASE)) == {ACK}
    assert email.html.count("<a ") == email.html.count(f'<a href="{ACK}"') == 2


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("separator", SEPARATORS, ids=lambda s: f"U+{ord(s[0]):04X}")
def test_forged_circumstances_stay_quoted_and_inert(language, separator):
    case = stored({"event": {"circumstances": forged(separator)}})
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
    )
    assert_inert(email, language)
    label = {"uk": "Обставини:", "en": "Circumstances:"}[language]
    # The reporter's words are all there, each line of them quoted.
    block = email.text.split(f"\n{label}\n", 1)[1].split("\n")
    assert block[0].startswith(f"{QUOTE_MARK}Taken to Crimea")
    quoted = "\n".join(line for line in block if line.startswith(QUOTE_MARK))
    for words in ("Acknowledge: hxxps://evil[.]example/ack/X", "www[.]evil[.]example/ack/X"):
        assert words in quoted
    assert "hxxps://evil[.]example/x and www[.]evil[.]example" in quoted
    assert "help[@]evil[.]example" in quoted


@pytest.mark.parametrize("language", LANGUAGES)
def test_plain_addresses_in_circumstances_are_defanged(language):
    case = stored({"event": {"circumstances": PLAIN}})
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
    )
    assert_inert(email, language)
    expected = (
        "see hxxps://evil[.]example/x and www[.]evil[.]example, or write to help[@]evil[.]example"
    )
    assert f"\n{QUOTE_MARK}{expected}\n" in email.text
    assert expected in html.unescape(email.html)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("separator", ["\u2028", "\x0b", "\x00", "\u200b", "\n"])
def test_every_string_of_the_report_is_neutralised(language, separator):
    # Names, places, the relationship: whatever a template prints from the report.
    case = case_for()
    case = Case(case.reference, case.received_at, everywhere(forged(separator), case.report))
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
    )
    assert_inert(email, language)
    assert "Taken to Crimea" in email.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_free_text_is_a_quoted_block_in_both_parts(language):
    case = stored(
        {"event": {"circumstances": "Taken at night.\r\n\r\nBy soldiers."}},
    )
    email = render_email(
        Alert.for_new_case(case), case, language, ACK, disclosure=Disclosure.DETAILS
    )
    label = {"uk": "Обставини:", "en": "Circumstances:"}[language]
    assert (
        f"\n{label}\n{QUOTE_MARK}Taken at night.\n{QUOTE_MARK.rstrip()}\n{QUOTE_MARK}By soldiers.\n"
        in email.text
    )
    medical = {"uk": "Медичні потреби:", "en": "Medical needs:"}[language]
    assert f"\n{medical}\n{QUOTE_MARK}asthma, needs an inhaler\n" in email.text
    # A name stays on its label's line.
    child = {"uk": "Дитина:", "en": "Child:"}[language]
    assert f"\n{child} Ковальчук Олександр Андрійович\n" in email.text
    # In HTML: a box ruled on the left, the lines kept apart.
    box = re.search(r'<td style="[^"]*border-left:3px solid[^"]*">(.*?)</td>', email.html)
    assert box.group(1) == "Taken at night.<br><br>By soldiers."
    assert not any(line.endswith(" ") for line in email.text.split("\n"))


def test_homewards_own_values_are_not_defanged():
    case = stored({"event": {"circumstances": "see http://127.0.0.1:8000/ack/forged"}})
    email = render_email(Alert.for_new_case(case), case, "en", ACK, disclosure=Disclosure.DETAILS)
    assert f"\n{ACK}\n" in email.text
    assert email.html.count(f'<a href="{ACK}"') == 2 and f">{ACK}</a>" in email.html
    assert "hxxp://127[.]0[.]0[.]1:8000/ack/forged" in email.text
    assert "HW-7K3M-Q9TX" in email.subject and "HW-7K3M-Q9TX" in email.text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("https://evil.example/path?q=a.b", "hxxps://evil[.]example/path?q=a.b"),
        ("HTTP://Evil.Example", "hxxp://Evil[.]Example"),
        ("ftp://files.evil.example/x", "fxp://files[.]evil[.]example/x"),
        ("file:///etc/passwd", "file[:]///etc/passwd"),
        ("made-up://evil.example", "made-up[:]//evil[.]example"),
        ("mailto:help@evil.example", "mailto[:]help[@]evil[.]example"),
        ("javascript:alert(1)", "javascript[:]alert(1)"),
        ("http://localhost:8000/ack", "hxxp://localhost:8000/ack"),
        ("//evil.example/x", "//evil[.]example/x"),
        ("www.evil.example", "www[.]evil[.]example"),
        ("evil.example.", "evil[.]example."),
        ("first.last+tag@mail.evil.example", "first[.]last+tag[@]mail[.]evil[.]example"),
        ("192.0.2.1/ack", "192[.]0[.]2[.]1/ack"),
        ("президент.рф", "президент[.]рф"),
        ("evil.xn--p1ai", "evil[.]xn--p1ai"),
        ("evil\u3002example", "evil[.]example"),
        ("photo.jpg", "photo[.]jpg"),
        ("x" * 70 + ".example", "x" * 70 + "[.]example"),
        # Not addresses: left as typed.
        ("school No. 2, No.2", "school No. 2, No.2"),
        ("born 14.03.2012, 1.5 km, v2.0", "born 14.03.2012, 1.5 km, v2.0"),
        ("e.g. р.н.", "e.g. р.н."),
        ("data: none", "data: none"),
        ("@username on Telegram", "@username on Telegram"),
    ],
)
def test_the_defanging_convention(typed, shown):
    assert defanged(typed) == shown


def test_defanging_takes_linear_time_on_hostile_text():
    """Not a speed target: a guard against a pattern that backtracks. 40,000 hostile
    characters take a few milliseconds when the patterns are linear and minutes when one
    is quadratic; two seconds is far from both, so a loaded machine cannot fail it (a
    50 ms limit on 5,000 characters did)."""
    import time

    for unit in ("a.", "1.", "a-", "a" * 63 + ".", "a"):
        text = ("//" if unit == "a" else "") + unit * (40_000 // len(unit))
        started = time.perf_counter()
        defanged(text)
        assert time.perf_counter() - started < 2.0, unit[:4]
