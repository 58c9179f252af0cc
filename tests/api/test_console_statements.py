"""Witness statements on the console's case page: the form says Homeward never asks a
child to testify before anything is typed; a refused statement keeps every word typed;
a kept one is listed in words, never with its account."""

from __future__ import annotations

import html

import pytest
from helpers import Console, post_report


@pytest.fixture
def reference(client, pump, report_body):
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def text(answer) -> str:
    return html.unescape(answer.body.decode())


FIELDS = {
    "st_witness": "neighbour",
    "st_name": "Марія Коваль",
    "st_day": "03.12.2026",
    "st_time": "14:30",
    "st_language": "uk",
    "st_saw": "Бачила автобус біля школи",
    "st_heard": "",
    "st_taker": "hotline_operator",
    "st_how": "by_phone",
    "st_consent": "no",
}


def test_a_statement_is_taken_from_an_adult_and_listed_in_words(client, reference):
    taras = Console(client, "demo-taras-bondar")
    page = text(taras.get(f"/staff/cases/{reference}"))
    warning = page.index("Homeward never asks a child to testify")
    assert warning < page.index('name="st_saw"')
    assert "No witness has given a statement on this case." in page

    refused = taras.post(f"/staff/cases/{reference}/statements", FIELDS)
    assert refused.status_code == 422
    page = text(refused)
    assert 'id="error-st_adult"' in page and "18 or over" in page
    assert "Бачила автобус біля школи" in page  # what was typed is still there

    kept = taras.post(f"/staff/cases/{reference}/statements", {**FIELDS, "st_adult": "yes"})
    assert kept.status_code == 303
    page = text(taras.get(f"/staff/cases/{reference}?done=statement"))
    assert "The statement was kept, sealed." in page
    assert (
        "Statement 1. Given by a neighbour on 3 December 2026, in Ukrainian, "
        "taken by phone by Тарас Бондар." in page
    )
    assert "it is kept, never given to them" in page
    assert "Бачила автобус" not in page and "Марія Коваль" not in page
    ukrainian = text(
        Console(client, "demo-taras-bondar", lang="uk").get(f"/staff/cases/{reference}")
    )
    assert "Homeward ніколи не просить дитину свідчити" in ukrainian
    assert "Від: сусід, 3 грудня 2026" in ukrainian and "записано телефоном" in ukrainian


def test_a_witness_withdraws_the_consent_and_the_statement_says_so(client, reference):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from helpers import assert_words_only

    from chalicelib.web.console import render

    taras = Console(client, "demo-taras-bondar")
    taras.get(f"/staff/cases/{reference}")
    fields = {**FIELDS, "st_adult": "yes", "st_consent": "yes"}
    assert taras.post(f"/staff/cases/{reference}/statements", fields).status_code == 303
    page = text(taras.get(f"/staff/cases/{reference}"))
    assert "The witness agreed to its use by prosecutors." in page
    form = f"/staff/cases/{reference}/statements/{reference}-S1/consent-withdrawal"
    assert f'{form[1:]}#statement-1"' in page

    refused = taras.post(form, {"sw_why": "   "})
    assert refused.status_code == 422
    assert 'id="error-sw_why-1"' in text(refused) and "by phone, in person" in text(refused)

    days = {render.day(dt.datetime.now(ZoneInfo("Europe/Kyiv")).date(), "en")}
    assert taras.post(form, {"sw_why": "Мати зателефонувала"}).status_code == 303
    days.add(render.day(dt.datetime.now(ZoneInfo("Europe/Kyiv")).date(), "en"))
    answer = taras.get(f"/staff/cases/{reference}?done=statement-withdrawn")
    page = text(answer)
    assert "The withdrawal is recorded: the statement left every package" in page
    assert any(
        f"The witness withdrew the consent to its use by prosecutors on {day}." in page
        for day in days
    )
    assert "The witness agreed to its use" not in page and 'name="sw_why"' not in page
    assert "Мати зателефонувала" not in page  # the reason is sealed, not shown about
    assert_words_only(answer.body.decode())

    again = taras.post(form, {"sw_why": "again"})
    assert again.status_code == 409
    assert "The witness withdrew this consent before: it is recorded once." in text(again)


def test_a_withdrawal_after_a_hand_over_names_whom_to_tell():
    import datetime as dt

    from chalicelib.domain.statements import ConsentWithdrawal
    from chalicelib.services.statements import ShownStatement
    from chalicelib.web.console.statement_words import withdrawn

    at = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)  # 7 December in Kyiv
    shown = ShownStatement(None, False, ConsentWithdrawal("HW-1-S1", at, "c-1"), ("ICC OTP",))
    said = withdrawn(shown, "en")
    assert said == (
        "The witness withdrew the consent to its use by prosecutors on 7 December 2026. "
        "It had already been handed over to ICC OTP: it is with them, the withdrawal is "
        "recorded in its chain of custody, and they must be told."
    )
    ukrainian = withdrawn(shown, "uk")
    assert ukrainian.startswith("Свідок відкликав згоду, щоб прокурори використали їх як доказ")
    assert "ICC OTP" in ukrainian and "треба повідомити" in ukrainian
    assert withdrawn(ShownStatement(None, False), "en") is None


def test_a_statement_whose_words_were_erased_at_retention_is_still_listed():
    from types import SimpleNamespace

    from helpers import assert_words_only

    from chalicelib.web.console import render
    from chalicelib.web.console.statement_words import choices

    page = render.render(
        "_statements.html",
        "en",
        statements=[{"number": 1, "erased": True}],
        statement_choices=choices("en"),
        file=SimpleNamespace(reference="HW-2222-2222"),
        errors={},
        typed={},
        notice=None,
        up="",
        csrf="x",
        error=lambda name: "",
        described=lambda name: "",
    )
    assert "Statement 1. The witness's words were erased when the case's retention ran out" in (
        html.unescape(page)
    )
    assert "No witness has given a statement" not in page and 'name="sw_why"' not in page
    assert_words_only(page)
