"""Each step of a child's return alerts the desk that owns the next one, through the
routing and moto's SES and SNS, with no child named: what was really sent is read back
from the emulated backends."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from helpers import EXAMPLE_REPORT, post_report

from infra.local.outbox import sent_messages

SOUTH_DESK = "south@ombudsman.example.org"
SOUTH_PHONE = "+380501112233"
COORDINATORS = "coordinator@nib.example.org"
CANADA = "liaison@coalition-ca.example.org"
CHILD = ("Ковальчук", "Олександр", "Kovalchuk", "Oleksandr")


@pytest.fixture
def people(staff):
    return {
        "south": staff("caseworker", "UA-OMBUDSMAN"),
        "coordinator": staff("coordinator", "UA-NIB"),
    }


@pytest.fixture
def reference(client, pump):
    made = post_report(client, EXAMPLE_REPORT).json_body["reference"]
    pump.run_until_idle()
    return made


def told(reference: str, words: str, since: set | None = None) -> list[dict]:
    return [
        m
        for m in sent_messages()
        if reference in m["body"] and words in m["body"] and _key(m) not in (since or set())
    ]


def _key(message: dict) -> tuple:
    return (message["to"], message["subject"], message["body"])


def step(who, reference: str, stage: str, on: dt.date) -> None:
    answer = who.post(
        f"/cases/{reference}/return/steps",
        {"stage": stage, "on": on.isoformat(), "how": "by the southern desk"},
    )
    assert answer.status_code == 200, answer.json_body


def test_every_step_alerts_the_desk_owning_the_next_one_and_names_no_child(people, reference, pump):
    on = dt.datetime.now(dt.UTC).date()
    before = {_key(m) for m in sent_messages()}
    step(people["south"], reference, "located", on)
    pump.run_until_idle()
    located = told(reference, "місцеперебування встановлено")
    # The case's own desks, by e-mail and by SMS; not the foreign liaison told of the
    # report (the journey is the child's danger).
    assert {SOUTH_DESK, SOUTH_PHONE, COORDINATORS} <= {m["to"] for m in located}
    assert CANADA not in {m["to"] for m in told(reference, "", before)}
    (sms,) = [m for m in located if m["to"] == SOUTH_PHONE]
    assert "/ack/" in sms["body"]
    (mail,) = [m for m in located if m["to"] == SOUTH_DESK]
    assert "перевірте особу дитини" in mail["body"] and "/ack/" in mail["body"]
    assert (
        mail["subject"] == f"Homeward {reference}: крок повернення — місцеперебування встановлено"
    )

    # Verified: the next step (a mediator's list) is the coordinators'.
    step(people["south"], reference, "verified", on)
    pump.run_until_idle()
    verified = told(reference, "перевірено", before)
    assert COORDINATORS in {m["to"] for m in verified}
    assert SOUTH_DESK not in {m["to"] for m in verified}

    # A coordinator's list is a step too: the case's desk hears the journey is theirs.
    coordinator = people["coordinator"]
    list_id = coordinator.post("/mediation-lists", {"mediator": "Qatar"}).json_body["list_id"]
    coordinator.post(f"/mediation-lists/{list_id}/children", {"reference": reference})
    for stage in ("in_transit", "returned"):
        step(people["south"], reference, stage, on)
    pump.run_until_idle()
    for words in ("у списку для посередника", "на шляху додому", "повернулася додому"):
        assert SOUTH_DESK in {m["to"] for m in told(reference, words)}, words
    # The mediator's name and the step notes never travel in an alert.
    every = told(reference, "", before)
    assert every and not any("Qatar" in m["body"] for m in every)
    for name in CHILD:
        assert not any(name in m["body"] or name in (m["subject"] or "") for m in every)


HOPE_DESK = "desk@hope.example.org"
LINK = re.compile(r"https?://[^\s\"<]+(/ack/[A-Za-z0-9_-]+)")
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def refer_home(people, reference: str, service: str = "psychosocial") -> None:
    on = START.date()
    for stage in ("located", "verified", "on_mediation_list", "in_transit", "returned"):
        step(people["south"], reference, stage, on)
    consent = {"services": True, "disclosure": True}
    people["south"].post(f"/cases/{reference}/return/consent", consent)
    referral = {
        "service": service,
        "provider": "UA-HOPE",
        "note": "nightmares",
        "due": "2026-12-01",
    }
    made = people["south"].post(f"/cases/{reference}/referrals", referral)
    assert made.status_code == 200, made.json_body


def test_a_new_referral_alerts_its_provider_with_a_link_and_no_child_named(
    clock, people, reference, pump, client
):
    refer_home(people, reference)
    pump.run_until_idle()
    (mail,) = [m for m in told(reference, "психосоціальна підтримка") if m["to"] == HOPE_DESK]
    assert (
        mail["subject"] == f"Homeward {reference}: вам направлено дитину — психосоціальна підтримка"
    )
    assert "Направлення до вашої організації" in mail["body"]
    for name in (*CHILD, "nightmares", "Олешки"):
        assert name not in mail["body"] and name not in mail["html"]
    # The provider's acknowledgement stops the ladder: a day later, nobody else is told.
    assert client.http.post(LINK.search(mail["body"]).group(1), body=b"").status_code == 200
    clock.shift(dt.timedelta(days=2))
    pump.tick_escalation()
    pump.run_until_idle()
    assert not told(reference, "не підтверд")


def test_an_unacknowledged_referral_goes_up_to_the_coordinators(clock, people, reference, pump):
    refer_home(people, reference, service="legal")
    pump.run_until_idle()
    assert HOPE_DESK in {m["to"] for m in told(reference, "правова допомога")}
    clock.shift(dt.timedelta(hours=23))
    pump.tick_escalation()
    pump.run_until_idle()
    assert not told(reference, "не підтверд")  # not before its time
    clock.shift(dt.timedelta(hours=2))
    assert pump.tick_escalation() >= 1
    pump.run_until_idle()
    escalated = told(reference, "не підтверд")
    assert COORDINATORS in {m["to"] for m in escalated}
    assert HOPE_DESK not in {m["to"] for m in escalated}
    (mail,) = [m for m in escalated if m["to"] == COORDINATORS]
    assert mail["subject"].startswith("[ЕСКАЛАЦІЯ 1]")
    assert not any(name in m["body"] for m in escalated for name in CHILD)


def test_a_new_report_of_a_returned_child_is_matched_to_the_case_and_its_desk_told(
    people, reference, pump, client
):
    on = dt.datetime.now(dt.UTC).date()
    for stage in ("located", "verified", "on_mediation_list", "in_transit", "returned"):
        step(people["south"], reference, stage, on)
    pump.run_until_idle()
    before = {_key(m) for m in sent_messages()}
    # The same child, reported again (a relative who has not heard).
    again = post_report(client, EXAMPLE_REPORT).json_body["reference"]
    pump.run_until_idle()
    matches = people["south"].get(f"/cases/{reference}/matches").json_body["matches"]
    assert again in [m["reference"] for m in matches]
    told_desk = [
        m
        for m in told(reference, "нове повідомлення", before)
        if m["to"] in (SOUTH_DESK, SOUTH_PHONE)
    ]
    assert {m["to"] for m in told_desk} == {SOUTH_DESK, SOUTH_PHONE}
    assert all(name not in m["body"] for m in told_desk for name in CHILD)
    (mail,) = [m for m in told_desk if m["to"] == SOUTH_DESK]
    assert again in mail["body"] and "повернення якої веде ваш підрозділ" in mail["body"]
    # A case not on the return pathway: no such alert (the new report's own alert only).
    third = post_report(client, EXAMPLE_REPORT).json_body["reference"]
    pump.run_until_idle()
    assert not [m for m in told(again, third, before) if "повернення" in m["body"]]
