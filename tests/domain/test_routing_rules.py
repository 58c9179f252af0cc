import datetime as dt

import pytest
from pydantic import ValidationError

from chalicelib.domain.alerts import Alert
from chalicelib.domain.contacts import Contact
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.routing import Directory, RoutingRule
from infra.local.emulator import read_directory

NOW = dt.datetime(2026, 11, 28, 9, 15, tzinfo=dt.UTC)


def alert(oblast="UA-65", category="deported", urgent=False, country="RU", level=0) -> Alert:
    first = Alert(
        "HW-7K3M-Q9TX",
        "report-received",
        category,
        oblast,
        urgent,
        country,
        NOW,
        consent=ConsentGiven.everything(),
    )
    return first.escalated(level, NOW) if level else first


def contact(contact_id, **fields) -> Contact:
    base = {
        "contact_id": contact_id,
        "organisation": "Org",
        "agency": "UA-TEST",
        "kind": "coalition_member",
        "member_state": "UA",
        "name": "Someone",
        "email": f"{contact_id}@example.org",
        "phone": "+380501112233",
        "languages": ["uk"],
        "channels": ["email", "sms"],
    }
    return Contact.model_validate(base | fields)


def rule(rule_id, contacts, **fields) -> RoutingRule:
    return RoutingRule.model_validate({"rule_id": rule_id, "contacts": contacts} | fields)


COORDINATOR = contact("coord", coordinator=True, intake_desk=True, channels=["email"], phone=None)


def directory(*rules, contacts=()) -> Directory:
    people = {c.contact_id: c for c in (COORDINATOR, *contacts)}
    for r in rules:
        for rung in [r.contacts, *r.escalation.levels]:
            for contact_id in rung:
                people.setdefault(contact_id, contact(contact_id))
    return Directory(tuple(people.values()), tuple(rules))


def reached(d: Directory, a: Alert) -> set[tuple[str, str]]:
    return {(x.contact_id, x.channel) for x in d.route(a)}


def test_a_rule_matches_on_oblast_category_urgency_and_last_known_country():
    d = directory(
        rule("south", ["kherson"], oblasts=["UA-65"]),
        rule("deportations", ["ombudsman"], categories=["deported"], channels=["email"]),
        rule("urgent-only", ["duty"], urgency="urgent", channels=["sms"]),
        rule("belarus", ["minsk-desk"], last_known_countries=["BY"]),
    )
    assert reached(d, alert()) == {
        ("kherson", "email"),
        ("kherson", "sms"),
        ("ombudsman", "email"),
    }
    assert reached(d, alert(urgent=True, country="BY", category="missing", oblast="UA-14")) == {
        ("duty", "sms"),
        ("minsk-desk", "email"),
        ("minsk-desk", "sms"),
    }


def test_what_no_rule_routes_reaches_the_coordinators():
    d = directory(rule("south", ["kherson"], oblasts=["UA-65"]))
    assert reached(d, alert(oblast="UA-14")) == {("coord", "email")}


def test_inactive_rules_and_contacts_are_left_out_and_channels_are_both_sides_choice():
    retired = contact("retired", active=False)
    only_email = contact("mail-only", channels=["email"], phone=None)
    d = directory(
        rule("south", ["retired", "mail-only", "kherson"], channels=["sms", "email"]),
        rule("old", ["donetsk"], active=False),
        contacts=(retired, only_email),
    )
    assert reached(d, alert()) == {("kherson", "email"), ("kherson", "sms"), ("mail-only", "email")}


def test_the_escalation_ladder_climbs_the_rules_rungs_then_ends_at_the_coordinators():
    d = directory(
        rule("south", ["kherson"], escalation={"levels": [["regional"], ["national"]]}),
        rule("every", ["desk"], channels=["email"], escalation={"levels": [["regional"]]}),
    )
    assert d.ladder_length(alert()) == 2
    assert {c for c, _ in reached(d, alert(level=1))} == {"regional"}
    assert {c for c, _ in reached(d, alert(level=2))} == {"national"}
    assert reached(d, alert(level=3)) == {("coord", "email")}


def test_the_strictest_matching_policy_sets_the_time_to_acknowledge():
    d = directory(
        rule("south", ["kherson"], escalation={"urgent_after_minutes": 5}),
        rule(
            "every", ["desk"], escalation={"urgent_after_minutes": 10, "normal_after_minutes": 60}
        ),
    )
    wait = d.acknowledge_within
    assert wait(alert(urgent=True), urgent=900, normal=86400) == dt.timedelta(minutes=5)
    assert wait(alert(), urgent=900, normal=86400) == dt.timedelta(minutes=60)
    assert wait(alert(oblast="UA-14"), urgent=900, normal=86400) == dt.timedelta(minutes=60)
    assert directory().acknowledge_within(alert(), urgent=900, normal=86400) == dt.timedelta(
        hours=24
    )


def test_a_rule_or_rung_that_reaches_nobody_is_a_problem():
    fine = directory(rule("south", ["kherson"], escalation={"levels": [["national"]]}))
    assert fine.problems() == set()
    inactive = fine.with_contact(contact("national", active=False))
    assert inactive.problems() == {
        "rule south, escalation level 1: no active contact reachable by email or sms"
    }
    sms_rule = fine.with_rule(rule("south", ["kherson"], channels=["sms"]))
    assert sms_rule.with_contact(contact("kherson", channels=["email"])).problems() == {
        "rule south, first alert: no active contact reachable by sms"
    }
    missing = fine.without_contact("kherson")
    assert "rule south, first alert: no contact kherson" in missing.problems()
    leaderless = fine.with_contact(COORDINATOR.model_copy(update={"active": False}))
    assert any(p.startswith("no active coordinator") for p in leaderless.problems())


def test_a_rule_must_name_someone_and_valid_places():
    for bad in (
        {"rule_id": "x1", "contacts": []},
        {"rule_id": "x1", "contacts": ["a1"], "oblasts": ["UA-99"]},
        {"rule_id": "x1", "contacts": ["a1"], "last_known_countries": ["XX"]},
        {"rule_id": "x1", "contacts": ["a1"], "categories": ["kidnapped-by-aliens"]},
        {"rule_id": "x1", "contacts": ["a1"], "channels": []},
        {"rule_id": "x1", "contacts": ["a1"], "escalation": {"levels": [[]]}},
        {"rule_id": "x1", "contacts": ["a1"], "escalation": {"levels": [["a1"]] * 5}},
    ):
        with pytest.raises(ValidationError):
            RoutingRule.model_validate(bad)


def test_the_demo_directory_has_no_problem_and_reaches_every_oblast_by_email_and_sms():
    from chalicelib.domain.places import OBLASTS

    demo = read_directory()  # refuses a directory with errors or problems
    assert len(demo.contacts) == 8 and len(demo.rules) == 5
    for oblast in OBLASTS:
        assert {d.channel for d in demo.route(alert(oblast=oblast))} == {"email", "sms"}, oblast
