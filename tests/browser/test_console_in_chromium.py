"""The staff console as staff use it: whole jobs in Chromium, on one local runner.

A caseworker's morning (the urgent, unacknowledged case first; acknowledge, triage,
assign, search in Latin letters, confirm a match; signed out mid-note and nothing lost);
a coordinator's directory (a contact with a phone as people write it, a rule's oblasts and
contacts found by typing and shown as chips, a refusal beside its field, a preview with
each rung's wait, a parked delivery sent again); an auditor's trail without case content;
an English-reading liaison's case in Latin letters too; another agency's caseworker at
the same "not found" as for a missing case.

Every page of a job is read as its person reads it: a raw code, id or ISO date on it
fails the job (helpers.RAW), and axe must find nothing at 1366 and at 360 px. The jobs
count their clicks and page loads (test-artifacts/console-figures.json, and printed with
-s). Then the other pages through axe, in Ukrainian and English.
"""

from __future__ import annotations

import copy
import json
import re
from urllib.parse import quote

import pytest
from helpers import (
    EXAMPLE_REPORT,
    RAW,
    logged_errors,
    runner_outbox,
    runner_post,
    wait_for,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PARKED = "parked@ngo.example.org"
TARAS, OKSANA = "demo-taras-bondar", "Оксана Гриценко"
WIDE, NARROW = {"width": 1366, "height": 768}, {"width": 360, "height": 740}
FIGURES: dict[str, dict[str, int]] = {}


def report(**child) -> dict:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["child"].update(child)
    return body


def words_only(page, what: str) -> None:
    """The page as its person reads it (rendered text): no raw code, id or ISO date."""
    text = page.inner_text("body")
    for pattern in RAW:
        found = pattern.search(text)
        assert found is None, (
            what,
            found.group(0),
            text[max(found.start() - 80, 0) : found.end() + 80],
        )


class Job:
    """One person's job in a browser of its own: the clicks (a click, a choice, a key that
    sends) and the page loads it takes, and each page read checked (`read`)."""

    def __init__(self, browser, axe, locale: str) -> None:
        # axe is injected as a script, which the console's CSP forbids, rightly.
        self.context = browser.new_context(locale=locale, viewport=WIDE, bypass_csp=True)
        self.page = self.context.new_page()
        self.axe = axe
        self.clicks = self.loads = 0
        self.statuses: list[int] = []
        self.page.on("load", self._loaded)
        self.page.on("response", lambda response: self.statuses.append(response.status))

    def _loaded(self, _page) -> None:
        self.loads += 1

    def click(self, target) -> None:
        self.clicks += 1
        target.click()

    def press(self, key: str) -> None:
        self.clicks += 1
        self.page.keyboard.press(key)

    def choose(self, selector: str, value) -> None:
        self.clicks += 1
        self.page.select_option(selector, value)

    def check(self, selector: str) -> None:
        self.clicks += 1
        self.page.check(selector)

    def mark(self) -> tuple[int, int]:
        return self.clicks, self.loads

    def since(self, mark: tuple[int, int]) -> dict[str, int]:
        return {"clicks": self.clicks - mark[0], "page_loads": self.loads - mark[1]}

    def read(self, what: str, *, shot=None) -> None:
        """Words only; axe at 1366 and 360 px; nothing wider than a phone at 360."""
        words_only(self.page, what)
        self.axe(self.page, f"{what} at 1366")
        self.page.set_viewport_size(NARROW)
        try:
            self.axe(self.page, f"{what} at 360")
            assert self.page.evaluate("document.documentElement.scrollWidth") <= 360, what
            if shot:
                self.page.screenshot(path=str(shot / f"console-{what}-360.png"), full_page=True)
        finally:
            self.page.set_viewport_size(WIDE)

    def close(self) -> None:
        assert [s for s in self.statuses if s >= 500] == []
        self.context.close()


def record(artifacts, job: str, figures: dict[str, int]) -> None:
    FIGURES[job] = figures
    print(f"\n{job}: {figures['clicks']} clicks, {figures['page_loads']} page loads")
    (artifacts / "console-figures.json").write_text(json.dumps(FIGURES, indent=2) + "\n")


@pytest.fixture(scope="module")
def console(tmp_path_factory, dev_key, start_runner):
    """The runner, and the cases of the morning: an urgent one about Коваленко Максим, an
    earlier calm one, and a later report of the same boy in Latin letters from an NGO."""
    log_path = tmp_path_factory.mktemp("console") / "runner.log"
    with start_runner(
        log_path,
        HOMEWARD_DEV_KEY_FILE=str(dev_key),
        HOMEWARD_RATE_LIMIT="200",
        HOMEWARD_LOCAL_REFUSE_EMAIL=PARKED,
    ) as (site, stop):
        calm = runner_post(site, report(family_name="Шевчук", given_name="Ганна", sex="female"))
        urgent_body = report(family_name="Коваленко", given_name="Максим", other_names=[])
        urgent_body["urgent"] = True
        urgent = runner_post(site, urgent_body)
        latin = report(family_name="Kovalenko", given_name="Maksym", patronymic=None)
        latin["child"]["other_names"] = []
        latin["reporter"].update(relationship="ngo", name="Helping Hands", phone=None)
        second = runner_post(site, latin)
        wait_for(
            lambda: any(
                m["to"] == "south@ombudsman.example.org" and urgent in m["body"]
                for m in runner_outbox(site)
            )
        )
        yield {"site": site, "urgent": urgent, "calm": calm, "second": second}
        output = stop()
    # Whatever staff typed and read, the runner's log names no child and no one typed.
    for personal in ("Коваленко", "Kovalenko", "Мати подзвонила", "iryna@example.org"):
        assert personal not in output
    assert not logged_errors(output), "\n\n".join(logged_errors(output))


def sign_in(page, site: str, subject: str, lang: str = "uk", then: str = "staff") -> None:
    page.goto(f"{site}/staff/sign-in?lang={lang}&next={then}")
    page.click(f"button[value={subject}]")
    page.wait_for_load_state()


def test_a_caseworkers_morning(browser, console, axe, artifacts):
    site, urgent, second = console["site"], console["urgent"], console["second"]

    # (Matching runs on its own time: the pair is listed before her morning begins.)
    waiting = browser.new_context(locale="uk-UA").new_page()
    sign_in(waiting, site, TARAS)

    def pair_listed():
        waiting.goto(f"{site}/staff/cases/{urgent}")
        return waiting.locator(f"a[href$='/matches/{second}']").count()

    wait_for(pair_listed)
    waiting.context.close()

    job = Job(browser, axe, "uk-UA")
    page = job.page
    # Signed in, the urgent case nobody acknowledged is the first thing she sees.
    page.goto(f"{site}/staff/sign-in?lang=uk&next=staff")
    job.click(page.locator(f"button[value={TARAS}]"))
    first = page.locator("section.waiting tbody tr").first
    assert urgent in first.inner_text() and "Терміново" in first.inner_text()
    assert "Коваленко Максим" in first.inner_text()
    job.read("inbox", shot=artifacts)

    # Open it; acknowledge the alert sent to her: it stops escalating.
    job.click(first.locator("a").first)
    job.read("case", shot=artifacts)
    job.click(page.get_by_role("button", name="Підтвердити"))
    expect(page.locator(".notices")).to_contain_text("ескалацію зупинено")

    # Triage with a note; assign to a named colleague, chosen from a list.
    page.fill("#move-note", "Поговорила з матір’ю, дані підтверджено")
    job.click(page.get_by_role("button", name="Первинний розгляд"))
    expect(page.locator("h1")).to_contain_text("Первинно розглянуто")
    # The list starts on no one ("Assign to me" is its own button); each colleague is
    # named with her role in words.
    assignee = page.locator("#assignee")
    expect(assignee).to_have_value("")
    colleague = assignee.locator("option", has_text=OKSANA)
    expect(colleague).to_contain_text("Фахівець зі справ")
    job.choose("#assignee", colleague.get_attribute("value"))
    job.click(page.get_by_role("button", name="Призначити", exact=True))
    expect(page.locator(".summary")).to_contain_text(OKSANA)
    # Names, not ids, on the timeline.
    expect(page.locator(".timeline")).to_contain_text(f"Призначено: {OKSANA}")
    timeline = page.locator(".timeline").inner_text()
    assert "Тарас Бондар" in timeline and f"Призначено: {OKSANA}" in timeline
    words_only(page, "case, worked")
    page.screenshot(path=str(artifacts / "console-case-1366-uk.png"), full_page=True)

    # A Latin spelling finds the Cyrillic case.
    job.click(page.get_by_role("link", name="Пошук"))
    page.fill("#q", "Kovalenko Maksym")
    job.press("Enter")
    page.wait_for_selector("#results-title")
    results = page.locator("table.cases").inner_text()
    assert urgent in results and "Коваленко Максим" in results
    job.read("search")

    # The other report, side by side, confirmed with a note.
    job.click(page.locator("table.cases a", has_text=urgent).first)
    confirming = job.mark()
    job.click(page.locator(f"a[href$='/matches/{second}']").first)
    expect(page.locator("table.compare")).to_contain_text("Kovalenko")
    compare = page.locator("table.compare").inner_text()
    assert "Коваленко" in compare and "Kovalenko" in compare
    job.read("match", shot=artifacts)
    job.check("#d-confirmed")
    page.fill("#decision-note", "Та сама дитина: збігаються ім’я, дата народження, місце")
    job.click(page.get_by_role("button", name="Записати рішення"))
    expect(page.locator(".notices")).to_contain_text("Збіг підтверджено")
    expect(page.locator("#links-title + ul")).to_contain_text(second)
    record(artifacts, "confirming a match (from the case page)", job.since(confirming))
    record(artifacts, "a caseworker's morning (from the sign-in page)", job.since((0, 0)))

    # Signed out while typing a note (her session cookie gone): sign in again, and the
    # note is still there to send.
    page.fill("#note-text", "Мати подзвонила о 9:40")
    job.context.clear_cookies(name="homeward_staff")
    page.get_by_role("button", name="Додати нотатку").click()
    page.wait_for_url("**/staff/sign-in**")
    page.click(f"button[value={TARAS}]")
    page.wait_for_selector("#note-text")
    assert page.input_value("#note-text") == "Мати подзвонила о 9:40"
    page.get_by_role("button", name="Додати нотатку").click()
    expect(page.locator(".timeline")).to_contain_text("Мати подзвонила о 9:40")
    job.close()


def test_a_coordinator_keeps_the_directory(browser, console, axe, artifacts):
    site = console["site"]
    job = Job(browser, axe, "en-GB")
    page = job.page
    sign_in(page, site, "demo-olena-koval", "en", "staff/directory")
    job.read("directory")

    # A contact, its phone written as people write it.
    adding = job.mark()
    job.click(page.get_by_role("link", name="Add a contact"))
    for field, value in {
        "#f-contact_id": "help-kharkiv",
        "#f-name": "Kharkiv helpline",
        "#f-organisation": "Helping Hands (demo)",
        "#f-agency": "UA-HELP",
        "#f-member_state": "UA",
        "#f-email": PARKED,
        "#f-phone": "050 123 45 99",
    }.items():
        page.fill(field, value)
    expect(page.locator("#hint-phone")).to_contain_text("050 123 45 67")
    job.choose("#f-kind", "ngo")
    job.read("contact")
    job.click(page.get_by_role("button", name="Save the contact"))
    expect(page.locator("main")).to_contain_text("Saved.")
    expect(page.locator("main")).to_contain_text("Kharkiv helpline")
    record(artifacts, "a coordinator adding a contact (from the directory)", job.since(adding))

    # A rule that alerts it for Kharkiv oblast: oblast and contact found by typing, each
    # shown as a chip that takes it out again.
    job.click(page.get_by_role("link", name="Add a rule"))
    page.fill("#f-rule_id", "kharkiv-help")
    page.fill("#s-oblasts", "kharkiv")
    job.press("Enter")
    oblasts = page.locator("#f-oblasts .chips li")
    expect(oblasts).to_have_count(1)
    expect(oblasts).to_contain_text("Kharkiv")
    # The search box is empty again, the whole list back: another one ticked is a chip too.
    assert page.input_value("#s-oblasts") == ""
    job.click(page.locator("#f-oblasts label", has_text="Kherson"))
    expect(oblasts).to_have_count(2)
    job.click(page.get_by_role("button", name="Remove: Kherson", exact=False))
    expect(oblasts).to_have_count(1)
    page.fill("#s-contacts", "helpline")
    job.press("Enter")
    expect(page.locator("#f-contacts .chips li")).to_contain_text("Kharkiv helpline")
    job.read("rule")
    job.click(page.get_by_role("button", name="Save the rule"))
    expect(page.locator("main")).to_contain_text("kharkiv-help")

    # A rule that would reach nobody is refused, the reason beside its contacts.
    job.click(page.get_by_role("link", name="Add a rule"))
    page.fill("#f-rule_id", "canada-sms")
    job.check("#f-contacts input[value=ca-liaison]")
    page.uncheck("#f-channel-email")
    job.click(page.get_by_role("button", name="Save the rule"))
    expect(page.locator("[role=alert]")).to_contain_text("reach nobody")
    # In the page's words: the channel as people name it, not the rule's code.
    expect(page.locator("#error-contacts")).to_contain_text("can be reached by SMS")
    assert page.get_attribute("#f-contacts", "aria-invalid") == "true"
    assert page.input_value("#f-rule_id") == "canada-sms"  # everything typed is kept
    assert page.is_checked("#f-contacts input[value=ca-liaison]")
    expect(page.locator("#f-contacts .chips li")).to_contain_text("Canadian liaison")

    # Who a Kharkiv report would reach: the new helpline at once, then the ladder, each
    # rung with its wait.
    page.goto(f"{site}/staff/directory/preview")
    page.select_option("#p-oblast", "UA-63")
    page.select_option("#p-category", "deported")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".rungs > li").first).to_contain_text("Kharkiv helpline")
    reach = page.locator(".rungs > li").first.inner_text()
    assert "Kharkiv helpline" in reach and "Eastern unit" in reach
    expect(page.locator(".rungs > li h3").nth(1)).to_contain_text("after the first alert")
    job.read("preview")

    # A Kharkiv report comes in; the helpline's address refuses it; it is sent again.
    reference = runner_post(site, report(given_name="Петро") | {"residence": {"oblast": "UA-63"}})

    def parked():
        page.goto(f"{site}/staff/deliveries")
        return reference in page.inner_text("main")

    wait_for(parked)
    row = page.locator("tr", has_text=reference)
    assert "Kharkiv helpline" in row.inner_text()
    row.get_by_role("button", name="Send again").click()
    expect(page.locator("[role=status]")).to_contain_text("Sent again")
    job.close()


def test_a_rules_oblasts_are_plain_checkboxes_without_javascript(browser, console):
    page = browser.new_context(locale="en-GB", java_script_enabled=False).new_page()
    sign_in(page, console["site"], "demo-olena-koval", "en", "staff/directory/rules/east")
    # Every oblast in sight, the chosen ones ticked; no search box a script would need.
    assert page.is_checked("#f-oblasts input[value=UA-63]")
    assert page.locator("#f-oblasts input[type=checkbox]").count() == 27
    assert not page.is_visible("#s-oblasts")
    page.check("#f-oblasts input[value=UA-65]")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator("main")).to_contain_text("Saved.")
    page.context.close()


def test_an_auditor_reads_the_trail_and_never_the_case(browser, console, axe):
    site, urgent = console["site"], console["urgent"]
    job = Job(browser, axe, "uk-UA")
    page = job.page
    sign_in(page, site, "demo-nataliia-rudenko")
    assert page.url.endswith("/staff/audit")
    page.fill("#a-reference", urgent.lower())
    job.click(page.get_by_role("button", name="Показати журнал"))
    # A click may return before the form's page has arrived: wait for the trail's page,
    # then for its rows (what the morning's caseworker did, in this module's runner).
    page.wait_for_url(re.compile(r"/staff/audit\?reference="), wait_until="load")
    # The trail is sentences grouped by day: the caseworker's line names her.
    expect(page.locator("ol.trail li", has_text="Тарас Бондар").first).to_be_visible()
    trail = page.inner_text("main")
    assert "Коваленко" not in trail and "Kovalenko" not in trail
    job.read("audit")
    job.click(page.get_by_role("link", name="Журнал запитів людей щодо їхніх даних"))
    job.read("audit-data-requests")
    answer = page.goto(f"{site}/staff/cases/{urgent}")
    assert answer.status == 403 and "Коваленко" not in page.content()
    job.statuses.clear()  # (that 403 is the point)
    job.close()


def test_an_english_reading_liaison_reads_the_case_in_latin_letters_too(browser, console, axe):
    site, urgent = console["site"], console["urgent"]
    job = Job(browser, axe, "en-CA")
    page = job.page
    sign_in(page, site, "demo-claire-dubois", "en")
    row = page.locator("tr", has_text=urgent).first
    expect(row).to_contain_text("Коваленко Максим Андрійович (Kovalenko Maksym Andriiovych)")
    job.read("liaison-inbox")
    job.click(row.locator("a").first)
    expect(page.locator("h1")).to_contain_text(urgent)
    expect(page.locator(".lead")).to_contain_text("(Kovalenko Maksym")
    job.read("liaison-case")
    job.close()


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
        ("exports", "staff/exports"),
        ("not-found", "staff/cases/HW-2222-2222"),
    ],
    "demo-olena-koval": [
        ("directory", "staff/directory"),
        ("contact", "staff/directory/contacts/south-ua-ombudsman"),
        ("rule", "staff/directory/rules/south"),
        ("preview", "staff/directory/preview?oblast=UA-65&category=deported&urgent=yes"),
        ("deliveries", "staff/deliveries"),
        ("data-requests", "staff/data-requests"),
    ],
    "demo-nataliia-rudenko": [("audit", "staff/audit?reference={urgent}")],
}
# What the jobs above read already, at both widths, in that language.
READ_IN_JOBS = {
    "uk": {"inbox", "case", "search", "match", "audit"},
    "en": {"inbox", "case", "directory", "contact", "rule", "preview"},
}
SHOTS = {"statistics", "directory", "rule"}


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_every_other_console_page_passes_axe_and_reads_in_words(
    browser, console, axe, artifacts, lang
):
    site = console["site"]
    # axe is injected as a script, which the console's CSP forbids, rightly.
    context = browser.new_context(bypass_csp=True, viewport=WIDE)
    page = context.new_page()
    page.goto(f"{site}/staff/sign-in?lang={lang}")
    axe(page, f"sign-in ({lang})")
    for person, pages in PAGES.items():
        unread = [(n, p.format(**console)) for n, p in pages if n not in READ_IN_JOBS[lang]]
        if not unread:
            continue
        context.clear_cookies()
        # Signed in straight to the first page to read: the sign-in's own step loads it.
        sign_in(page, site, person, lang, then=quote(unread[0][1], safe="/"))
        for n, (name, path) in enumerate(unread):
            if n:
                page.goto(f"{site}/{path}")
            else:
                page.wait_for_url(lambda url, path=path: url.endswith(f"/{path}"))
            words_only(page, f"{name} ({lang})")
            axe(page, f"{name} ({lang})")
            if lang == "uk":
                # (axe at 360 px for the jobs' pages; here, nothing wider than a phone.)
                page.set_viewport_size(NARROW)
                if name in SHOTS:
                    shot = artifacts / f"console-{name}-360-uk.png"
                    page.screenshot(path=str(shot), full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
                page.set_viewport_size(WIDE)
    context.close()
