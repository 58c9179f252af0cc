"""The console speaks words, not codes: corrections and the timeline in words, names in
Latin letters for a reader of English, the auditor's trail as sentences, assign to me,
the refusal of a routing rule in the page's language, /staff/ and HEAD, an expired
session explained."""

from __future__ import annotations

import re

import pytest
from helpers import Console, assert_words_only, post_report, visible


@pytest.fixture
def reference(client, pump, report_body):
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def test_a_corrected_date_and_sex_read_in_words_and_a_typed_date_is_accepted(client, reference):
    south = Console(client, "demo-taras-bondar", lang="uk")
    page = south.get(f"/staff/cases/{reference}").body.decode()
    assert "Стать: хлопчик" in visible(page) or "Стать: Хлопчик" in visible(page)
    fixed = south.post(
        f"/staff/cases/{reference}/correct",
        {
            "field": "child.date_of_birth",
            "value": "14.03.2013",
            "reason": "Свідоцтво про народження",
            "version": "1",
        },
    )
    assert fixed.status_code == 303, fixed.body
    page = south.get(f"/staff/cases/{reference}").body.decode()
    timeline = visible(page.split('id="timeline-title"', 1)[1])
    assert "«14 березня 2012\u202fр.» → «14 березня 2013\u202fр.»" in timeline
    assert_words_only(page)


def test_the_english_console_gives_the_childs_name_in_latin_letters_too(client, reference):
    liaison = Console(client, "demo-claire-dubois", lang="en")
    page = liaison.get(f"/staff/cases/{reference}").body.decode()
    assert "Ковальчук Олександр Андрійович (Kovalchuk Oleksandr Andriiovych)" in page
    inbox = liaison.get("/staff").body.decode()
    assert "(Kovalchuk Oleksandr Andriiovych)" in inbox
    assert_words_only(page)
    # The Ukrainian console shows the names as reported.
    south = Console(client, "demo-taras-bondar", lang="uk")
    assert "Kovalchuk" not in south.get(f"/staff/cases/{reference}").body.decode()


def test_assign_to_me_comes_first_and_the_colleague_list_starts_empty(client, reference):
    south = Console(client, "demo-taras-bondar", lang="en")
    page = south.get(f"/staff/cases/{reference}").body.decode()
    assert page.index('id="assign-me"') < page.index('id="assignee"')
    chooser = page.split('id="assignee"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option value="" selected>', chooser)
    mine = south.post(
        f"/staff/cases/{reference}/assign", {"assignee": "demo-taras-bondar", "version": "1"}
    )
    assert mine.status_code == 303
    page = south.get(f"/staff/cases/{reference}").body.decode()
    assert 'id="assign-me"' not in page and "Тарас Бондар" in page
    refused = south.post(f"/staff/cases/{reference}/assign", {"assignee": "", "version": "2"})
    assert refused.status_code == 422


def test_the_auditors_trail_reads_as_sentences_grouped_by_day_and_filtered(client, reference):
    south = Console(client, "demo-taras-bondar", lang="uk")
    for _ in range(3):
        south.get("/staff")
    south.get(f"/staff/cases/{reference}")
    south.post(
        f"/staff/cases/{reference}/status",
        {"status": "triaged", "note": "Поговорив з матір’ю", "version": "1"},
    )
    auditor = Console(client, "demo-nataliia-rudenko", lang="uk")
    page = auditor.get(f"/staff/audit?reference={reference}").body.decode()
    text = visible(page)
    assert "Тарас Бондар" in text
    assert f"відкрито справу {reference}" in text
    assert f"статус справи {reference} змінено з «Отримано» на «Первинно розглянуто»" in text
    # Every read of the list that day is one line.
    assert text.count(f"справа {reference} у списку справ") == 1
    assert re.search(rf"справа {reference} у списку справ \(разів: \d+\)", text)
    assert_words_only(page)
    only = auditor.get(f"/staff/audit?reference={reference}&action=status").body.decode()
    assert "у списку справ" not in visible(only) and "змінено з" in visible(only)
    nobody = auditor.get(
        f"/staff/audit?reference={reference}&person=demo-olena-koval"
    ).body.decode()
    assert "У журналі немає нічого за цими умовами." in nobody
    wrong = auditor.get(f"/staff/audit?reference={reference}&since=31.02.2026").body.decode()
    assert "Напишіть дату як день, місяць і рік" in wrong


def test_a_refused_rule_explains_itself_in_the_pages_language(client):
    coordinator = Console(client, "demo-olena-koval", lang="uk")
    coordinator.get("/staff/directory/rules/canada-liaison")
    refused = coordinator.post(
        "/staff/directory/rules",
        {
            "rule_id": "canada-liaison",
            "description": "Канадський зв’язковий",
            "contacts": "ca-liaison",
            "channels": "sms",
            "oblasts": "UA-65",
            "urgency": "any",
            "active": "yes",
        },
    )
    assert refused.status_code == 409, refused.body[:400]
    text = visible(refused.body.decode())
    assert "жоден активний контакт недосяжний через SMS" in text
    assert "reachable by" not in text
    directory = coordinator.get("/staff/directory").body.decode()
    rules = visible(directory.split('id="rules-title"', 1)[1])
    assert "Canadian liaison" in rules and "1: ua-national-desk" not in rules


def test_staff_with_a_slash_and_head_answer_like_the_page(client):
    bare = client.http.get("/staff/")
    assert bare.status_code == 303
    assert bare.headers["Location"].startswith("../staff/sign-in")
    head = client.http.request("HEAD", "/staff/sign-in")
    assert head.status_code == 200 and not head.body


def test_a_session_that_ended_says_so_before_the_sign_in(client, reference):
    south = Console(client, "demo-taras-bondar", lang="en")
    south.get("/staff")
    # The session cookie of a session that is over: signed, but past its idle time.
    from chalicelib.web.console import session

    sealed = south.cookies[session.SESSION]
    found = session.unseal(session.SESSION, sealed)
    found["idle_until"] = 0
    south.cookies[session.SESSION] = session.seal(session.SESSION, found)
    sent = client.http.get("/staff", headers=south.headers)
    assert sent.status_code == 303 and "why=expired" in sent.headers["Location"]
    page = client.http.get("/staff/sign-in?why=expired&lang=en").body.decode()
    assert "Your session ended" in page and "minutes without activity" in page
