"""The staff console as staff use it: whole jobs in Chromium, on one local runner.

A caseworker's morning (the urgent, unacknowledged case first; acknowledge, triage,
assign, search in Latin letters, confirm a match; signed out mid-note and nothing lost);
a coordinator's directory (a contact, a rule, a refusal beside its field, a preview, a
parked delivery sent again); an auditor's trail without case content; another agency's
caseworker at the same "not found" as for a missing case. Then every page through axe,
in Ukrainian and English, with screenshots at 1280 and 360 px in test-artifacts/.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.request

import pytest
from helpers import EXAMPLE_REPORT, local_runner, logged_errors, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PARKED = "parked@ngo.example.org"
TARAS, OKSANA = "demo-taras-bondar", "Оксана Гриценко"


def post(site: str, body: dict) -> str:
    request = urllib.request.Request(
        f"{site}/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["reference"]


def outbox(site: str) -> list[dict]:
    with urllib.request.urlopen(f"{site}/dev/outbox", timeout=10) as answer:
        return json.loads(answer.read())["messages"]


def report(**child) -> dict:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["child"].update(child)
    return body


@pytest.fixture(scope="module")
def console(tmp_path_factory, dev_key):
    """The runner, and the cases of the morning: an urgent one about Коваленко Максим, an
    earlier calm one, and a later report of the same boy in Latin letters from an NGO."""
    log_path = tmp_path_factory.mktemp("console") / "runner.log"
    with local_runner(
        log_path,
        HOMEWARD_DEV_KEY_FILE=str(dev_key),
        HOMEWARD_RATE_LIMIT="200",
        HOMEWARD_LOCAL_REFUSE_EMAIL=PARKED,
    ) as (site, process, log):
        calm = post(site, report(family_name="Шевчук", given_name="Ганна", sex="female"))
        urgent_body = report(family_name="Коваленко", given_name="Максим", other_names=[])
        urgent_body["urgent"] = True
        urgent = post(site, urgent_body)
        latin = report(family_name="Kovalenko", given_name="Maksym", patronymic=None)
        latin["child"]["other_names"] = []
        latin["reporter"].update(relationship="ngo", name="Helping Hands", phone=None)
        second = post(site, latin)
        wait_for(
            lambda: any(
                m["to"] == "south@ombudsman.example.org" and urgent in m["body"]
                for m in outbox(site)
            )
        )
        yield {"site": site, "urgent": urgent, "calm": calm, "second": second}
        process.terminate()
        process.wait(timeout=20)
        log.seek(0)
        output = log.read()
    # Whatever staff typed and read, the runner's log names no child and no one typed.
    for personal in ("Коваленко", "Kovalenko", "Мати подзвонила", "iryna@example.org"):
        assert personal not in output
    assert not logged_errors(output), "\n\n".join(logged_errors(output))


def sign_in(page, site: str, subject: str, lang: str = "uk", then: str = "staff") -> None:
    page.goto(f"{site}/staff/sign-in?lang={lang}&next={then}")
    page.click(f"button[value={subject}]")
    page.wait_for_load_state()


def test_a_caseworkers_morning(browser, console, artifacts):
    site, urgent, second = console["site"], console["urgent"], console["second"]
    context = browser.new_context(locale="uk-UA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status))

    # Signed in, the urgent case nobody acknowledged is the first thing she sees.
    sign_in(page, site, TARAS)
    first = page.locator("section.waiting tbody tr").first
    assert urgent in first.inner_text() and "Терміново" in first.inner_text()
    assert "Коваленко Максим" in first.inner_text()
    page.screenshot(path=str(artifacts / "console-inbox-1280-uk.png"), full_page=True)

    # Open it; acknowledge the alert sent to her: it stops escalating.
    first.locator("a").first.click()
    page.get_by_role("button", name="Підтвердити").click()
    expect(page.locator(".notices")).to_contain_text("ескалацію зупинено")

    # Triage with a note; assign to a named colleague, chosen from a list.
    page.fill("#move-note", "Поговорила з матір’ю, дані підтверджено")
    page.get_by_role("button", name="Первинний розгляд").click()
    expect(page.locator("h1")).to_contain_text("Первинно розглянуто")
    # The list starts on no one ("Assign to me" is its own button); each colleague is
    # named with her role in words.
    assignee = page.locator("#assignee")
    expect(assignee).to_have_value("")
    colleague = assignee.locator("option", has_text=OKSANA)
    expect(colleague).to_contain_text("Фахівець зі справ")
    assignee.select_option(colleague.get_attribute("value"))
    page.get_by_role("button", name="Призначити", exact=True).click()
    expect(page.locator(".summary")).to_contain_text(OKSANA)
    # Names, not ids, on the timeline.
    expect(page.locator(".timeline")).to_contain_text(f"Призначено: {OKSANA}")
    timeline = page.locator(".timeline").inner_text()
    assert "Тарас Бондар" in timeline and f"Призначено: {OKSANA}" in timeline
    assert "demo-" not in timeline
    page.screenshot(path=str(artifacts / "console-case-1280-uk.png"), full_page=True)

    # A Latin spelling finds the Cyrillic case.
    page.goto(f"{site}/staff/search")
    page.fill("#q", "Kovalenko Maksym")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results-title")
    results = page.locator("table.cases").inner_text()
    assert urgent in results and "Коваленко Максим" in results

    # The other report, side by side, confirmed with a note.
    def pair_listed():
        page.goto(f"{site}/staff/cases/{urgent}")
        return page.locator(f"a[href$='/matches/{second}']").count()

    wait_for(pair_listed)
    page.locator(f"a[href$='/matches/{second}']").first.click()
    expect(page.locator("table.compare")).to_contain_text("Kovalenko")
    compare = page.locator("table.compare").inner_text()
    assert "Коваленко" in compare and "Kovalenko" in compare
    page.screenshot(path=str(artifacts / "console-match-1280-uk.png"), full_page=True)
    page.check("#d-confirmed")
    page.fill("#decision-note", "Та сама дитина: збігаються ім’я, дата народження, місце")
    page.get_by_role("button", name="Записати рішення").click()
    expect(page.locator(".notices")).to_contain_text("Збіг підтверджено")
    expect(page.locator("#links-title + ul")).to_contain_text(second)

    # Signed out while typing a note (her session cookie gone): sign in again, and the
    # note is still there to send.
    page.fill("#note-text", "Мати подзвонила о 9:40")
    context.clear_cookies(name="homeward_staff")
    page.get_by_role("button", name="Додати нотатку").click()
    page.wait_for_url("**/staff/sign-in**")
    page.click(f"button[value={TARAS}]")
    page.wait_for_selector("#note-text")
    assert page.input_value("#note-text") == "Мати подзвонила о 9:40"
    page.get_by_role("button", name="Додати нотатку").click()
    expect(page.locator(".timeline")).to_contain_text("Мати подзвонила о 9:40")
    assert [s for s in statuses if s >= 500] == []
    context.close()


def test_a_coordinator_keeps_the_directory(browser, console):
    site = console["site"]
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, site, "demo-olena-koval", "en", "staff/directory")

    # A contact, then a rule that alerts it for Kharkiv oblast.
    page.get_by_role("link", name="Add a contact").click()
    for field, value in {
        "#f-contact_id": "help-kharkiv",
        "#f-name": "Kharkiv helpline",
        "#f-organisation": "Helping Hands (demo)",
        "#f-agency": "UA-HELP",
        "#f-member_state": "UA",
        "#f-email": PARKED,
    }.items():
        page.fill(field, value)
    page.select_option("#f-kind", "ngo")
    page.get_by_role("button", name="Save the contact").click()
    expect(page.locator("main")).to_contain_text("Saved.")
    expect(page.locator("main")).to_contain_text("Kharkiv helpline")
    page.get_by_role("link", name="Add a rule").click()
    page.fill("#f-rule_id", "kharkiv-help")
    page.select_option("#f-oblasts", ["UA-63"])
    page.select_option("#f-contacts", ["help-kharkiv"])
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator("main")).to_contain_text("kharkiv-help")

    # A rule that would reach nobody is refused, the reason beside its contacts.
    page.get_by_role("link", name="Add a rule").click()
    page.fill("#f-rule_id", "canada-sms")
    page.select_option("#f-contacts", ["ca-liaison"])
    page.uncheck("#f-channel-email")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator("[role=alert]")).to_contain_text("reach nobody")
    # In the page's words: the channel as people name it, not the rule's code.
    expect(page.locator("#error-contacts")).to_contain_text("can be reached by SMS")
    assert page.get_attribute("#f-contacts", "aria-invalid") == "true"
    assert page.input_value("#f-rule_id") == "canada-sms"  # everything typed is kept

    # Who a Kharkiv report would reach: the new helpline at once, then the ladder.
    page.goto(f"{site}/staff/directory/preview")
    page.select_option("#p-oblast", "UA-63")
    page.select_option("#p-category", "deported")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".rungs > li").first).to_contain_text("Kharkiv helpline")
    reach = page.locator(".rungs > li").first.inner_text()
    assert "Kharkiv helpline" in reach and "Eastern unit" in reach

    # A Kharkiv report comes in; the helpline's address refuses it; it is sent again.
    reference = post(site, report(given_name="Петро") | {"residence": {"oblast": "UA-63"}})

    def parked():
        page.goto(f"{site}/staff/deliveries")
        return reference in page.inner_text("main")

    wait_for(parked)
    row = page.locator("tr", has_text=reference)
    assert "Kharkiv helpline" in row.inner_text()
    row.get_by_role("button", name="Send again").click()
    expect(page.locator("[role=status]")).to_contain_text("Sent again")
    context.close()


def test_an_auditor_reads_the_trail_and_never_the_case(browser, console):
    site, urgent = console["site"], console["urgent"]
    page = browser.new_context(locale="uk-UA").new_page()
    sign_in(page, site, "demo-nataliia-rudenko")
    assert page.url.endswith("/staff/audit")
    page.fill("#a-reference", urgent.lower())
    page.get_by_role("button", name="Показати журнал").click()
    # A click may return before the form's page has arrived: wait for the trail's page,
    # then for its rows (what the morning's caseworker did, in this module's runner).
    page.wait_for_url(re.compile(r"/staff/audit\?reference="), wait_until="load")
    # The trail is sentences grouped by day: the caseworker's line names her.
    expect(page.locator("ol.trail li", has_text="Тарас Бондар").first).to_be_visible()
    trail = page.inner_text("main")
    assert "Коваленко" not in trail and "Kovalenko" not in trail
    answer = page.goto(f"{site}/staff/cases/{urgent}")
    assert answer.status == 403 and "Коваленко" not in page.content()
    page.context.close()


def test_another_agency_gets_the_page_a_missing_case_gets(browser, console):
    site, urgent = console["site"], console["urgent"]
    page = browser.new_context(locale="uk-UA").new_page()
    sign_in(page, site, "demo-andrii-lysenko")
    foreign = page.goto(f"{site}/staff/cases/{urgent}")
    foreign_text = page.inner_text("main")
    missing = page.goto(f"{site}/staff/cases/HW-2222-2222")
    assert foreign.status == missing.status == 404
    assert foreign_text == page.inner_text("main")
    page.context.close()


PAGES = {
    "demo-taras-bondar": [
        ("inbox", "staff"),
        ("search", "staff/search"),
        ("case", "staff/cases/{urgent}"),
        ("match", "staff/cases/{urgent}/matches/{second}"),
        ("statistics", "staff/statistics"),
        ("not-found", "staff/cases/HW-2222-2222"),
    ],
    "demo-olena-koval": [
        ("directory", "staff/directory"),
        ("contact", "staff/directory/contacts/south-ua-ombudsman"),
        ("rule", "staff/directory/rules/south"),
        ("preview", "staff/directory/preview?oblast=UA-65&category=deported&urgent=yes"),
        ("deliveries", "staff/deliveries"),
    ],
    "demo-nataliia-rudenko": [("audit", "staff/audit?reference={urgent}")],
}
SHOTS = {"inbox", "case", "match", "search", "statistics", "directory", "rule"}


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_console_page_passes_axe(browser, console, axe_script, artifacts, lang):
    site = console["site"]
    # axe is injected as a script, which the console's CSP forbids, rightly.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def audit(what: str) -> None:
        page.add_script_tag(path=str(axe_script))
        violations = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.map(v => ({id: v.id, impact: v.impact,
                                       nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        assert violations == [], f"{what} ({lang}): {violations}"

    page.goto(f"{site}/staff/sign-in?lang={lang}")
    audit("sign-in")
    for person, pages in PAGES.items():
        context.clear_cookies()
        sign_in(page, site, person, lang)
        for name, path in pages:
            page.goto(f"{site}/{path.format(**console)}")
            if name == "search":
                page.fill("#q", "Kovalenko Maksym")
                page.keyboard.press("Enter")
                page.wait_for_selector("#results-title")
            audit(name)
            if lang == "uk" and name in SHOTS:
                page.set_viewport_size({"width": 360, "height": 780})
                page.screenshot(path=str(artifacts / f"console-{name}-360-uk.png"), full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
                page.set_viewport_size({"width": 1280, "height": 900})
    context.close()
