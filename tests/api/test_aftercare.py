"""The return, referrals, follow-ups, mediation lists and KPIs over the staff API, on
moto: what each role may do, what a provider and a mediator receive, and what was sent
through moto's SES."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers import EXAMPLE_REPORT, post_report

from infra.local.outbox import sent_messages

SOUTH_DESK = "south@ombudsman.example.org"
AUDITORS = "audit@nib.example.org"
PATH = ["located", "verified", "on_mediation_list", "in_transit", "returned"]


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def people(staff):
    return {
        "south": staff("caseworker", "UA-OMBUDSMAN"),
        "coordinator": staff("coordinator", "UA-NIB"),
        "hope": staff("provider", "UA-HOPE"),
        "clinic": staff("provider", "UA-CLINIC"),
        "auditor": staff("auditor", "UA-NIB"),
    }


@pytest.fixture
def reported(client, pump):
    def file(**consent):
        body = {**EXAMPLE_REPORT, "consent": {**EXAMPLE_REPORT["consent"], **consent}}
        reference = post_report(client, body).json_body["reference"]
        pump.run_until_idle()
        return reference

    return file


def walk(who, reference, to, on):
    for stage in PATH[: PATH.index(to) + 1]:
        answer = who.post(
            f"/cases/{reference}/return/steps",
            {"stage": stage, "on": on.isoformat(), "how": f"{stage} by the southern desk"},
        )
        assert answer.status_code == 200, answer.json_body
    return answer.json_body


def test_a_referral_without_consent_is_refused_until_a_coordinator_overrides_and_auditors_hear(
    people, reported, pump
):
    reference = reported()
    walk(people["south"], reference, "returned", today())
    referral = {
        "service": "psychosocial",
        "provider": "UA-HOPE",
        "note": "nightmares since the return",
        "due": (today() + dt.timedelta(days=30)).isoformat(),
    }
    refused = people["south"].post(f"/cases/{reference}/referrals", referral)
    assert refused.status_code == 403
    assert refused.json_body["type"] == "/problems/consent-missing"
    not_theirs = people["south"].post(
        f"/cases/{reference}/referrals", {**referral, "override_reason": "urgent"}
    )
    assert not_theirs.status_code == 403

    made = people["coordinator"].post(
        f"/cases/{reference}/referrals",
        {**referral, "override_reason": "the mother asked by phone, paper consent follows"},
    )
    assert made.status_code == 200, made.json_body
    assert made.json_body["referrals"][0]["basis"] == "override"
    pump.run_until_idle()
    (mail,) = [m for m in sent_messages() if m["to"] == AUDITORS and reference in m["body"]]
    assert mail["subject"] == f"Homeward {reference}: направлення без згоди родини"
    assert "paper consent follows" in mail["body"] and "UA-HOPE" in mail["body"]
    assert "Ковальчук" not in mail["body"]  # the auditors' alert names no child
    trail = people["auditor"].get(f"/cases/{reference}/audit").json_body["entries"]
    assert "consent-override" in [e["action"] for e in trail]


def test_a_provider_sees_its_own_referrals_only_and_only_what_they_release(people, reported):
    reference = reported()
    walk(people["south"], reference, "returned", today())
    people["south"].post(
        f"/cases/{reference}/return/consent", {"services": True, "disclosure": True}
    )
    made = (
        people["south"]
        .post(
            f"/cases/{reference}/referrals",
            {
                "service": "psychosocial",
                "provider": "UA-HOPE",
                "note": "nightmares since the return",
                "due": (today() + dt.timedelta(days=30)).isoformat(),
            },
        )
        .json_body
    )
    referral_id = made["referrals"][0]["referral_id"]

    inbox = people["hope"].get("/referrals")
    assert inbox.status_code == 200
    (seen,) = inbox.json_body["referrals"]
    assert seen["child"] == {
        "child": {
            "family_name": "Ковальчук",
            "given_name": "Олександр",
            "sex": "male",
            "date_of_birth": "2012-03-14",
        },
        "residence": {"oblast": "UA-65"},
    }
    for secret in ("Олешки", "Krasnodar", "iryna@example.org", "recreation camp", "inhaler"):
        assert secret not in str(inbox.json_body)
    # Not the case itself, nor its return record.
    assert people["hope"].get(f"/cases/{reference}").status_code == 403
    assert people["hope"].get(f"/cases/{reference}/return").status_code == 403
    # Another provider: nothing in its inbox, the referral "not found".
    assert people["clinic"].get("/referrals").json_body["referrals"] == []
    path = f"/referrals/{reference}/{referral_id}"
    assert people["clinic"].get(path).status_code == 404
    assert people["clinic"].post(path, {"status": "accepted"}).status_code == 404
    # Its own provider accepts, then records it done.
    assert people["hope"].post(path, {"status": "rejected"}).status_code == 422
    assert people["hope"].post(path, {"status": "accepted"}).json_body["status"] == "accepted"
    assert people["hope"].post(path, {"status": "done"}).json_body["status"] == "done"
    record = people["south"].get(f"/cases/{reference}/return").json_body
    assert record["services"][0]["implemented_on"] == today().isoformat()


def test_an_overdue_follow_up_alerts_the_cases_desk_by_email_once(people, reported, pump):
    reference = reported()
    walk(people["south"], reference, "returned", today() - dt.timedelta(days=20))
    record = people["south"].get(f"/cases/{reference}/return").json_body
    assert record["follow_up_overdue"] is True
    assert pump.alert_overdue_follow_ups() == 1
    assert pump.alert_overdue_follow_ups() == 0
    pump.run_until_idle()
    told = [m for m in sent_messages() if "follow-up" in (m["subject"] or "").lower()]
    told += [m for m in sent_messages() if "повторний візит" in (m["subject"] or "")]
    assert SOUTH_DESK in {m["to"] for m in told}
    assert all(reference in m["body"] and "Ковальчук" not in m["body"] for m in told)
    done = (
        people["south"]
        .post(
            f"/cases/{reference}/follow-ups", {"on": today().isoformat(), "note": "at school again"}
        )
        .json_body
    )
    assert done["follow_up_overdue"] is False
    assert done["follow_up_due"] == (today() + dt.timedelta(days=90)).isoformat()


def test_a_mediation_lists_export_holds_only_the_mediators_fields(people, reported):
    reference = reported()
    walk(people["south"], reference, "verified", today())
    coordinator = people["coordinator"]
    assert people["south"].post("/mediation-lists", {"mediator": "Qatar"}).status_code == 403
    listed = coordinator.post("/mediation-lists", {"mediator": "Qatar"})
    assert listed.status_code == 201
    list_id = listed.json_body["list_id"]
    added = coordinator.post(f"/mediation-lists/{list_id}/children", {"reference": reference})
    assert added.status_code == 200 and added.json_body["references"] == [reference]
    stage = people["south"].get(f"/cases/{reference}/return").json_body["steps"][-1]["stage"]
    assert stage == "on_mediation_list"

    export = coordinator.post(f"/mediation-lists/{list_id}/export", {})
    assert export.status_code == 200
    assert export.json_body["version"] == 1
    (child,) = export.json_body["children"]
    assert set(child) == {"child", "last_known_location"}
    assert set(child["child"]) == {
        "family_name",
        "given_name",
        "patronymic",
        "sex",
        "date_of_birth",
    }
    assert coordinator.post(f"/mediation-lists/{list_id}/export", {}).json_body["version"] == 2


def test_kpis_count_the_return_and_are_not_for_caseworkers(people, reported):
    reference = reported()
    walk(people["south"], reference, "returned", today())
    figures = people["coordinator"].get("/statistics/return")
    assert figures.status_code == 200
    assert figures.json_body["by_stage"]["returned"] == 1
    assert figures.json_body["overall"]["days_to_returned"] == 0.0
    assert figures.json_body["by_oblast"][0]["oblast"] == "UA-65"
    assert people["south"].get("/statistics/return").status_code == 403


def test_a_mediators_answer_moves_each_child_and_is_taken_whole_or_not_at_all(
    people, reported, pump
):
    coordinator = people["coordinator"]
    children = [reported(), reported(), reported()]
    list_id = coordinator.post("/mediation-lists", {"mediator": "Qatar"}).json_body["list_id"]
    for reference in children:
        walk(people["south"], reference, "verified", today())
        coordinator.post(f"/mediation-lists/{list_id}/children", {"reference": reference})
    assert coordinator.post(f"/mediation-lists/{list_id}/export", {}).status_code == 200
    path = f"/mediation-lists/{list_id}/answers"

    def stage(reference):
        return people["south"].get(f"/cases/{reference}/return").json_body["steps"][-1]["stage"]

    # A line past the export, a line twice, an unknown answer: refused, none of it taken.
    bad = {
        "version": 1,
        "answers": [
            {"line": 1, "answer": "being_returned"},
            {"line": 4, "answer": "confirmed"},
            {"line": 2, "answer": "not_found"},
            {"line": 2, "answer": "refused"},
        ],
    }
    refused = coordinator.post(path, bad)
    assert refused.status_code == 422, refused.json_body
    assert refused.json_body["type"] == "/problems/answer-refused"
    assert [e["loc"] for e in refused.json_body["errors"]] == [[4], [2]]
    assert [stage(r) for r in children] == ["on_mediation_list"] * 3
    assert coordinator.post(path, {"version": 2, "answers": bad["answers"][:1]}).status_code == 422
    wrong = coordinator.post(path, {"version": 1, "answers": [{"line": 1, "answer": "maybe"}]})
    assert wrong.status_code == 422
    assert (
        people["south"].post(path, {"version": 1, "answers": bad["answers"][:1]}).status_code == 403
    )

    good = {
        "version": 1,
        "answers": [
            {"line": 1, "answer": "being_returned", "note": "via Riga"},
            {"line": 2, "answer": "not_found"},
            {"line": 3, "answer": "confirmed"},
        ],
    }
    taken = coordinator.post(path, good)
    assert taken.status_code == 200, taken.json_body
    assert [(a["line"], a["answer"]) for a in taken.json_body["taken"]] == [
        (1, "being_returned"),
        (2, "not_found"),
        (3, "confirmed"),
    ]
    assert [stage(r) for r in children] == ["in_transit", "verified", "on_mediation_list"]
    trail = people["auditor"].get(f"/cases/{children[0]}/audit").json_body["entries"]
    assert "mediation-answer" in [e["action"] for e in trail]
    # The same answer imported again is taken once; a line now overtaken is refused.
    again = coordinator.post(path, good)
    assert again.status_code == 200 and again.json_body["taken"] == []
    late = {"version": 1, "answers": [{"line": 2, "answer": "being_returned"}]}
    assert coordinator.post(path, late).json_body["errors"][0]["loc"] == [2]
    # The desk of the next step heard of each move, naming no child.
    pump.run_until_idle()
    moved = [
        m for m in sent_messages() if children[0] in m["body"] and "на шляху додому" in m["body"]
    ]
    assert moved and not any("Ковальчук" in m["body"] for m in moved)
