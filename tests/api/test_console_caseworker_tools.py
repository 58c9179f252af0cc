"""What a caseworker with sixty open cases needs, in process: a reference found as it is
read aloud (without "HW-"), a match compared field by field in words, the case page with
what matters first, the case list filtered and worked in bulk."""

from __future__ import annotations

import pytest
from helpers import Console, assert_words_only, post_report, visible


@pytest.fixture
def reference(client, pump, report_body):
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


@pytest.mark.parametrize("typed", ["{tail}", "{tail_lower}", "{spaced}", "HW {spaced}"])
def test_a_reference_without_hw_finds_the_case_in_the_console_and_the_api(
    client, reference, staff, typed
):
    tail = reference.removeprefix("HW-")
    typed = typed.format(tail=tail, tail_lower=tail.lower(), spaced=tail.replace("-", " "))
    south = Console(client, "demo-taras-bondar", lang="uk")
    south.get("/staff/search")
    found = south.post("/staff/search", {"q": typed})
    assert found.status_code == 303, typed
    assert found.headers["Location"].endswith(f"staff/cases/{reference}")
    api = staff("caseworker", "UA-OMBUDSMAN").post("/search", {"q": typed}).json_body
    assert [c["reference"] for c in api["cases"]] == [reference]
    # Another agency's caseworker learns nothing from the short form either.
    east = staff("caseworker", "UA-JUVPOL").post("/search", {"q": typed}).json_body
    assert east["cases"] == []


def test_a_search_without_hw_that_finds_nothing_says_so_in_words(client, reference):
    south = Console(client, "demo-taras-bondar", lang="uk")
    south.get("/staff/search")
    page = south.post("/staff/search", {"q": "2222-3333"})
    assert page.status_code == 200
    assert "нічого не знайдено" in visible(page.body.decode())
    assert_words_only(page.body.decode())


def _a_pair_with_a_photo(client, pump, aws, report_body) -> tuple[str, str]:
    """The mother's report through the form with a photo; a partner's of the same child
    in Latin letters, a few days and words apart, without one."""
    import boto3
    from formdata import form_fields, form_key, post_form
    from helpers import photo_jpeg

    key = form_key("match-photo-0001")
    boto3.client("s3").put_object(
        Bucket=aws["UploadsBucketName"],
        Key=f"uploads/{key}/1",
        Body=photo_jpeg(),
        ContentType="image/jpeg",
    )
    fields = form_fields(submission_key=key)
    fields["upload"] = ["1"]
    filed = post_form(client, fields)
    assert filed.status_code == 201, filed.body
    latin = {
        **report_body,
        "child": {
            **report_body["child"],
            "family_name": "Kovalchuk",
            "given_name": "Oleksandr",
            "patronymic": "Andriiovych",
            "other_names": ["Sasha"],
            "distinguishing_marks": "a scar over his left eyebrow",
        },
        "residence": {"oblast": "UA-65", "settlement": "Oleshky"},
        "event": {**report_body["event"], "date": "2022-10-22", "place": "Oleshky"},
        "last_known_location": {
            "country": "RU",
            "region": "Krasnodarskii krai",
            "settlement": None,
            "institution": "Camp Druzhba",
        },
    }
    second = post_report(client, latin).json_body["reference"]
    pump.run_until_idle()
    south = Console(client, "demo-taras-bondar", lang="uk")
    page = south.get(f"/staff/cases/{second}").body.decode()
    first = page.split("/matches/", 1)[1].split('"', 1)[0]
    return first, second


def test_match_review_compares_every_tracing_field_with_a_verdict_and_a_reason(
    client, pump, aws, report_body
):
    first, second = _a_pair_with_a_photo(client, pump, aws, report_body)
    south = Console(client, "demo-taras-bondar", lang="uk")
    page = south.get(f"/staff/cases/{second}/matches/{first}")
    assert page.status_code == 200
    html = page.body.decode()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {
        visible("<tr" + row.split("</th>", 1)[0]).strip(): visible(row.split("</th>", 1)[1])
        for row in table.split("<tr")[1:]
    }
    expected = {
        "Прізвище": ("однаково", "те саме ім’я іншим письмом"),
        "Ім’я": ("однаково", "те саме ім’я іншим письмом"),
        "По батькові": ("однаково", "те саме ім’я іншим письмом"),
        "Інші імена": ("однаково", "одне з імен спільне"),
        "Дата народження": ("однаково", "той самий день"),
        "Стать": ("однаково", "та сама стать"),
        "Місце проживання": ("однаково", "та сама область і населений пункт"),
        "Дата події": ("схоже", "у межах тижня одна від одної"),
        "Місце події": ("схоже", "спільна назва місця"),
        "Останнє відоме місце": ("однаково", "той самий регіон"),
        "Останній відомий заклад": ("нема з чим порівняти", "є лише в одному"),
        "Особливі прикмети": ("порівняйте самі", "прочитайте обидва описи"),
        "Фото": ("нема з чим порівняти", "є лише в одному"),
    }
    for name, words in expected.items():
        assert name in rows, (name, list(rows))
        for said in words:
            assert said in rows[name], (name, said, rows[name])
    # The mother's photo, small, inside the page; its showing is on the case's trail.
    photo_row = table.split("<tr")[-2]
    assert photo_row.count('<img src="data:image/jpeg;base64,') == 1
    assert f'alt="Фото 1 зі справи {first}"' in photo_row
    auditor = Console(client, "demo-nataliia-rudenko", lang="uk")
    trail = visible(auditor.get(f"/staff/audit?reference={first}").body.decode())
    assert f"відкрито файл справи {first}" in trail
    assert_words_only(html)
    english = Console(client, "demo-taras-bondar", lang="en")
    html = english.get(f"/staff/cases/{second}/matches/{first}").body.decode()
    assert "within a week of each other" in visible(html)
    assert "the same name in another script, spelling or form" in visible(html)
    assert_words_only(html)


def test_the_case_page_puts_danger_medical_needs_and_who_waits_first(client, pump, report_body):
    report_body["urgent"] = True
    report_body["child"]["medical_needs"] = "Діабет: інсулін щодня"
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    south = Console(client, "demo-taras-bondar", lang="uk")
    html = south.get(f"/staff/cases/{reference}").body.decode()
    first = visible(html.split('id="first-title"', 1)[1].split("</section>", 1)[0])
    assert "Терміново: за словами повідомника, дитина зараз у небезпеці." in first
    assert "Медичні потреби: Діабет: інсулін щодня" in " ".join(first.split())
    assert "Сповіщення: ще ніхто не підтвердив" in " ".join(first.split())
    assert "Чекає на новини: Батько чи мати дитини (Ковальчук Ірина)" in " ".join(first.split())
    assert "Можна зв’язатися, українською." in first
    # Before everything else: the forms, the report, the timeline.
    for later in ('id="work-title"', 'id="report-title"', 'id="timeline-title"'):
        assert html.index('id="first-title"') < html.index(later), later
    assert_words_only(html)
    # Once acknowledged, it says so and when, in words.
    mine = html.split('name="delivery_id" value="', 1)[1].split('"', 1)[0]
    south.post(f"/staff/cases/{reference}/acknowledge", {"delivery_id": mine})
    html = south.get(f"/staff/cases/{reference}").body.decode()
    first = " ".join(
        visible(html.split('id="first-title"', 1)[1].split("</section>", 1)[0]).split()
    )
    assert "Сповіщення: підтверджено " in first
    assert_words_only(html)


def _three_cases(client, pump, report_body) -> dict[str, str]:
    """Three Kherson reports: the contract's boy (born 2012), a girl (born in 2018, the
    year only) and an urgent boy (born 2009)."""
    import copy

    girl = copy.deepcopy(report_body)
    girl["child"].update(
        given_name="Дарина", sex="female", date_of_birth=None, birth_year=2018, other_names=[]
    )
    older = copy.deepcopy(report_body)
    older["child"].update(given_name="Петро", date_of_birth="2009-05-02", other_names=[])
    older["urgent"] = True
    found = {
        name: post_report(client, body).json_body["reference"]
        for name, body in (("boy", report_body), ("girl", girl), ("older", older))
    }
    pump.run_until_idle()
    return found


def _listed(page) -> set[str]:
    html = page.body.decode()
    if 'id="cases-caption"' not in html:
        return set()
    table = html.split('id="cases-caption"', 1)[1].split("</table>", 1)[0]
    import re

    return set(re.findall(r'name="case" value="(HW-[A-Z0-9-]+)"', table))


def test_the_case_list_filters_by_sex_age_received_dates_and_flags(client, pump, report_body):
    import datetime as dt

    cases = _three_cases(client, pump, report_body)
    south = Console(client, "demo-taras-bondar", lang="uk")
    today = dt.datetime.now(dt.UTC)
    # Ranges that hold a year and more from now (the suite also runs 400 days ahead): the
    # boy is 14 or 15, the girl (the year only) 7 to 9, the older boy 17 or 18.
    assert _listed(south.get("/staff?sex=female")) == {cases["girl"]}
    assert _listed(south.get("/staff?age_from=13&age_to=16")) == {cases["boy"]}
    assert _listed(south.get("/staff?age_to=10")) == {cases["girl"]}
    assert _listed(south.get("/staff?sex=male&age_from=17")) == {cases["older"]}
    assert _listed(south.get("/staff?sex=female&age_from=13")) == set()
    everything = set(cases.values())
    assert _listed(south.get("/staff?unassigned=yes")) == everything
    south.get(f"/staff/cases/{cases['boy']}")
    south.post(
        f"/staff/cases/{cases['boy']}/assign", {"assignee": "demo-taras-bondar", "version": "1"}
    )
    assert _listed(south.get("/staff?unassigned=yes")) == {cases["girl"], cases["older"]}
    assert _listed(south.get("/staff?unacknowledged=yes")) == everything - {cases["boy"]}
    day = f"{today:%d.%m.%Y}"
    tomorrow = f"{today + dt.timedelta(days=1):%d.%m.%Y}"
    assert _listed(south.get(f"/staff?since={day}&until={day}")) == everything
    assert _listed(south.get(f"/staff?since={tomorrow}")) == set()
    wrong = south.get("/staff?since=31.02.2026")
    assert "Напишіть дату як день, місяць і рік" in wrong.body.decode()
    assert 'value="31.02.2026"' in wrong.body.decode()  # kept as typed
    assert_words_only(wrong.body.decode())


def test_ticked_cases_are_assigned_together_and_exported_through_the_policy(
    client, pump, report_body, staff
):
    cases = _three_cases(client, pump, report_body)
    south = Console(client, "demo-taras-bondar", lang="uk")
    south.get("/staff")
    ticked = [("case", cases["boy"]), ("case", cases["girl"]), ("case", "HW-2222-3333")]
    done = south.post(
        "/staff/cases/chosen",
        [*ticked, ("action", "assign"), ("assignee", "demo-oksana-hrytsenko")],
    )
    assert done.status_code == 303
    page = south.get("/staff?" + done.headers["Location"].split("?", 1)[1]).body.decode()
    assert "Призначено 2 справи." in page
    assert "1 справу не призначено" in page
    api = staff("caseworker", "UA-OMBUDSMAN")
    for name in ("boy", "girl"):
        assert api.get(f"/cases/{cases[name]}").json_body["assignee"] == "demo-oksana-hrytsenko"
    assert api.get(f"/cases/{cases['older']}").json_body["assignee"] is None
    nothing = south.post("/staff/cases/chosen", [("action", "assign"), ("assignee", "")])
    assert "done=tick-first" in nothing.headers["Location"]
    # Exported: the ticked cases only, never a sealed field, each export on the trail.
    south.get("/staff")
    exported = south.post("/staff/cases/chosen", [*ticked, ("action", "export")])
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    body = exported.body.decode()
    assert cases["boy"] in body and cases["girl"] in body and cases["older"] not in body
    assert "iryna@example.org" not in body and "asthma" not in body
    auditor = Console(client, "demo-nataliia-rudenko", lang="uk")
    trail = visible(auditor.get(f"/staff/audit?reference={cases['girl']}").body.decode())
    assert f"експортовано справу {cases['girl']}" in trail
