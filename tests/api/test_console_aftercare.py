"""The console's return pages in process: a caseworker walks the child home and refers
them, a coordinator lists and exports for a mediator and approves a closure, and the
provider answers in its own inbox, all in words."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import Console, post_report


@pytest.fixture
def reference(client, pump, report_body):
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def test_a_child_walked_home_referred_answered_and_closed_in_the_console(client, reference):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    south = Console(client, "demo-taras-bondar", lang="uk")
    page = f"/staff/cases/{reference}/return"
    assert (
        "Повернення і допомога після нього" in south.get(f"/staff/cases/{reference}").body.decode()
    )
    for stage in ("located", "verified", "on_mediation_list", "in_transit", "returned"):
        south.get(page)
        done = south.post(f"{page}/step", {"stage": stage, "on": today, "how": "перевірено"})
        assert done.status_code == 303, done.body
    text = south.get(page).body.decode()
    steps = text.split('id="pathway-title"', 1)[1].split("<form", 1)[0]
    assert "Повернуто" in steps and "returned" not in steps
    assert today not in steps and " р." in steps.replace("\u202f", " ")  # in words
    # Without the family's consent, a caseworker's referral comes back refused, in words.
    refused = south.post(
        f"{page}/refer",
        {"service": "psychosocial", "provider": "UA-HOPE", "note": "погано спить", "due": today},
    )
    assert refused.status_code == 422 and "погано спить" in refused.body.decode()
    south.post(f"{page}/consent", {"services": "yes", "disclosure": "yes"})
    south.get(page)
    south.post(
        f"{page}/refer",
        {"service": "psychosocial", "provider": "UA-HOPE", "note": "погано спить", "due": today},
    )
    assert "Чекає на відповідь надавача" in south.get(page).body.decode()

    provider = Console(client, "demo-iryna-melnyk", lang="uk")
    inbox = provider.get("/staff/referrals").body.decode()
    assert "Психологічна підтримка: Олександр Ковальчук" in inbox
    assert "Олешки" not in inbox and "iryna@example.org" not in inbox
    assert provider.get(f"/staff/cases/{reference}").status_code == 403
    form = inbox.split('action="', 2)[-1].split('"', 1)[0]
    assert provider.post(f"/{form.lstrip('./')}", {"status": "accepted"}).status_code == 303
    provider.get("/staff/referrals")
    assert provider.post(f"/{form.lstrip('./')}", {"status": "done"}).status_code == 303
    assert "Виконано" in south.get(page).body.decode()

    south.post(f"{page}/closure", {"closure": "goals_met", "note": "план виконано"})
    coordinator = Console(client, "demo-olena-koval", lang="uk")
    waiting = coordinator.get("/staff/closures").body.decode()
    assert "Цілі плану справи досягнуто: план виконано" in waiting
    assert (
        coordinator.post(
            "/staff/closures/decide", {"reference": reference, "decision": "approve"}
        ).status_code
        == 303
    )
    assert "Жодне закриття не чекає" in coordinator.get("/staff/closures").body.decode()
    figures = coordinator.get("/staff/statistics/return").body.decode()
    stages = figures.split('id="stages-title"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Повернуто</th><td>1</td>' in stages
    assert "Херсонська" in figures and "UA-65" not in figures
    assert south.get("/staff/statistics/return").status_code == 403


def test_a_coordinator_builds_and_exports_a_mediation_list_in_the_console(client, reference):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    south = Console(client, "demo-taras-bondar")
    for stage in ("located", "verified"):
        south.get(f"/staff/cases/{reference}/return")
        south.post(
            f"/staff/cases/{reference}/return/step", {"stage": stage, "on": today, "how": "x"}
        )
    coordinator = Console(client, "demo-olena-koval")
    coordinator.get("/staff/mediation-lists")
    assert coordinator.post("/staff/mediation-lists", {"mediator": "Qatar"}).status_code == 303
    page = coordinator.get("/staff/mediation-lists").body.decode()
    list_id = page.split("/staff/mediation-lists/", 1)[1].split("/", 1)[0]
    added = coordinator.post(f"/staff/mediation-lists/{list_id}/children", {"reference": reference})
    assert added.status_code == 303
    coordinator.get("/staff/mediation-lists")
    export = coordinator.post(f"/staff/mediation-lists/{list_id}/export", {}).body.decode()
    table = export.split('id="export"', 1)[1].split("</table>", 1)[0]
    assert "Ковальчук Олександр Андрійович" in table and "Krasnodar Krai" in table
    for withheld in ("Олешки", "iryna@example.org", "inhaler", "recreation camp"):
        assert withheld not in export
    assert Console(client, "demo-taras-bondar").get("/staff/mediation-lists").status_code == 403


def test_the_referral_form_offers_the_providers_covering_the_childs_oblast_with_their_services(
    client, reference
):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    south = Console(client, "demo-taras-bondar", lang="uk")
    page = f"/staff/cases/{reference}/return"
    for stage in ("located", "verified", "on_mediation_list", "in_transit", "returned"):
        south.get(page)
        done = south.post(f"{page}/step", {"stage": stage, "on": today, "how": "x"})
        assert done.status_code == 303, done.body
    text = south.get(page).body.decode()
    select = text.split('id="refer-provider"', 1)[1].split("</select>", 1)[0]
    # The psychologists, with what they offer; not the Kyiv clinic (the child is in Kherson).
    assert "Психологічна підтримка" in select and "Правова допомога" in select
    assert 'value="UA-HOPE"' in select and "UA-CLINIC" not in select


def test_a_refused_step_is_said_in_the_pages_language_not_the_domains_english(
    client, reference, pump
):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    south = Console(client, "demo-taras-bondar", lang="uk")
    page = f"/staff/cases/{reference}/return"
    south.get(page)
    done = south.post(f"{page}/step", {"stage": "located", "on": today, "how": "x"})
    assert done.status_code == 303, done.body
    # The desk's alert of the step waits on the case page under its own name.
    pump.run_until_idle()
    assert "Крок повернення дитини" in south.get(f"/staff/cases/{reference}").body.decode()
    south.get(page)
    # "Returned" straight after "located": refused, in Ukrainian, naming what may follow.
    refused = south.post(f"{page}/step", {"stage": "returned", "on": today, "how": "x"})
    text = refused.body.decode()
    assert refused.status_code == 422
    assert "Цей крок не може йти за останнім кроком дитини." in text
    assert "Далі можна перейти до: Перевірено." in text
    assert "can move to" not in text and "a child who is" not in text
    south.get(page)
    empty = south.post(f"{page}/step", {"stage": "verified", "on": today, "how": " "})
    assert "Кожен крок потребує примітки: як або чому." in empty.body.decode()
