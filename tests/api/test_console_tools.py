"""What only the API could do, in the console: exporting cases, break-glass with its
reason, a person's requests about their data. The same services answer, so the same
people may, and the same entries reach the audit trail, read there in words."""

from __future__ import annotations

import copy
import json
import re

import pytest
from helpers import Console, assert_words_only, post_report, visible

from chalicelib import wiring

CANADA = {
    "subject": "test-claire-martin",
    "name": "Claire Martin",
    "role": "coordinator",
    "agency": "CA-GAC",
    "email": "claire.martin@coalition-ca.example.org",
}


@pytest.fixture
def reference(client, pump, report_body):
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def test_a_caseworker_exports_her_cases_and_each_is_in_its_trail(client, reference):
    south = Console(client, "demo-taras-bondar", lang="uk")
    form = south.get("/staff/exports").body.decode()
    assert_words_only(form)
    wrong = south.post("/staff/exports", {"format": "csv", "since": "31.02.2026"})
    assert wrong.status_code == 422
    assert 'value="31.02.2026"' in wrong.body.decode()
    assert "Напишіть дату як день, місяць і рік" in visible(wrong.body.decode())
    sent = south.post("/staff/exports", {"format": "csv", "oblast": "UA-65", "since": "1.1.2020"})
    assert sent.status_code == 200
    assert sent.headers["Content-Type"].startswith("text/csv")
    assert sent.headers["Content-Disposition"].startswith('attachment; filename="homeward-cases-')
    assert reference in sent.body.decode() and "Ковальчук" in sent.body.decode()
    # A workbook is kept in the bucket: a link, and until when it works, in words.
    workbook = south.post("/staff/exports", {"format": "xlsx"}).body.decode()
    assert "Експортовано 1 справу." in visible(workbook)
    link = re.search(r'<a href="([^"]+)">Завантажити файл</a>', workbook).group(1)
    assert "exports/" in link and ".xlsx" in link
    assert_words_only(workbook)
    none = south.post("/staff/exports", {"format": "csv", "oblast": "UA-32"})
    assert reference not in none.body.decode()
    auditor = Console(client, "demo-nataliia-rudenko", lang="uk")
    trail = visible(auditor.get(f"/staff/audit?reference={reference}").body.decode())
    assert f"експортовано справу {reference}" in trail and "Тарас Бондар" in trail


def test_break_glass_asks_a_reason_in_words_and_the_auditor_reads_it_in_words(
    client, pump, report_body, monkeypatch
):
    body = copy.deepcopy(report_body)
    body["consent"]["share_with_coalition"] = False
    reference = post_report(client, body).json_body["reference"]
    pump.run_until_idle()
    monkeypatch.setattr(wiring, "local_staff", [*wiring.local_staff, CANADA])
    canada = Console(client, CANADA["subject"], lang="en")
    case = canada.get(f"/staff/cases/{reference}").body.decode()
    assert "See what is withheld (break-glass)" in case
    assert "asthma" not in case
    form = canada.get(f"/staff/cases/{reference}/break-glass").body.decode()
    assert "The child&#39;s life or health is in danger" in form
    assert_words_only(form)
    words = "The mother called: the boy is ill and must be found"
    refused = canada.post(f"/staff/cases/{reference}/break-glass", {"explanation": words})
    assert refused.status_code == 422
    assert words in refused.body.decode()  # what was typed is kept
    assert "Choose why you must see what is withheld." in visible(refused.body.decode())
    opened = canada.post(
        f"/staff/cases/{reference}/break-glass",
        {"reason": "child_at_risk", "explanation": words},
    )
    assert opened.status_code == 303
    case = canada.get(f"/staff/cases/{reference}?done=break-glass").body.decode()
    assert "asthma" in case and "the auditors were told" in case

    # Not a coordinator's colleague: a caseworker has no such page.
    south = Console(client, "demo-taras-bondar", lang="en")
    assert south.get(f"/staff/cases/{reference}/break-glass").status_code == 403

    auditor = Console(client, "demo-nataliia-rudenko", lang="uk")
    trail = auditor.get(f"/staff/audit?reference={reference}").body.decode()
    assert "життю чи здоров'ю дитини загрожує небезпека" in visible(trail)
    assert "child_at_risk" not in trail and "ill" not in visible(trail)
    assert_words_only(trail)


def test_a_coordinator_answers_a_persons_data_requests_from_the_console(client, reference):
    coordinator = Console(client, "demo-olena-koval", lang="uk")
    form = coordinator.get("/staff/data-requests").body.decode()
    assert_words_only(form)
    unknown = coordinator.post("/staff/data-requests/export", {"person": "мама Сашка"})
    assert unknown.status_code == 422 and 'value="мама Сашка"' in unknown.body.decode()
    # A number as people write it finds the reporter's case: a file to hand to her.
    held = coordinator.post("/staff/data-requests/export", {"person": "050 123 45 67"})
    assert held.status_code == 200, visible(held.body.decode())[:500]
    assert held.headers["Content-Disposition"].startswith("attachment;")
    (case,) = json.loads(held.body)["cases"]
    assert case["reference"] == reference
    assert case["report"]["reporter"]["email"] == "iryna@example.org"
    nobody = coordinator.post("/staff/data-requests/export", {"person": "nobody@example.org"})
    assert "Про цю людину немає нічого" in visible(nobody.body.decode())
    unconfirmed = coordinator.post("/staff/data-requests/erase", {"person": "iryna@example.org"})
    assert unconfirmed.status_code == 422
    erased = coordinator.post(
        "/staff/data-requests/erase", {"person": "Iryna@Example.org", "confirm": "yes"}
    )
    assert erased.status_code == 200 and reference in visible(erased.body.decode())
    again = coordinator.post("/staff/data-requests/export", {"person": "iryna@example.org"})
    assert again.headers["Content-Type"].startswith("text/html")

    # A caseworker may not; the auditor reads who did, in words, and never the address.
    south = Console(client, "demo-taras-bondar", lang="uk")
    assert south.get("/staff/data-requests").status_code == 403
    auditor = Console(client, "demo-nataliia-rudenko", lang="uk")
    trail = auditor.get("/staff/audit/data-requests").body.decode()
    text = visible(trail)
    assert "Олена Коваль" in text and reference in text
    assert "iryna" not in trail.lower() and "050" not in text
    assert_words_only(trail)
    on_case = visible(auditor.get(f"/staff/audit?reference={reference}").body.decode())
    assert f"заявнику справи {reference} видано все, що про нього зберігається" in on_case
    assert f"стерто контактні дані заявника справи {reference} (знайдено за e-mail)" in on_case
