"""The coordinator's directory forms as people use them: a rule's oblasts and contacts are
checkboxes (every one in sight, searchable with the script), a phone number is read as
the public form reads it and explained in its words, and the routing preview says when
each rung is alerted."""

from __future__ import annotations

import re

from helpers import Console, assert_words_only, visible

SOUTHERN = "Ombudsman's Office, southern desk (demo)"


def test_a_rules_oblasts_and_contacts_are_checkboxes_with_the_chosen_ones_checked(client):
    coordinator = Console(client, "demo-olena-koval", lang="uk")
    page = coordinator.get("/staff/directory/rules/south").body.decode()
    assert "<select" not in page.split('<select id="f-urgency"')[0].split("<form", 1)[1]
    oblasts = page.split('id="f-oblasts"', 1)[1].split("</fieldset>", 1)[0]
    # Every oblast is there to tick, Kherson among them and ticked.
    assert oblasts.count('type="checkbox"') == 27
    kherson = re.search(r'<input type="checkbox"[^>]*value="UA-65"[^>]*>', oblasts).group(0)
    assert "checked" in kherson
    assert "data-pick" in page.split('id="f-oblasts"', 1)[0].rsplit("<fieldset", 1)[1] + oblasts
    contacts = page.split('id="f-contacts"', 1)[1].split("</fieldset>", 1)[0]
    desk = re.search(r'<input type="checkbox"[^>]*value="south-ua-ombudsman"[^>]*>', contacts)
    assert "checked" in desk.group(0)
    assert f"Southern desk ({SOUTHERN})" in visible(contacts)
    assert_words_only(page)

    # Several ticked are several sent: the rule is saved with them.
    saved = coordinator.post(
        "/staff/directory/rules",
        [
            ("rule_id", "south-two"),
            ("oblasts", "UA-65"),
            ("oblasts", "UA-23"),
            ("categories", "deported"),
            ("contacts", "south-ua-ombudsman"),
            ("contacts", "ua-national-desk"),
            ("channels", "email"),
            ("rung_1", "coord-ua-nib"),
            ("urgency", "any"),
            ("active", "yes"),
        ],
    )
    assert saved.status_code == 303, visible(saved.body.decode())[:600]
    page = coordinator.get("/staff/directory/rules/south-two").body.decode()
    ticked = re.findall(r'<input type="checkbox"[^>]*value="([^"]+)"[^>]*checked', page)
    assert {"UA-65", "UA-23", "deported", "south-ua-ombudsman", "ua-national-desk"} <= set(ticked)
    rung = page.split('id="f-rung_1"', 1)[1].split("</fieldset>", 1)[0]
    assert re.findall(r'value="([^"]+)" checked', rung) == ["coord-ua-nib"]


def test_a_contacts_phone_is_read_as_the_public_form_reads_it(client):
    coordinator = Console(client, "demo-olena-koval", lang="uk")
    form = coordinator.get("/staff/directory/contacts/new").body.decode()
    # The form's own words: the example it gives is one it takes.
    hint = visible(form.split('id="hint-phone"', 1)[1].split("</p>", 1)[0])
    assert "050 123 45 67" in hint and "+48 512 345 678" in hint
    contact = {
        "new": "yes",
        "contact_id": "kherson-help",
        "name": "Херсонська гаряча лінія",
        "organisation": "Helping Hands (demo)",
        "agency": "UA-HELP",
        "kind": "ngo",
        "member_state": "UA",
        "channel_sms": "yes",
        "language_uk": "yes",
        "active": "yes",
    }
    for typed in ("050 123 45 67", "0501234567"):
        saved = coordinator.post("/staff/directory/contacts", {**contact, "phone": typed})
        assert saved.status_code == 303, (typed, visible(saved.body.decode())[:600])
        page = coordinator.get("/staff/directory/contacts/kherson-help").body.decode()
        assert 'value="+380501234567"' in page
        contact["new"] = "no"
    wrong = coordinator.post("/staff/directory/contacts", {**contact, "phone": "050 123"})
    assert wrong.status_code == 422
    error = visible(wrong.body.decode().split('id="error-phone"', 1)[1].split("</p>", 1)[0])
    assert "050 123 45 67" in error
    assert 'value="050 123"' in wrong.body.decode()  # what was typed is kept


def test_the_routing_preview_says_when_each_rung_is_alerted(client):
    coordinator = Console(client, "demo-olena-koval", lang="en")
    page = coordinator.get(
        "/staff/directory/preview?oblast=UA-65&category=deported&urgent=yes"
    ).body.decode()
    rungs = [visible(h) for h in re.findall(r"<h3>(.*?)</h3>", page.split('class="rungs"', 1)[1])]
    # The demo's urgent wait is the stage's default, 15 minutes a rung.
    assert rungs[0].strip() == "At once"
    assert "Escalation 1: 15 min after the first alert, if nobody acknowledged" in rungs[1]
    assert "the coordinators, 30 min after the first alert" in rungs[-1]
    calm = coordinator.get(
        "/staff/directory/preview?oblast=UA-65&category=deported&urgent=no"
    ).body.decode()
    assert "Escalation 1: 24 h after the first alert" in visible(calm)
    assert_words_only(page)


def test_a_service_provider_edited_in_the_console_keeps_its_services_and_oblasts(client):
    """The contact form knew four kinds of organisation and no services: saving a clinic
    made it a national authority offering everything everywhere, or was refused."""
    coordinator = Console(client, "demo-olena-koval", lang="uk")
    page = coordinator.get("/staff/directory/contacts/med-ua-clinic").body.decode()
    kind = page.split('id="f-kind"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'value="service_provider" selected>Надавач послуг', kind)
    ticked = set(re.findall(r'<input type="checkbox"[^>]*value="([^"]+)"[^>]*checked', page))
    assert {"health", "UA-30", "UA-32"} <= ticked and "legal" not in ticked
    assert_words_only(page)

    # Saved again as the page offers it, less Kyiv oblast.
    fields = [
        ("contact_id", "med-ua-clinic"),
        ("name", "Clinic reception"),
        ("organisation", "Children's clinic, Kyiv (demo)"),
        ("agency", "UA-CLINIC"),
        ("kind", "service_provider"),
        ("member_state", "UA"),
        ("email", "reception@clinic.example.org"),
        ("language_uk", "yes"),
        ("channel_email", "yes"),
        ("active", "yes"),
        ("services", "health"),
        ("oblasts", "UA-30"),
    ]
    saved = coordinator.post("/staff/directory/contacts", fields)
    assert saved.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', saved.body.decode())
    again = coordinator.get("/staff/directory/contacts/med-ua-clinic").body.decode()
    ticked = set(re.findall(r'<input type="checkbox"[^>]*value="([^"]+)"[^>]*checked', again))
    assert {"health", "UA-30"} <= ticked and "UA-32" not in ticked
