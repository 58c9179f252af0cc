"""Matching end to end: new reports are matched off the request path, staff review them."""

import json

import pytest
from helpers import post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from infra.local.emulator import REGION


def same_child_in_russian(body: dict) -> dict:
    """The CONTRACT child as a Russian adoption listing might give him: new surname, year only."""
    body["child"].update(
        family_name="Смирнов",
        given_name="Александр",
        patronymic="Андреевич",
        other_names=[],
        date_of_birth=None,
        birth_year=2012,
    )
    body["residence"]["settlement"] = "Алёшки"
    body["reporter"].update(relationship="witness", name=None)
    return body


def twin_sister(body: dict) -> dict:
    body["child"].update(given_name="Олена", sex="female", other_names=[])
    return body


@pytest.fixture
def reported(client, pump, report_body):
    """The CONTRACT report, then the same child in Latin letters, then his twin sister."""
    first = post_report(client, report_body).json_body
    latin = json.loads(json.dumps(report_body))
    latin["child"].update(
        family_name="Kovalchuk",
        given_name="Oleksandr",
        patronymic="Andriiovych",
        other_names=["Sasha"],
    )
    second = post_report(client, latin).json_body
    # What a reporter gets back is the same whether or not the child was reported before.
    assert first.keys() == second.keys()
    third = post_report(client, twin_sister(json.loads(json.dumps(report_body)))).json_body
    pump.run_until_idle()
    return first["reference"], second["reference"], third["reference"]


def test_the_same_child_in_latin_letters_is_a_likely_match(staff, reported):
    first, second, twin = reported
    found = staff("coordinator").get(f"/cases/{second}/matches").json_body["matches"]
    assert [m["reference"] for m in found] == [first]
    match = found[0]
    assert (match["verdict"], match["review"]) == ("likely", "potential")
    assert match["explanation"]["given_name"] == "match"
    assert match["explanation"]["date_of_birth"] == "match"
    # The twin sister is never taken for him.
    twin_matches = staff("coordinator").get(f"/cases/{twin}/matches").json_body["matches"]
    assert all(m["verdict"] != "likely" for m in twin_matches)


def test_a_russian_form_with_an_adoptive_surname_is_at_least_possible(
    client, pump, staff, report_body
):
    first = post_report(client, report_body).json_body["reference"]
    second = post_report(client, same_child_in_russian(json.loads(json.dumps(report_body))))
    pump.run_until_idle()
    found = staff("coordinator").get(f"/cases/{first}/matches").json_body["matches"]
    assert [(m["reference"], m["verdict"]) for m in found] == [
        (second.json_body["reference"], "possible")
    ]
    assert found[0]["explanation"]["family_name"] == "mismatch"


def test_confirming_links_both_cases_and_alerts_each_desk_once(staff, reported, pump):
    first, second, _ = reported
    coordinator = staff("coordinator")
    sms_before = len(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages)
    response = coordinator.post(f"/cases/{second}/matches/{first}", {"decision": "confirmed"})
    assert response.status_code == 200
    assert response.json_body["review"] == "confirmed"
    assert coordinator.get(f"/cases/{first}").json_body["links"] == [second]
    assert coordinator.get(f"/cases/{second}").json_body["links"] == [first]
    mirrored = coordinator.get(f"/cases/{first}/matches").json_body["matches"]
    assert next(m for m in mirrored if m["reference"] == second)["review"] == "confirmed"
    # Both keep all their data.
    assert coordinator.get(f"/cases/{second}").json_body["report"]["child"]["family_name"] == (
        "Kovalchuk"
    )

    pump.run_until_idle()
    texts = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())[sms_before:]
    # One message per desk, by e-mail where the desk has one: no SMS for it here.
    assert [text for _, text in texts if first in text and second in text] == []
    from infra.local.outbox import sent_messages

    about_match = [
        m
        for m in sent_messages()
        if first in (m.get("subject") or "") and second in (m.get("subject") or "")
    ]
    # The southern desk and the Canadian liaison (the rules of both cases), once each; not
    # the coordinators' desk, whose agency (UA-NIB) confirmed it.
    assert sorted(m["to"] for m in about_match) == [
        "liaison@coalition-ca.example.org",
        "south@ombudsman.example.org",
    ]
    for message in about_match:
        for personal in ("Ковальчук", "Kovalchuk", "Олександр", "Oleksandr"):
            assert personal not in message["body"]
    # The confirming agency by its name, not its code.
    said = " ".join(about_match[0]["body"].split())
    assert "National Information Bureau" in said, said
    assert "UA-NIB" not in said, said

    again = coordinator.post(f"/cases/{second}/matches/{first}", {"decision": "rejected"})
    assert again.status_code == 409


def test_rejecting_links_nothing(staff, reported):
    first, second, _ = reported
    coordinator = staff("coordinator")
    response = coordinator.post(f"/cases/{first}/matches/{second}", {"decision": "rejected"})
    assert response.json_body["review"] == "rejected"
    assert coordinator.get(f"/cases/{first}").json_body["links"] == []


def test_matches_stay_within_the_mandate(staff, reported):
    first, second, _ = reported
    assert staff("caseworker", "UA-JUVPOL").get(f"/cases/{first}/matches").status_code == 404
    south = staff("caseworker", "UA-OMBUDSMAN")
    assert [m["reference"] for m in south.get(f"/cases/{first}/matches").json_body["matches"]] == [
        second
    ]
    assert staff("auditor").get(f"/cases/{first}/matches").status_code == 403
    unknown = south.post(f"/cases/{first}/matches/HW-2222-3333", {"decision": "confirmed"})
    assert unknown.status_code == 404


def test_a_replayed_case_record_finds_no_pair_twice(client, pump, app_module, report_body):
    from chalicelib import wiring

    post_report(client, report_body)
    post_report(client, report_body)
    records = pump._shard_records()
    app_module.follow_up_new_items({"Records": records}, None)
    app_module.follow_up_new_items({"Records": records}, None)
    case_refs = [
        r["dynamodb"]["NewImage"]["reference"]["S"]
        for r in records
        if r["dynamodb"]["NewImage"].get("kind") == {"S": "case"}
    ]
    assert len(wiring.stores().pairs.of_case(case_refs[1])) == 1


def test_a_match_only_the_confirmers_desk_would_hear_of_still_reaches_it(
    client, pump, staff, report_body
):
    """Cases of an oblast only the coordinators' rule covers: the confirmer's own desk is
    the only one to tell, and a shared mailbox's other readers need to know."""
    from infra.local.outbox import sent_messages

    report_body["residence"]["oblast"] = "UA-46"  # Lviv: no regional rule
    first = post_report(client, report_body).json_body["reference"]
    latin = json.loads(json.dumps(report_body))
    latin["child"].update(family_name="Kovalchuk", given_name="Oleksandr", patronymic=None)
    second = post_report(client, latin).json_body["reference"]
    pump.run_until_idle()
    response = staff("coordinator").post(
        f"/cases/{second}/matches/{first}", {"decision": "confirmed"}
    )
    assert response.status_code == 200
    pump.run_until_idle()
    about_match = [m for m in sent_messages() if first in m["body"] and second in m["body"]]
    assert [(m["channel"], m["to"]) for m in about_match] == [
        ("email", "coordinator@nib.example.org")
    ]
