"""The report form as a family uses it: in Chromium, with and without JavaScript."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from helpers import photo_jpeg

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^HW-[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}$")
PHONE_ERROR_UK = (
    "Перевірте номер телефону: наприклад, 050 123 45 67 або +48 512 345 678, якщо номер "
    "закордонний."
)

TEXT = {
    "#child-family_name": "Ковальчук",
    "#child-given_name": "Олександр",
    "#child-patronymic": "Андрійович",
    "#child-other_names": "Сашко",
    "#child-date_of_birth-day": "14",
    "#child-date_of_birth-year": "2012",
    "#child-distinguishing_marks": "шрам над лівою бровою",
    "#child-medical_needs": "астма, потрібен інгалятор",
    "#residence-settlement": "Олешки",
    "#event-date-day": "20",
    "#event-date-year": "2022",
    "#event-place": "Олешки, школа № 2",
    "#event-circumstances": "Вивезли з класом до «табору відпочинку» в Криму і не повернули.",
    "#last_known_location-region": "Краснодарський край",
    "#reporter-name": "Ковальчук Ірина",
    "#reporter-email": "iryna@example.org",
    "#reporter-phone": "+380501234567",
}
CHOICES = {
    "child.sex": "male",
    "event.category": "deported",
    "reporter.relationship": "parent",
    "reporter.may_contact": "yes",
    "consent.tracing": "yes",
    "consent.share_with_coalition": "yes",
    "consent.share_with_authorities": "yes",
}
SELECTS = {
    "#residence-oblast": "UA-65",
    "#last_known_location-country": "RU",
    "#child-date_of_birth-month": "3",
    "#event-date-month": "10",
}


def fill(page, **overrides: str) -> None:
    for selector, value in {**TEXT, **overrides}.items():
        page.fill(selector, value)
    for name, value in CHOICES.items():
        page.check(f'input[name="{name}"][value="{value}"]')
    for selector, value in SELECTS.items():
        page.select_option(selector, value)


def assert_all_kept(page, **overrides: str) -> None:
    for selector, value in {**TEXT, **overrides}.items():
        assert page.input_value(selector) == value, selector
    for name, value in CHOICES.items():
        assert page.is_checked(f'input[name="{name}"][value="{value}"]'), name
    for selector, value in SELECTS.items():
        assert page.input_value(selector) == value, selector


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def alerts_for(site: str, reference: str, seconds: float = 10) -> set[str]:
    deadline = time.monotonic() + seconds
    channels: set[str] = set()
    while time.monotonic() < deadline:
        messages = get_json(f"{site}/dev/outbox")["messages"]
        channels = {m["channel"] for m in messages if reference in m["body"]}
        if channels == {"email", "sms"}:
            break
        time.sleep(0.2)
    return channels


def submit_and_check(page, site: str) -> str:
    page.click("button.send")
    page.wait_for_selector("#reference")
    assert page.text_content("h1") == "Ваше повідомлення отримано"
    reference = page.text_content("#reference").strip()
    assert REFERENCE.match(reference)
    # The case is stored: its alerts went out by e-mail and SMS.
    assert alerts_for(site, reference) == {"email", "sms"}
    # And the status page knows it, showing nothing but the stage.
    page.click("text=Перевірити стан зараз")
    page.wait_for_selector("#outcome")
    assert page.text_content("#outcome h2").strip() == "Отримано"
    assert "Ковальчук" not in page.content()
    return reference


def test_a_family_reports_without_javascript_and_an_invalid_phone_comes_back_in_ukrainian(
    page_without_js, site
):
    page = page_without_js
    page.goto(f"{site}/")
    # The browser's own file control takes the place of the script's button.
    assert page.is_visible("#files-nojs") and not page.is_visible(".upload label.button")
    fill(page, **{"#reporter-phone": "050 123"})
    page.click("button.send")
    page.wait_for_selector("#error-summary")
    assert page.text_content("#reporter-phone-error").strip() == PHONE_ERROR_UK
    assert page.get_attribute("#reporter-phone", "aria-invalid") == "true"
    assert_all_kept(page, **{"#reporter-phone": "050 123"})
    # Corrected, the same form goes through.
    page.fill("#reporter-phone", "050 123 45 67")
    submit_and_check(page, site)


def test_an_invalid_phone_with_javascript_is_flagged_as_they_type(page, site):
    page.goto(f"{site}/")
    fill(page, **{"#reporter-phone": "050 123"})
    page.focus("#reporter-phone")
    page.keyboard.press("Tab")
    assert page.is_visible("#reporter-phone-error")
    assert page.text_content("#reporter-phone-error") == PHONE_ERROR_UK
    # Sending is held back, and nothing typed is lost.
    page.click("button.send")
    assert page.url.rstrip("/") == site
    # The summary takes the focus, and leads to the field.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert summary_links(page) == ["reporter-phone"]
    assert_all_kept(page, **{"#reporter-phone": "050 123"})
    # A local number, as people write it, is accepted as typed, and the form goes.
    page.fill("#reporter-phone", "050 123 45 67")
    page.focus("#reporter-phone")
    page.keyboard.press("Tab")
    assert not page.is_visible("#reporter-phone-error")
    page.click("button.send")
    page.wait_for_selector("#reference")


def test_the_draft_survives_a_reload_and_is_gone_after_sending(page, site):
    page.goto(f"{site}/")
    page.fill("#child-family_name", "Ковальчук")
    page.check('input[name="child.sex"][value="female"]')
    page.fill("#event-circumstances", "чернетка")
    key = page.input_value('input[name="submission_key"]')
    # (The draft is saved a moment after the last keystroke.)
    page.wait_for_function(
        "() => (sessionStorage.getItem('homeward-draft') || '').includes('чернетка')"
    )
    page.reload()
    assert page.input_value("#child-family_name") == "Ковальчук"
    assert page.is_checked('input[name="child.sex"][value="female"]')
    assert page.input_value("#event-circumstances") == "чернетка"
    # The same submission key too, so the reload cannot turn into a second report.
    assert page.input_value('input[name="submission_key"]') == key
    fill(page, **{"#child-given_name": "Назад"})
    page.click("button.send")
    page.wait_for_selector("#reference")
    # Back after sending: an empty form, and nothing saved again.
    page.go_back()
    page.wait_for_selector("#report")
    assert_all_empty(page)
    page.wait_for_timeout(400)  # longer than the draft's own delay before it saves
    assert page.evaluate("window.sessionStorage.length") == 0
    page.goto(f"{site}/")
    assert page.input_value("#child-family_name") == ""


def test_a_double_tap_creates_one_case_whose_code_is_shown_once_and_read_as_typed(page, site):
    page.goto(f"{site}/")
    fill(page, **{"#child-given_name": "Подвійний"})
    page.wait_for_timeout(300)
    page.dblclick("button.send")
    page.wait_for_selector("#status-token")
    # Shown whole (its mark fetched), as a receipt is before anyone reloads it.
    page.wait_for_load_state("load")
    reference = page.text_content("#reference").strip()
    code = page.text_content("#status-token").strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    # A refresh of the receipt posts the form again (Chromium asks first): the same case
    # comes back, its reference but not its code.
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    page.wait_for_selector("#reference")
    assert page.text_content("#reference").strip() == reference
    assert page.locator("#status-token").count() == 0
    assert page.is_visible("#code-shown-once")
    # The status page takes the code as a person types it.
    page.goto(f"{site}/status")
    page.fill("#reference", f" {reference.lower().replace('-', ' ')} ")
    page.fill("#token", code.lower().replace("-", " "))
    page.click("form button[type=submit]")
    page.wait_for_selector("#outcome")
    assert page.text_content("#outcome h2").strip() == "Отримано"


def test_360_px_wide(browser, site, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{site}/")
    page.screenshot(path=str(artifacts / "form-360px-uk.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Whom to call and the urgent question, both answers too, on the first screen.
    bottom = page.eval_on_selector(
        "#urgent label.option:last-of-type", "e => e.getBoundingClientRect().bottom"
    )
    assert bottom <= 740
    assert page.locator('#call-first a[href="tel:112"]').is_visible()
    # Tap targets: the send button and every radio option are at least 44 px high.
    assert page.locator("button.send").bounding_box()["height"] >= 44
    heights = page.eval_on_selector_all("label.option", "els => els.map(e => e.offsetHeight)")
    assert min(heights) >= 44
    context.close()


@pytest.mark.parametrize("lang", ["uk", "en", "ru"])
def test_no_accessibility_violations_on_any_page_state(browser, site, axe, lang):
    # axe is injected as an inline script, which the page's CSP forbids, rightly.
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
    page = context.new_page()

    def audit(what: str) -> None:
        axe(page, f"{what} ({lang})")

    page.goto(f"{site}/?lang={lang}")
    audit("the form")
    # The form with errors found by form.js, then as the server sends it back
    # (form.submit() skips the script).
    page.click("button.send")
    page.wait_for_selector("#error-summary:not([hidden])")
    audit("the form with errors found in the browser")
    page.fill("#reporter-phone", "12")
    page.evaluate("document.getElementById('report').submit()")
    page.wait_for_selector("#error-summary")
    audit("the form with errors")
    fill(page, **{"#child-given_name": f"Axe {lang}"})
    page.check('input[name="urgent"][value="yes"]')
    page.click("button.send")
    page.wait_for_selector("#reference")
    audit("the receipt of an urgent report")
    page.click("#received form.inline button")
    page.wait_for_selector("#outcome")
    audit("the status page with a stage")
    page.goto(f"{site}/status/withdraw?lang={lang}")
    audit("the withdrawal page")
    page.fill("#reference", "HW-2222-2222")
    page.click("#withdraw button[type=submit]")
    assert page.is_visible("#confirm-error")
    audit("the withdrawal page asking for the tick")
    page.goto(f"{site}/safety?lang={lang}")
    audit("how to remove this site from your phone")
    context.close()


def test_a_family_reports_in_ukrainian_with_javascript_and_a_photo_goes_to_the_bucket(page, site):
    import hashlib

    import boto3

    photo = photo_jpeg(bytes(range(256)) * 400)
    response = page.goto(f"{site}/")
    assert page.get_attribute("html", "lang") == "uk"
    # The page may talk to one other origin: the (emulated) bucket it uploads to.
    csp = response.headers["content-security-policy"]
    bucket_origin = re.search(r"connect-src 'self' (\S+);", csp).group(1)
    fill(page)
    page.set_input_files(
        "#files", files=[{"name": "фото.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.wait_for_selector("#file-list >> text=Завантажено")
    # The control is a 48 px button; the file shows by its name and state only.
    assert page.locator(".upload label.button").bounding_box()["height"] >= 48
    assert page.locator("#files").bounding_box()["height"] <= 1
    assert not page.is_visible("#files-nojs")
    assert page.text_content("#file-list li span") == "фото.jpg · Завантажено"
    reference = submit_and_check(page, site)

    emulated = _emulated(bucket_origin)
    (recorded,) = case_files(emulated, reference)
    # Kept re-encoded, without what followed the image; what was sent, by its hash.
    assert recorded["original_sha256"] == hashlib.sha256(photo).hexdigest()
    assert recorded["content_type"] == "image/jpeg"
    assert int(recorded["size"]) < len(photo)
    # The file's name, which may name the child, is nowhere in the bucket.
    assert "фото" not in recorded["key"]
    # The case keeps its own copy, a version no upload can replace, and the slot is empty.
    assert recorded["key"].startswith(f"cases/{reference}/")
    s3 = boto3.client("s3", **emulated)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if "-uploads-" in b["Name"]]
    copy = s3.get_object(Bucket=bucket, Key=recorded["key"], VersionId=recorded["version_id"])
    assert hashlib.sha256(copy["Body"].read()).hexdigest() == recorded["sha256"]
    assert s3.list_object_versions(Bucket=bucket, Prefix="uploads/").get("Versions", []) == []


def _emulated(origin: str) -> dict:
    """boto3's arguments for the runner's emulated AWS (the bucket's origin on the page)."""
    return {
        "endpoint_url": origin,
        "region_name": "eu-central-1",
        "aws_access_key_id": "emulated",
        "aws_secret_access_key": "emulated",
    }


def case_files(emulated: dict, reference: str) -> list[dict]:
    """The files a case records, each as its attribute name -> value."""
    import boto3

    item = boto3.client("dynamodb", **emulated).get_item(
        TableName="homeward-local-cases",
        Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}},
    )["Item"]
    return [
        {k: next(iter(v.values())) for k, v in a["M"].items()} for a in item["attachments"]["L"]
    ]


# -- issue 15: as a frightened parent fills it in ------------------------------------------

BORN_IN_WORDS = "Дата народження, яку ви вказали: 12 березня 2016\u202fр."
DATE_WAYS = {
    "three boxes": {"day": "12", "month": "3", "year": "2016"},
    "leading zero": {"day": "12", "month": "3", "year": "2016", "day_typed": "012"[1:]},
    "dotted in the day box": {"day": "12.03.2016"},
    "slashed in the day box": {"day": "12/03/2016"},
    "year first in the day box": {"day": "2016-03-12"},
}


def fill_birth(page, way: dict) -> None:
    page.fill("#child-date_of_birth-day", way.get("day_typed", way["day"]))
    page.select_option("#child-date_of_birth-month", way.get("month", ""))
    page.fill("#child-date_of_birth-year", way.get("year", ""))


@pytest.mark.parametrize("locale", ["en-US", "uk-UA"])
def test_a_date_typed_the_usual_ways_lands_as_the_date_meant(browser, site, locale):
    """No browser date picker: whatever the browser's locale, 12.03.2016 is 12 March.

    Every way is typed into the one page (its boxes emptied, and read back as nothing,
    before each); the script leaves the same three boxes for all of them, so one report
    sent at the end shows the server reads them as the date meant."""
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(f"{site}/?lang=uk")
    fill(page, **{"#child-given_name": f"Дата {locale}"})
    for name, way in DATE_WAYS.items():
        fill_birth(page, {"day": ""})
        page.focus("#child-medical_needs")
        assert page.text_content("#child-date_of_birth-words") == "", name
        fill_birth(page, way)
        page.focus("#child-medical_needs")
        # Read back in words as soon as the date is left, and split into its boxes.
        assert page.text_content("#child-date_of_birth-words") == "12 березня 2016\u202fр.", name
        assert page.input_value("#child-date_of_birth-day") == "12", name
        assert page.input_value("#child-date_of_birth-month") == "3", name
        assert page.input_value("#child-date_of_birth-year") == "2016", name
    page.click("button.send")
    page.wait_for_selector("#reference")
    assert BORN_IN_WORDS in page.text_content(".about")
    context.close()


def test_a_report_without_javascript_reads_a_whole_date_day_first_and_keeps_its_jpeg(browser, site):
    import hashlib

    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    photo = photo_jpeg(bytes(range(256)) * 40)
    response = page.goto(f"{site}/?lang=uk")
    bucket_origin = re.search(
        r"connect-src 'self' (\S+);", response.headers["content-security-policy"]
    )
    fill(page, **{"#reporter-phone": "0501234567"})  # a local number too
    fill_birth(page, {"day": "12.03.2016"})
    page.set_input_files(
        "#files-nojs", files=[{"name": "фото.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.click("button.send")
    # The receipt with the status code: the file went with the report.
    page.wait_for_selector("#status-token")
    assert BORN_IN_WORDS in page.text_content(".about")
    reference = page.text_content("#reference").strip()
    (recorded,) = case_files(_emulated(bucket_origin.group(1)), reference)
    assert recorded["original_sha256"] == hashlib.sha256(photo).hexdigest()
    assert recorded["content_type"] == "image/jpeg" and int(recorded["size"]) < len(photo)
    context.close()


REQUIRED = [
    "child-given_name",
    "child-sex",
    "child-date_of_birth-day",
    "residence-oblast",
    "event-category",
    "reporter-relationship",
    "reporter-may_contact",
    # Consent is asked, yes or no, never assumed either way.
    "consent-tracing",
    "consent-share_with_coalition",
    "consent-share_with_authorities",
]


def summary_links(page) -> list[str]:
    return page.eval_on_selector_all(
        "#error-summary li a", "els => els.map(a => a.getAttribute('href').slice(1))"
    )


def test_every_error_at_once_in_a_summary_first_read_the_same_with_and_without_javascript(
    browser, site
):
    seen = {}
    for javascript in (True, False):
        context = browser.new_context(locale="uk-UA", java_script_enabled=javascript)
        page = context.new_page()
        page.goto(f"{site}/")
        page.fill("#child-family_name", "Ковальчук")
        page.click("button.send")
        page.wait_for_selector("#error-summary:not([hidden])")
        assert summary_links(page) == REQUIRED, javascript
        # The summary is the first thing in the page's main part, above its heading.
        first = page.evaluate("document.querySelector('main').firstElementChild.id")
        assert first == "error-summary", javascript
        assert page.get_attribute("#child-sex", "class").count("invalid") == 1, javascript
        assert page.input_value("#child-family_name") == "Ковальчук", javascript
        seen[javascript] = {
            "title": page.title(),
            "summary": page.eval_on_selector_all(
                "#error-summary li a", "els => els.map(a => a.textContent.trim())"
            ),
            "described": {
                field: page.get_attribute(f"#{field}", "aria-describedby")
                for field in (
                    "child-sex",
                    "child-family_name",
                    "consent-tracing",
                    "child-date_of_birth",
                )
            },
        }
        if javascript:
            assert page.evaluate("document.activeElement.id") == "error-summary"
            page.click('#error-summary a[href="#child-date_of_birth-day"]')
            assert page.evaluate("document.activeElement.id") == "child-date_of_birth-day"
        context.close()
    assert seen[True] == seen[False]
    assert seen[True]["title"].startswith("Помилка: ")


def test_sending_shows_and_a_second_tap_sends_nothing(browser, site):
    context = browser.new_context(locale="uk-UA")
    page = context.new_page()
    page.goto(f"{site}/")
    fill(page, **{"#child-given_name": "Повільний"})
    posts = []
    page.on("request", lambda r: r.method == "POST" and "/report" in r.url and posts.append(r))
    # A slow network: the answer takes seconds to come.
    cdp = context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 600, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    # The first tap, then a second one while the first is on its way, as an impatient
    # finger does; what the page shows meanwhile is read in the same moment.
    state = page.evaluate(
        """() => {
            const send = document.querySelector('button.send');
            send.click();
            const shown = {disabled: send.getAttribute('aria-disabled'),
                           sending: document.getElementById('sending').textContent,
                           hidden: document.getElementById('sending').hidden};
            send.click();
            return shown;
        }"""
    )
    assert state["disabled"] == "true" and not state["hidden"]
    assert "Надсилаємо" in state["sending"]
    page.wait_for_selector("#reference", timeout=15000)
    assert len(posts) == 1
    context.close()


# -- issue 24: safe on a phone others may pick up, and forgiving ------------------------------


def assert_all_empty(page) -> None:
    for selector in TEXT:
        assert page.input_value(selector) == "", selector
    for name in CHOICES:
        assert (
            page.eval_on_selector_all(
                f'input[name="{name}"]', "els => els.filter(e => e.checked).length"
            )
            == 0
        ), name
    for selector in SELECTS:
        assert page.input_value(selector) == "", selector


def test_back_after_sending_without_javascript_shows_an_empty_form(page_without_js, site):
    """(With JavaScript: test_the_draft_survives_a_reload_and_is_gone_after_sending.)"""
    page = page_without_js
    page.goto(f"{site}/")
    fill(page, **{"#child-given_name": "Назад"})
    page.click("button.send")
    page.wait_for_selector("#reference")
    page.go_back()
    page.wait_for_selector("#report")
    assert_all_empty(page)


@pytest.mark.parametrize("how", ["button", "shift"])
def test_exit_this_page_leaves_no_homeward_page_one_step_back(page, site, how):
    page.route(
        "https://www.google.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<title>Google</title>"),
    )
    page.goto(f"{site}/")
    page.fill("#child-family_name", "Ковальчук")
    if how == "button":
        page.click("#exit-this-page")
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url("https://www.google.com/**")
    page.go_back()
    assert not page.url.startswith(site)


def test_a_language_switch_without_javascript_keeps_every_answer(page_without_js, site):
    page = page_without_js
    page.goto(f"{site}/")
    fill(page)
    page.click('header button[name="switch_lang"][value="ru"]')
    page.wait_for_selector('html[lang="ru"]')
    assert_all_kept(page)
    assert page.input_value("#reporter-preferred_language") == "ru"
    # And it is sent from there, in Russian.
    page.click("button.send")
    page.wait_for_selector("#reference")
    assert page.text_content("h1") == "Ваше сообщение получено"


def test_withdrawal_needs_the_tick_and_keeps_what_was_typed(page, site):
    posts = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    page.goto(f"{site}/status/withdraw")
    page.fill("#reference", "HW-2222-2222")
    page.fill("#token", "ABCD EFGH JKMN PQRS")
    page.click("#withdraw button[type=submit]")
    assert page.is_visible("#confirm-error")
    assert page.evaluate("document.activeElement.id") == "confirm"
    assert posts == []
    assert page.input_value("#reference") == "HW-2222-2222"
    assert page.input_value("#token") == "ABCD EFGH JKMN PQRS"
