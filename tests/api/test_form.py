"""The public report form through the app (Chalice's test client), against moto."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import boto3
import pytest
from formdata import FORM, form_fields, form_key, post_form
from helpers import EXAMPLE_REPORT, post_report

from chalicelib.adapters.dynamo.items import from_item
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.report import Report
from chalicelib.web import pages

ROOT = Path(__file__).resolve().parents[2]


def cases(outputs) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=outputs["TableName"])["Items"]
    return [i for i in (from_item(item) for item in items) if i.get("kind") == "case"]


def text(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def reference_of(page: str) -> str:
    return re.search(r'id="reference">(HW-[0-9A-Z]{4}-[0-9A-Z]{4})<', page).group(1)


def token_of(page: str) -> str:
    return re.search(r'id="status-token">([^<]+)<', page).group(1)


def field_value(page: str, field_id: str) -> str:
    match = re.search(rf'<input id="{field_id}"[^>]* value="([^"]*)"', page)
    return html.unescape(match.group(1))


# -- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "title"),
    [
        ("", "uk", "Повідомити про вивезену, викрадену чи зниклу дитину"),
        ("?lang=uk", "uk", "Повідомити про вивезену, викрадену чи зниклу дитину"),
        ("?lang=en", "en", "Report a child taken away or missing"),
        ("?lang=ru", "ru", "Сообщить о вывезенном, похищенном или пропавшем ребёнке"),
        ("?lang=xx", "uk", "Повідомити про вивезену, викрадену чи зниклу дитину"),
        ("?lang=", "uk", "Повідомити про вивезену, викрадену чи зниклу дитину"),
    ],
)
def test_the_form_renders_in_each_language(client, query, lang, title):
    response = client.http.get(f"/{query}")
    assert response.status_code == 200
    page = text(response)
    assert f'<html lang="{lang}"' in page
    assert f"<h1>{title}</h1>" in page
    assert response.headers["Content-Language"] == lang
    # Every part of the contract's report has its field.
    for name in (
        "child.family_name",
        "child.date_of_birth.day",
        "child.date_of_birth.month",
        "child.date_of_birth.year",
        "residence.oblast",
        "event.category",
        "last_known_location.country",
        "reporter.may_contact",
        "consent.share_with_authorities",
        "urgent",
    ):
        assert f'name="{name}"' in page
    # A visible switch to the two other languages, sending the answers along.
    for other in {"uk", "en", "ru"} - {lang}:
        assert f'form="report" name="switch_lang" value="{other}"' in page


def test_the_page_is_locked_down(client, aws):
    response = client.http.get("/")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    # The one other origin: the bucket the browser posts files to.
    connect = re.search(r"connect-src ([^;]+)", csp).group(1).split()
    assert connect == ["'self'", f"https://{aws['UploadsBucketName']}.s3.amazonaws.com"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers
    page = text(response)
    # No inline script or style, nothing from another origin.
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "style=" not in page and "<style" not in page
    # The one link to another site: "Exit this page", to a neutral one.
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', page)
    assert external == [pages.EXIT_URL]


def test_static_files_have_types_and_are_cached_by_version(client):
    page = text(client.http.get("/"))
    # Relative to the page (tests/api/test_public_address.py: under a stage path too).
    css_url = "/" + re.search(r'href="\./(static/form\.css\?v=[0-9a-f]+)"', page).group(1)
    js_url = "/" + re.search(r'src="\./(static/form\.js\?v=[0-9a-f]+)"', page).group(1)
    css = client.http.get(css_url)
    assert css.status_code == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in css.headers["Cache-Control"]
    js = client.http.get(js_url)
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    unversioned = client.http.get("/static/form.js")
    assert "immutable" not in unversioned.headers["Cache-Control"]
    again = client.http.get(js_url, headers={"If-None-Match": js.headers["ETag"]})
    assert again.status_code == 304
    for missing in ("/static/app.py", "/static/..%2Fform.py", "/static/nothing.css"):
        assert client.http.get(missing).status_code == 404


# -- submitting -------------------------------------------------------------------------


def test_a_form_post_is_stored_like_the_json_report(client, aws):
    response = post_form(client, form_fields())
    assert response.status_code == 201
    page = text(response)
    reference = reference_of(page)
    stored = cases(aws)
    assert [c["reference"] for c in stored] == [reference]
    # The form and the JSON API produce the very same report.
    from chalicelib import wiring

    expected = Report.model_validate(EXAMPLE_REPORT)
    assert wiring.stores().cases.get(reference).report == expected
    assert "attachments" not in stored[0]
    # The receipt is in the page's language and says what to do next.
    assert "Ваше повідомлення отримано" in page
    assert "історії браузера" in page


def test_nothing_typed_is_offered_again_by_the_browser(client, aws):
    page = text(client.http.get("/"))
    assert re.search(r'<form [^>]*id="report"[^>]*autocomplete="off"', page)
    # Not the reporter's own fields either: no name, e-mail or phone for the browser to keep.
    assert set(re.findall(r'autocomplete="([^"]*)"', page)) == {"off"}
    receipt = post_form(client, form_fields())
    assert receipt.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("uk", "Як прибрати цей сайт із телефона"),
        ("ru", "Как убрать этот сайт из телефона"),
        ("en", "How to remove this site from your phone"),
    ],
)
def test_how_to_clear_this_from_your_phone_in_each_language(client, lang, title):
    response = client.http.get(f"/safety?lang={lang}")
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in text(response)
    # Every public page links to it, and has the way out.
    for path in ("/", "/status", "/status/withdraw", "/safety"):
        page = text(client.http.get(f"{path}?lang={lang}"))
        assert f'href="./safety?lang={lang}"' in page or f'href="../safety?lang={lang}"' in page
        assert 'id="exit-this-page" rel="noreferrer"' in page
        assert f'href="{pages.EXIT_URL}"' in page


def shown_mark(page: str) -> str:
    """The receipt's mark, as the browser fetches it on showing the receipt."""
    found = re.search(r'<img src="\./(report/shown\?key=[^"]+)"', page)
    assert found, "the receipt has no mark"
    return "/" + html.unescape(found.group(1))


def test_a_second_post_of_the_same_form_is_the_same_case(client, aws):
    first = post_form(client, form_fields())
    # The browser showed the first receipt, with its code (and fetched its mark).
    assert client.http.get(shown_mark(text(first))).status_code == 204
    again = post_form(client, form_fields())
    assert first.status_code == 201
    assert again.status_code == 200
    assert reference_of(text(first)) == reference_of(text(again))
    assert len(cases(aws)) == 1
    # The status code was shown once: a reload or a resent form shows the reference only.
    assert token_of(text(first)) not in text(again)
    assert 'id="status-token"' not in text(again)
    assert 'name="token"' not in text(again)
    assert 'id="code-shown-once"' in text(again)


def test_a_double_tap_without_javascript_still_shows_the_code(client, aws):
    fields = form_fields(submission_key=form_key("double-tap-form-01"))
    # The browser drops the first answer for the second: its receipt is never shown.
    first = post_form(client, fields)
    second = post_form(client, fields)
    assert (first.status_code, second.status_code) == (201, 200)
    assert len(cases(aws)) == 1
    assert reference_of(text(second)) == reference_of(text(first))
    assert token_of(text(second)) == token_of(text(first))
    # Once a receipt with the code was shown, a resent form shows the reference only.
    client.http.get(shown_mark(text(second)))
    assert 'id="status-token"' not in text(post_form(client, fields))


def test_a_receipt_never_shown_keeps_its_code_off_a_resend_later(client, aws, time_machine):
    import datetime as dt

    start = dt.datetime.now(dt.UTC)
    time_machine.move_to(start, tick=False)
    fields = form_fields(submission_key=form_key("late-resend-form-1"))
    assert post_form(client, fields).status_code == 201
    time_machine.move_to(start + dt.timedelta(minutes=11), tick=False)
    later = post_form(client, fields)
    assert later.status_code == 200 and 'id="status-token"' not in text(later)


def test_other_answers_under_a_used_key_are_refused(client, aws):
    post_form(client, form_fields())
    response = post_form(client, form_fields(**{"child.given_name": "Іван"}))
    assert response.status_code == 409
    assert "Це повідомлення вже надіслано" in text(response)
    assert len(cases(aws)) == 1


PHONE_ERROR_UK = (
    "Перевірте номер телефону: наприклад, 050 123 45 67 або +48 512 345 678, якщо номер "
    "закордонний."
)


def test_an_invalid_phone_comes_back_in_ukrainian_with_everything_kept(client, aws):
    fields = form_fields(**{"reporter.phone": "050 123"})
    response = post_form(client, fields)
    assert response.status_code == 422
    page = text(response)
    error = re.search(r'<p class="error" id="reporter-phone-error">([^<]+)</p>', page).group(1)
    assert html.unescape(error) == PHONE_ERROR_UK
    assert 'aria-invalid="true"' in page
    # Every value is still there, and nothing was stored.
    assert field_value(page, "reporter-phone") == "050 123"
    assert field_value(page, "child-family_name") == "Ковальчук"
    assert field_value(page, "reporter-email") == "iryna@example.org"
    assert field_value(page, "child-date_of_birth-day") == "14"
    assert '<option value="3" selected>Березень</option>' in page
    assert field_value(page, "child-date_of_birth-year") == "2012"
    # The date read back in words, to be checked.
    words = re.search(r'<p class="words" id="child-date_of_birth-words"[^>]*>([^<]*)<', page)
    assert words.group(1) == "14 березня 2012\u202fр."
    assert '<option value="UA-65" selected>' in page
    assert 'value="deported" checked' in page
    assert 'value="male" checked' in page
    assert re.search(r'name="consent.tracing" value="yes" checked', page)
    assert "scar above the left eyebrow</textarea>" in page
    # The same submission key, so the corrected form is still one report.
    assert f'name="submission_key" value="{form_key()}"' in page
    assert cases(aws) == []


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Check the phone number: for example 050 123 45 67, or +48 512 345 678"),
        ("ru", "Проверьте номер телефона: например, 050 123 45 67 или +48 512 345 678"),
    ],
)
def test_errors_come_in_the_page_language(client, lang, message):
    response = post_form(client, form_fields(lang=lang, **{"reporter.phone": "12"}), lang=lang)
    assert response.status_code == 422
    assert message in html.unescape(text(response))


@pytest.mark.parametrize(
    ("change", "field_id"),
    [
        ({"child.family_name": ""}, "child-family_name"),
        ({"child.sex": ""}, "child-sex"),
        (
            {
                "child.date_of_birth.day": "",
                "child.date_of_birth.month": "",
                "child.date_of_birth.year": "",
            },
            "child-date_of_birth",
        ),
        ({"child.date_of_birth.year": "20x2"}, "child-date_of_birth"),
        (
            {"child.date_of_birth.day": "31", "child.date_of_birth.month": "2"},
            "child-date_of_birth",
        ),
        ({"residence.oblast": "UA-00"}, "residence-oblast"),
        ({"event.date.year": "2099"}, "event-date"),
        ({"event.date.day": ""}, "event-date"),
        ({"last_known_location.country": "XX"}, "last_known_location-country"),
        ({"reporter.email": "", "reporter.phone": ""}, "reporter-email"),
        ({"reporter.email": "not-an-address"}, "reporter-email"),
        ({"child.given_name": "я" * 101}, "child-given_name"),
    ],
)
def test_each_error_is_shown_next_to_its_field(client, change, field_id):
    response = post_form(client, form_fields(**change))
    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'<p class="error" id="{field_id}-error">[^<]+</p>', page), field_id
    # The summary links to the box to fix: a date's first box.
    target = field_id + "-day" if field_id.endswith("date") or "date_of" in field_id else field_id
    assert f'<a href="#{target}">' in page


LOCATION = ("country", "region", "settlement", "institution")


@pytest.mark.parametrize(
    "given", [("region",), ("settlement",), ("institution",), ("region", "institution"), ()]
)
def test_any_part_of_the_last_known_location_may_be_left_empty(client, aws, given):
    """ "Leave this part empty if you do not know" holds for each field of it: a region told
    by a neighbour, without the country, is accepted and kept."""
    from chalicelib import wiring

    typed = {"region": "Краснодарський край", "settlement": "Анапа", "institution": "Табір"}
    fields = form_fields(
        **{f"last_known_location.{p}": typed[p] if p in given else "" for p in LOCATION}
    )
    response = post_form(client, fields)
    assert response.status_code == 201, summary_of(text(response))
    where = wiring.stores().cases.get(reference_of(text(response))).report.last_known_location
    if not given:
        assert where is None
    else:
        assert where.country is None
        assert {p: getattr(where, p) for p in given} == {p: typed[p] for p in given}


def test_switching_language_keeps_every_answer_and_sends_nothing(client, aws):
    fields = form_fields(switch_lang="en")
    response = post_form(client, fields)
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="en"' in page
    assert field_value(page, "child-family_name") == "Ковальчук"
    assert field_value(page, "reporter-phone") == fields["reporter.phone"]
    assert 'value="deported" checked' in page
    assert re.search(r'name="consent.tracing" value="yes" checked', page)
    assert f'name="submission_key" value="{form_key()}"' in page
    # The language to use with the reporter follows the page's.
    assert '<option value="en" selected>English</option>' in page
    assert 'id="error-summary" aria-labelledby="error-summary-title" hidden' in page
    assert cases(aws) == []
    # A language the reporter chose themselves stays theirs.
    chosen = post_form(client, {**fields, "reporter.preferred_language": "ru"})
    assert '<option value="ru" selected>Русский</option>' in text(chosen)


@pytest.mark.parametrize(
    ("accept", "lang"),
    [("ru-RU,ru;q=0.9", "ru"), ("en-GB,en;q=0.8", "en"), ("de-DE,ru;q=0.5", "ru"), ("de", "uk")],
)
def test_the_browser_language_picks_the_page_language(client, accept, lang):
    for path in ("/", "/status", "/safety"):
        page = text(client.http.get(path, headers={"Accept-Language": accept}))
        assert f'<html lang="{lang}"' in page, path
    # ?lang= is the reporter's own choice and wins.
    page = text(client.http.get("/?lang=uk", headers={"Accept-Language": accept}))
    assert '<html lang="uk"' in page


def test_consent_unanswered_is_asked_for_and_no_is_an_answer(client, aws):
    consent = ("tracing", "share_with_coalition", "share_with_authorities")
    unanswered = form_fields()
    for part in consent:
        del unanswered[f"consent.{part}"]
    response = post_form(client, unanswered)
    assert response.status_code == 422
    assert [target for target, _ in summary_of(text(response))] == [
        f"consent-{part}" for part in consent
    ]
    assert cases(aws) == []
    # No to everything is an answer: the report is received all the same.
    refused = post_form(client, {**unanswered, **{f"consent.{part}": "no" for part in consent}})
    assert refused.status_code == 201
    from chalicelib import wiring

    stored = wiring.stores().cases.get(reference_of(text(refused))).report.consent
    # The evidence consent, asked apart and left unanswered, is No too.
    assert stored.model_dump() == dict.fromkeys((*consent, "evidence"), False)


def summary_of(page: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="summary".*?</ul>', page, re.DOTALL).group(0)
    return [
        (target, html.unescape(words))
        for target, words in re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', block)
    ]


def test_every_error_comes_at_once_in_a_summary_first_on_the_page(client, aws):
    """A missing sex, a missing birth date, a missing category and no way to be contacted:
    all four in one answer, in the order of the page, before anything else in it."""
    fields = form_fields(
        **{
            "child.sex": "",
            "child.date_of_birth.day": "",
            "child.date_of_birth.month": "",
            "child.date_of_birth.year": "",
            "event.category": "",
            "reporter.email": "",
            "reporter.phone": "",
        }
    )
    response = post_form(client, fields)
    assert response.status_code == 422
    page = text(response)
    assert summary_of(page) == [
        # Each asks for itself, in the words form.js uses too.
        ("child-sex", "Стать: Оберіть стать дитини."),
        (
            "child-date_of_birth-day",
            "Дата народження: Вкажіть дату народження або хоча б рік народження.",
        ),
        ("event-category", "Що сталося з дитиною? Оберіть, що сталося з дитиною."),
        (
            "reporter-email",
            "Електронна пошта: Вкажіть електронну пошту або номер телефону, або оберіть, що з "
            "вами не треба зв'язуватися.",
        ),
    ]
    main = page[page.index('<main id="main"') :]
    assert main.index('id="error-summary"') < main.index("<h1>")
    assert "<title>Помилка: " in page
    assert cases(aws) == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ({"day": "12", "month": "3", "year": "2016"}, "2016-03-12"),
        ({"day": "05", "month": "3", "year": "2016"}, "2016-03-05"),
        ({"day": "12.03.2016", "month": "", "year": ""}, "2016-03-12"),
        ({"day": "12/03/2016", "month": "", "year": ""}, "2016-03-12"),
        ({"day": "12-3-2016", "month": "", "year": ""}, "2016-03-12"),
        ({"day": "2016-03-12", "month": "", "year": ""}, "2016-03-12"),
    ],
)
def test_a_date_typed_the_usual_ways_is_the_date_meant(client, aws, typed, stored):
    from chalicelib import wiring

    fields = form_fields(**{f"child.date_of_birth.{part}": v for part, v in typed.items()})
    response = post_form(client, fields)
    assert response.status_code == 201
    reference = reference_of(text(response))
    report = wiring.stores().cases.get(reference).report
    assert report.child.date_of_birth.isoformat() == stored
    assert report.child.birth_year is None
    # The receipt reads the birth back in words.
    day = int(stored[-2:])
    assert f"Дата народження, яку ви вказали: {day} березня 2016\u202fр." in text(response)


def test_a_year_alone_is_the_year_of_birth(client, aws):
    from chalicelib import wiring

    fields = form_fields(**{"child.date_of_birth.day": "", "child.date_of_birth.month": ""})
    reference = reference_of(text(post_form(client, fields)))
    child = wiring.stores().cases.get(reference).report.child
    assert (child.date_of_birth, child.birth_year) == (None, 2012)


@pytest.mark.parametrize(
    "typed", ["0501234567", "050 123 45 67", "(050) 123-45-67", "380501234567", "+380 50 123 45 67"]
)
def test_a_phone_written_the_local_way_is_stored_in_e164(client, aws, typed):
    from chalicelib import wiring

    reference = reference_of(text(post_form(client, form_fields(**{"reporter.phone": typed}))))
    assert wiring.stores().cases.get(reference).report.reporter.phone == "+380501234567"


def test_a_phone_of_the_chosen_country_is_read_as_such(client, aws):
    from chalicelib import wiring

    fields = form_fields(**{"reporter.phone": "512 345 678", "reporter.phone_country": "PL"})
    reference = reference_of(text(post_form(client, fields)))
    assert wiring.stores().cases.get(reference).report.reporter.phone == "+48512345678"


def test_an_urgent_report_names_whom_to_call_first(client, aws, monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("HOMEWARD_HELP_LINE", (ROOT / "infra/demo/help-line.json").read_text())
    wiring.reset()
    page = text(post_form(client, form_fields(urgent="yes")))
    call = page.index('id="urgent-call"')
    assert call < page.index('id="reference"')
    assert '<a href="tel:+380441234567" class="phone">+380 44 123 4567</a>' in page[call:]
    # A report that is not urgent names the line further down, not first.
    calm = text(post_form(client, form_fields(submission_key=form_key("calm-report-0001"))))
    assert 'id="urgent-call"' not in calm
    assert calm.index('id="help-line"') > calm.index('id="reference"')


def test_whom_to_call_comes_before_the_first_question(client, aws, monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("HOMEWARD_HELP_LINE", (ROOT / "infra/demo/help-line.json").read_text())
    wiring.reset()
    page = text(client.http.get("/"))
    first_question = page.index('id="urgent"')
    for number in ("tel:112", "tel:102", "tel:+380441234567"):
        assert page.index(f'href="{number}"') < first_question, number
    receipt = text(post_form(client, form_fields()))
    assert 'href="tel:112"' in receipt and 'href="tel:102"' in receipt


def assert_every_answer_is_kept(page: str, fields: dict[str, str]) -> None:
    from chalicelib.web.form_fields import FIELDS

    for name, typed in fields.items():
        spec = FIELDS.get(name)
        if name.rsplit(".", 1)[-1] in ("day", "year"):
            assert field_value(page, name.replace(".", "-")) == typed, name
            continue
        if name.endswith(".month"):
            select = re.search(rf'<select id="{name.replace(".", "-")}".*?</select>', page, re.S)
            assert f'<option value="{typed}" selected>' in select.group(0), name
            continue
        if spec is None:  # the language, the submission key, the honeypot
            continue
        if spec.kind == "textarea":
            shown = re.search(rf'<textarea id="{spec.id}"[^>]*>([^<]*)</textarea>', page).group(1)
            assert html.unescape(shown) == typed, name
        elif spec.kind in ("radio", "yesno", "checkbox"):
            assert re.search(rf'name="{re.escape(name)}" value="{typed}" checked', page), name
        elif spec.kind in ("oblast", "country", "select", "phone_country"):
            select = re.search(rf'<select id="{spec.id}".*?</select>', page, re.DOTALL).group(0)
            assert f'<option value="{typed}" selected>' in select, name
        else:
            assert field_value(page, spec.id) == typed, name


@pytest.mark.parametrize("year", ["²", "٢٠١٢", "12ab"])
def test_a_year_in_other_digits_is_an_error_on_the_field_with_every_answer_kept(client, aws, year):
    # "²".isdigit() holds and int("²") raises: this was a 500 that lost every answer.
    fields = form_fields(**{"child.date_of_birth.year": year})
    response = post_form(client, fields)
    assert response.status_code == 422
    page = text(response)
    error = re.search(r'<p class="error" id="child-date_of_birth-error">([^<]+)</p>', page).group(1)
    assert html.unescape(error) == "Вкажіть рік чотирма цифрами, наприклад 2012."
    assert '<a href="#child-date_of_birth-day">' in page
    assert_every_answer_is_kept(page, fields)
    assert cases(aws) == []


def submission_key_of(page: str) -> str:
    return re.search(r'name="submission_key" value="([^"]*)"', page).group(1)


def test_a_missing_or_malformed_submission_key_asks_to_send_again(client, aws):
    response = post_form(client, form_fields(submission_key="bad key"))
    assert response.status_code == 400
    page = text(response)
    assert field_value(page, "child-family_name") == "Ковальчук"
    assert re.search(r'name="submission_key" value="[A-Za-z0-9_-]{44}"', page)
    assert cases(aws) == []


def test_the_form_page_issues_a_key_the_server_can_check(client, aws):
    import datetime as dt

    from chalicelib import wiring
    from chalicelib.domain import form_keys

    first = submission_key_of(text(client.http.get("/")))
    second = submission_key_of(text(client.http.get("/")))
    assert first != second
    signing_key = wiring.settings().keyring(Purpose.FORM_KEYS)
    now = dt.datetime.now(dt.UTC)
    assert form_keys.check(signing_key, first, now) is form_keys.KeyState.VALID
    assert form_keys.check(signing_key, first, now + dt.timedelta(hours=25)) == "expired"
    assert post_form(client, form_fields(submission_key=first)).status_code == 201


@pytest.mark.parametrize(
    "key",
    [
        # the right shape, a key that passed before the form keys were signed
        "form-key-00000001",
        # a real key with its last character changed
        form_key("forged")[:-1] + ("A" if form_key("forged")[-1] != "A" else "B"),
        # a real key of another deployment
        form_key("elsewhere", signing_key=b"another-deployment"),
    ],
    # Fixed ids: the keys hold the time, and two test workers collecting a second apart
    # would otherwise see different tests (pytest-xdist refuses to run then).
    ids=["unsigned", "forged", "another-deployment"],
)
def test_a_key_the_server_did_not_issue_files_nothing(client, aws, key):
    response = post_form(client, form_fields(submission_key=key))
    assert response.status_code == 400
    page = text(response)
    assert "Час на заповнення форми минув" in page
    assert field_value(page, "child-family_name") == "Ковальчук"
    assert submission_key_of(page) != key
    assert cases(aws) == []


def test_an_expired_key_brings_the_form_back_with_a_fresh_one(client, aws):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)):
        response = post_form(client, form_fields())
    assert response.status_code == 400
    page = text(response)
    assert field_value(page, "reporter-email") == "iryna@example.org"
    assert submission_key_of(page) != form_key()
    assert cases(aws) == []
    # The fresh key files the very same answers.
    resent = post_form(client, form_fields(submission_key=submission_key_of(page)))
    assert resent.status_code == 201


def test_an_expired_key_still_brings_back_its_receipt(client, aws):
    import datetime as dt

    import time_machine

    first = text(post_form(client, form_fields()))
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)):
        again = post_form(client, form_fields())
        other = post_form(client, form_fields(**{"child.given_name": "Іван"}))
    assert again.status_code == 200
    assert reference_of(text(again)) == reference_of(first)
    assert other.status_code == 409
    assert len(cases(aws)) == 1


# -- posts from other sites --------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://evil.example", "Host": "evil.example.homeward.example"},
        {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cross_site_post_is_refused_and_stores_nothing(client, aws, headers):
    response = post_form(client, form_fields(lang="en"), lang="en", headers=headers)
    assert response.status_code == 403
    page = text(response)
    assert "Homeward&#39;s own site" in page or "Homeward's own site" in page
    assert '<html lang="en"' in page
    assert cases(aws) == []
    ukrainian = post_form(client, form_fields(), headers=headers)
    assert "з іншого сайту" in text(ukrainian)
    assert cases(aws) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},  # an older browser, or a no-JavaScript post that carries no Origin
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # our pages ask for no referrer
        {"Origin": "http://127.0.0.1:8000"},  # the configured public URL
        {"Origin": "https://homeward.example", "Host": "homeward.example"},  # its own host
        {
            "Origin": "https://x.execute-api.eu-central-1.amazonaws.com",
            "Sec-Fetch-Site": "same-origin",
            "Host": "x.execute-api.eu-central-1.amazonaws.com",
        },
    ],
)
def test_a_post_from_homewards_own_page_or_without_origin_is_accepted(client, aws, headers):
    assert post_form(client, form_fields(), headers=headers).status_code == 201
    assert len(cases(aws)) == 1


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(client, aws, pump):
    response = post_form(client, form_fields(website="http://spam.example"))
    assert response.status_code == 201
    assert reference_of(text(response))
    assert cases(aws) == []


def test_too_many_reports_from_one_source_is_429(client, aws, monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("HOMEWARD_RATE_LIMIT", "2")
    wiring.reset()
    codes = [
        post_form(client, form_fields(submission_key=form_key(f"rate-key-{i}"))).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    response = post_form(client, form_fields(submission_key=form_key("rate-key-9")))
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert "Забагато повідомлень" in text(response)
    # The JSON API shares the limit: same source, same counter.
    assert post_report(client, EXAMPLE_REPORT).status_code == 429
    assert len(cases(aws)) == 2


def test_an_oversize_form_is_413(client, aws):
    fields = form_fields(**{"event.circumstances": "я" * 40_000})
    response = post_form(client, fields)
    assert response.status_code == 413
    assert "Повідомлення задовге" in text(response)
    assert cases(aws) == []


def test_a_full_length_cyrillic_report_fits(client, aws):
    # Percent-encoding triples Cyrillic: three 5000-character texts still go through.
    long = {
        name: "я" * 5000
        for name in ("event.circumstances", "child.distinguishing_marks", "child.medical_needs")
    }
    assert post_form(client, form_fields(**long)).status_code == 201


def test_only_form_posts_are_read(client, aws):
    response = client.http.post(
        "/report", headers={"Content-Type": "application/json"}, body=json.dumps(EXAMPLE_REPORT)
    )
    assert response.status_code == 415
    assert cases(aws) == []


def test_the_json_api_still_refuses_form_posts(client, aws):
    response = client.http.post(
        "/api/v1/reports", headers={"Content-Type": FORM}, body="child.family_name=x"
    )
    assert response.status_code == 415


# -- the status page --------------------------------------------------------------------


def status_page(client, reference: str, token: str, lang: str = "uk") -> str:
    from urllib.parse import urlencode

    response = client.http.post(
        "/status",
        headers={"Content-Type": FORM},
        body=urlencode({"reference": reference, "token": token, "lang": lang}),
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return text(response)


def outcome(page: str) -> str:
    return re.search(r'<div class="notice outcome"[^>]*>\s*<h2>([^<]+)</h2>', page).group(1)


def test_the_status_page_shows_only_a_coarse_stage(client, aws):
    receipt = text(post_form(client, form_fields()))
    reference, token = reference_of(receipt), token_of(receipt)
    page = status_page(client, reference, token)
    assert outcome(page) == "Отримано"
    assert outcome(status_page(client, reference.lower(), token, "en")) == "Received"
    # Nothing of the report, not even the reference, is on the page.
    for personal in ("Ковальчук", "Олександр", "iryna", "+380", "Олешки", reference, token):
        assert personal not in page


def test_a_case_in_work_and_a_closed_case_read_as_such(client, aws):
    receipt = text(post_form(client, form_fields()))
    reference, token = reference_of(receipt), token_of(receipt)
    table = boto3.client("dynamodb")
    for status, expected in (("verified", "На розгляді"), ("returned", "Закрито")):
        table.update_item(
            TableName=aws["TableName"],
            Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": status}},
        )
        assert outcome(status_page(client, reference, token)) == expected


def test_wrong_token_wrong_reference_and_unknown_case_look_the_same(client, aws):
    from chalicelib import wiring
    from chalicelib.domain.case import new_reference, status_token

    receipt = text(post_form(client, form_fields()))
    reference, token = reference_of(receipt), token_of(receipt)
    unknown = new_reference()
    pages = [
        status_page(client, reference, token[:-2] + "AA"),
        status_page(client, unknown, token),
        # A correctly signed token for a case that does not exist.
        status_page(client, unknown, status_token(wiring.settings().signing_key, unknown)),
        status_page(client, "", ""),
        status_page(client, reference, "токен"),
    ]
    assert len(set(pages)) == 1
    assert outcome(pages[0]) == "Не знайдено"


def test_status_lookups_are_limited_per_source(client, aws):
    from chalicelib.services.reporter import STATUS_LOOKUPS

    receipt = text(post_form(client, form_fields()))
    reference, token = reference_of(receipt), token_of(receipt)
    for _ in range(STATUS_LOOKUPS.limit):
        assert outcome(status_page(client, reference, "wrong-code")) == "Не знайдено"
    response = client.http.post(
        "/status",
        headers={"Content-Type": FORM},
        body=f"reference={reference}&token={token}&lang=en",
    )
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    page = text(response)
    assert "Too many checks were made from your connection" in page
    # Even the right code tells nothing while the source is over its limit.
    assert "Received" not in page and reference not in page


def test_a_cross_site_status_lookup_is_refused(client, aws):
    receipt = text(post_form(client, form_fields()))
    response = client.http.post(
        "/status",
        headers={"Content-Type": FORM, "Origin": "https://evil.example"},
        body=f"reference={reference_of(receipt)}&token={token_of(receipt)}&lang=ru",
    )
    assert response.status_code == 403
    assert "с другого сайта" in text(response)
    assert "Получено" not in text(response)


def test_the_status_form_itself(client):
    response = client.http.get("/status?lang=ru")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Статус сообщения</h1>" in page
    assert 'class="notice outcome"' not in page


@pytest.mark.parametrize("lang", ["uk", "en", "ru"])
def test_the_page_and_its_assets_stay_under_100_kb_compressed(client, lang):
    import gzip

    page = client.http.get(f"/?lang={lang}").body
    assets = [client.http.get(f"/static/{name}").body for name in ("form.css", "form.js")]
    compressed = sum(len(gzip.compress(body, 9)) for body in [page, *assets])
    assert compressed < 100 * 1024
