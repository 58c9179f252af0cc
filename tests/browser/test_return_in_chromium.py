"""The return's console pages in Chromium, on one local runner: a coordinator builds a
mediation list and exports it (only the mediator's fields), and a psychologists' desk
answers a referral in its own inbox; each page through axe, in Ukrainian and English."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest
from helpers import EXAMPLE_REPORT, logged_errors, wait_for
from playwright.sync_api import expect

from chalicelib.adapters.tokens import mint_dev_token

pytestmark = pytest.mark.browser

OLENA, IRYNA = "demo-olena-koval", "demo-iryna-melnyk"


def call(site: str, method: str, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        site + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def returns(tmp_path_factory, dev_key, start_runner):
    """The runner, a child verified for each language's list, and one returned and referred
    to the psychologists with the family's consent (for the inbox)."""
    log_path = tmp_path_factory.mktemp("returns") / "runner.log"
    with start_runner(log_path, HOMEWARD_DEV_KEY_FILE=str(dev_key), HOMEWARD_RATE_LIMIT="100") as (
        site,
        stop,
    ):
        south = mint_dev_token(dev_key, role="caseworker", agency="UA-OMBUDSMAN")
        today = dt.datetime.now(dt.UTC).date().isoformat()
        lists = {"uk": "verified", "en": "verified", "returned": "returned"}
        # All three sent first: the desk's routing of each runs while the next is sent.
        found = {
            name: call(site, "POST", "/api/v1/reports", EXAMPLE_REPORT)["reference"]
            for name in lists
        }
        for name, last in lists.items():
            base = f"/api/v1/staff/cases/{found[name]}"
            # The desk may work it once the report was routed to it.
            wait_for(lambda base=base: _readable(site, base, south))
            for stage in ("located", "verified", "on_mediation_list", "in_transit", "returned"):
                step = {"stage": stage, "on": today, "how": "desk"}
                call(site, "POST", f"{base}/return/steps", step, south)
                if stage == last:
                    break
        base = f"/api/v1/staff/cases/{found['returned']}"
        call(site, "POST", f"{base}/return/consent", {"services": True, "disclosure": True}, south)
        referral = {
            "service": "psychosocial",
            "provider": "UA-HOPE",
            "note": "nightmares since the return",
            "due": today,
        }
        call(site, "POST", f"{base}/referrals", referral, south)
        yield {"site": site, **found}
        output = stop()
    for personal in ("Ковальчук", "iryna@example.org", "nightmares"):
        assert personal not in output
    assert not logged_errors(output), "\n\n".join(logged_errors(output))


def _readable(site: str, base: str, token: str) -> bool:
    try:
        call(site, "GET", f"{base}/return", token=token)
    except urllib.error.HTTPError:
        return False
    return True


def sign_in(page, site: str, subject: str, lang: str, then: str) -> None:
    page.goto(f"{site}/staff/sign-in?lang={lang}&next={then}")
    page.click(f"button[value={subject}]")
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_a_coordinator_builds_a_mediation_list_and_exports_it(
    browser, returns, axe, artifacts, lang
):
    site = returns["site"]
    # axe is injected as a script, which the console's CSP forbids, rightly.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, site, OLENA, lang, "staff/mediation-lists")
    mediator = f"Qatar ({lang})"
    page.fill("#mediator", mediator)
    page.get_by_role("button", name={"uk": "Створити список", "en": "Make the list"}[lang]).click()
    section = page.locator("section", has=page.get_by_role("heading", name=mediator))
    section.get_by_role("textbox").fill(returns[lang])
    section.get_by_role(
        "button", name={"uk": "Додати до списку", "en": "Add to the list"}[lang]
    ).click()
    expect(page.locator(".notices")).to_contain_text(
        {"uk": "Дитину додано до списку", "en": "The child was put on the list"}[lang]
    )
    axe(page, f"mediation lists ({lang})")
    section = page.locator("section", has=page.get_by_role("heading", name=mediator))
    section.get_by_role(
        "button", name={"uk": "Експортувати для посередника", "en": "Export for the mediator"}[lang]
    ).click()
    table = page.locator("#export")
    expect(table).to_contain_text("Ковальчук Олександр Андрійович")
    text = page.locator("main").inner_text()
    for withheld in ("Олешки", "iryna@example.org", "inhaler", "recreation camp"):
        assert withheld not in text
    axe(page, f"mediation export ({lang})")
    page.screenshot(path=str(artifacts / f"console-mediation-1280-{lang}.png"), full_page=True)
    context.close()


def test_a_provider_answers_a_referral_in_its_own_inbox(browser, returns, axe, artifacts):
    site = returns["site"]
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    page = context.new_page()
    sign_in(page, site, IRYNA, "uk", "staff")
    # A provider's home is its inbox: no cases, no search, no statistics.
    expect(page.locator("h1")).to_have_text("Направлення до вашої організації")
    nav = page.locator("nav.sections").inner_text()
    assert "Вхідні" not in nav and "Статистика" not in nav
    referral = page.locator("li.referral").first
    expect(referral).to_contain_text("Психологічна підтримка: Олександр Ковальчук")
    expect(referral).to_contain_text("Чекає на відповідь надавача")
    assert "Олешки" not in page.locator("main").inner_text()
    axe(page, "provider inbox")
    referral.get_by_role("button", name="Прийняти").click()
    expect(page.locator(".notices")).to_contain_text("Вашу відповідь записано")
    page.locator("li.referral").first.get_by_role(
        "button", name="Позначити послугу наданою"
    ).click()
    expect(page.locator("li.referral").first).to_contain_text("Виконано")
    axe(page, "provider inbox, answered")
    page.screenshot(path=str(artifacts / "console-referrals-360-uk.png"), full_page=True)
    # The case itself stays closed to the provider.
    page.goto(f"{site}/staff/cases/{returns['returned']}")
    expect(page.locator("h1")).to_have_text("Не для вашої ролі")
    context.close()
