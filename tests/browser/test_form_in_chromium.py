"""The report form as a family uses it: in Chromium, with and without JavaScript."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^HW-[2-9A-HJ-NP-TV-Z]{4}-[2-9A-HJ-NP-TV-Z]{4}$")
PHONE_ERROR_UK = "Вкажіть номер з кодом країни, наприклад +380501234567."

TEXT = {
    "#child-family_name": "Ковальчук",
    "#child-given_name": "Олександр",
    "#child-patronymic": "Андрійович",
    "#child-other_names": "Сашко",
    "#child-date_of_birth": "2012-03-14",
    "#child-distinguishing_marks": "шрам над лівою бровою",
    "#child-medical_needs": "астма, потрібен інгалятор",
    "#residence-settlement": "Олешки",
    "#event-date": "2022-10-20",
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
}
SELECTS = {"#residence-oblast": "UA-65", "#last_known_location-country": "RU"}
CHECKS = ["#consent-tracing", "#consent-share_with_coalition", "#consent-share_with_authorities"]


def fill(page, **overrides: str) -> None:
    for selector, value in {**TEXT, **overrides}.items():
        page.fill(selector, value)
    for name, value in CHOICES.items():
        page.check(f'input[name="{name}"][value="{value}"]')
    for selector, value in SELECTS.items():
        page.select_option(selector, value)
    for selector in CHECKS:
        page.check(selector)


def assert_all_kept(page, **overrides: str) -> None:
    for selector, value in {**TEXT, **overrides}.items():
        assert page.input_value(selector) == value, selector
    for name, value in CHOICES.items():
        assert page.is_checked(f'input[name="{name}"][value="{value}"]'), name
    for selector, value in SELECTS.items():
        assert page.input_value(selector) == value, selector
    for selector in CHECKS:
        assert page.is_checked(selector), selector


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def alerts_for(site: str, reference: str, seconds: float = 10) -> set[str]:
    deadline = time.monotonic() + seconds
    channels: set[str] = set()
    while time.monotonic() < deadline and channels != {"email", "sms"}:
        messages = get_json(f"{site}/dev/outbox")["messages"]
        channels = {m["channel"] for m in messages if reference in m["body"]}
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
    page.click("text=Перевірити статус зараз")
    page.wait_for_selector("#outcome")
    assert page.text_content("#outcome h2").strip() == "Отримано"
    assert "Ковальчук" not in page.content()
    return reference


def test_a_family_reports_in_ukrainian_with_javascript(page, site):
    page.goto(f"{site}/")
    assert page.get_attribute("html", "lang") == "uk"
    fill(page)
    submit_and_check(page, site)


def test_a_family_reports_without_javascript(page_without_js, site):
    page = page_without_js
    page.goto(f"{site}/")
    # Uploads say plainly that they need JavaScript.
    assert page.is_visible("text=потрібен JavaScript")
    fill(page)
    submit_and_check(page, site)


def test_an_invalid_phone_without_javascript_comes_back_in_ukrainian(page_without_js, site):
    page = page_without_js
    page.goto(f"{site}/")
    fill(page, **{"#reporter-phone": "050 123"})
    page.click("button.send")
    page.wait_for_selector("#error-summary")
    assert page.text_content("#reporter-phone-error").strip() == PHONE_ERROR_UK
    assert page.get_attribute("#reporter-phone", "aria-invalid") == "true"
    assert_all_kept(page, **{"#reporter-phone": "050 123"})
    # Corrected, the same form goes through.
    page.fill("#reporter-phone", "+380 50 123 45 67")
    page.click("button.send")
    page.wait_for_selector("#reference")


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
    assert page.evaluate("document.activeElement.id") == "reporter-phone"
    assert_all_kept(page, **{"#reporter-phone": "050 123"})


def test_the_draft_survives_a_reload_and_is_gone_after_sending(page, site):
    page.goto(f"{site}/")
    page.fill("#child-family_name", "Ковальчук")
    page.check('input[name="child.sex"][value="female"]')
    page.fill("#event-circumstances", "чернетка")
    key = page.input_value('input[name="submission_key"]')
    page.wait_for_timeout(400)
    page.reload()
    assert page.input_value("#child-family_name") == "Ковальчук"
    assert page.is_checked('input[name="child.sex"][value="female"]')
    assert page.input_value("#event-circumstances") == "чернетка"
    # The same submission key too, so the reload cannot turn into a second report.
    assert page.input_value('input[name="submission_key"]') == key
    fill(page)
    page.click("button.send")
    page.wait_for_selector("#reference")
    page.goto(f"{site}/")
    assert page.input_value("#child-family_name") == ""


def test_a_double_tap_creates_one_case(page, site):
    page.goto(f"{site}/")
    fill(page, **{"#child-given_name": "Подвійний"})
    page.wait_for_timeout(300)
    page.dblclick("button.send")
    page.wait_for_selector("#reference")
    first = page.text_content("#reference")
    # A refresh of the receipt posts the form again: the same case comes back.
    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    page.wait_for_selector("#reference")
    assert page.text_content("#reference") == first


def test_360_px_wide(browser, site, artifacts):
    context = browser.new_context(viewport={"width": 360, "height": 780}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{site}/")
    page.screenshot(path=str(artifacts / "form-360px-uk.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Tap targets: the send button and every radio option are at least 44 px high.
    assert page.locator("button.send").bounding_box()["height"] >= 44
    heights = page.eval_on_selector_all("label.option", "els => els.map(e => e.offsetHeight)")
    assert min(heights) >= 44
    context.close()


@pytest.mark.parametrize("lang", ["uk", "en", "ru"])
def test_no_serious_accessibility_violations(browser, site, axe_script, lang):
    # axe is injected as an inline script, which the page's CSP forbids, rightly.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()

    def audit(what: str) -> None:
        page.add_script_tag(path=str(axe_script))
        violations = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact,
                                       nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{what} ({lang}): {serious}"

    page.goto(f"{site}/?lang={lang}")
    audit("the form")
    # The form with errors, as the server sends it back (form.submit() skips the script).
    page.fill("#reporter-phone", "12")
    page.evaluate("document.getElementById('report').submit()")
    page.wait_for_selector("#error-summary")
    audit("the form with errors")
    page.goto(f"{site}/status?lang={lang}")
    audit("the status page")
    page.goto(f"{site}/status/withdraw?lang={lang}")
    audit("the withdrawal page")
    context.close()


def test_a_photo_goes_straight_to_the_bucket_and_onto_the_case(page, site):
    import hashlib

    import boto3

    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 400
    response = page.goto(f"{site}/")
    # The page may talk to one other origin: the (emulated) bucket it uploads to.
    csp = response.headers["content-security-policy"]
    bucket_origin = re.search(r"connect-src 'self' (\S+);", csp).group(1)
    fill(page)
    page.set_input_files(
        "#files", files=[{"name": "фото.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.wait_for_selector("#file-list >> text=Завантажено")
    page.click("button.send")
    page.wait_for_selector("#reference")
    reference = page.text_content("#reference").strip()

    emulated = {
        "endpoint_url": bucket_origin,
        "region_name": "eu-central-1",
        "aws_access_key_id": "emulated",
        "aws_secret_access_key": "emulated",
    }
    item = boto3.client("dynamodb", **emulated).get_item(
        TableName="homeward-local-cases",
        Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}},
    )["Item"]
    (attachment,) = item["attachments"]["L"]
    recorded = {k: next(iter(v.values())) for k, v in attachment["M"].items()}
    assert recorded["sha256"] == hashlib.sha256(photo).hexdigest()
    assert recorded["content_type"] == "image/jpeg"
    assert int(recorded["size"]) == len(photo)
    # The file's name, which may name the child, is nowhere in the bucket.
    assert "фото" not in recorded["key"]
    # The case keeps its own copy, a version no upload can replace, and the slot is empty.
    assert recorded["key"].startswith(f"cases/{reference}/")
    s3 = boto3.client("s3", **emulated)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if "-uploads-" in b["Name"]]
    copy = s3.get_object(Bucket=bucket, Key=recorded["key"], VersionId=recorded["version_id"])
    assert copy["Body"].read() == photo
    assert s3.list_object_versions(Bucket=bucket, Prefix="uploads/").get("Versions", []) == []
