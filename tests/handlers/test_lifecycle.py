"""The data lifecycle over the real path (the form, the API, the stream, the schedules,
moto's DynamoDB, S3, SES and SNS): after a withdrawal, an anonymisation and a person's
erasure, nothing of them is left anywhere: not in the table (derived items included:
blocking keys, candidate pairs, the reporters' index, deliveries), not in the audit
table, not in the stream's record of the change, not in the bucket's versions, not in
the staff API.
"""

import copy
import datetime as dt
import json
from urllib.parse import urlencode

import boto3
import requests
import time_machine
from formdata import FORM, form_fields, form_key, post_form
from helpers import photo_jpeg, post_report

from chalicelib.domain.case import status_token
from infra.local.outbox import sent_messages

SIGNING_KEY = b"test-signing-key"
PHOTO = photo_jpeg(b"\x00" * 200)
# Everything personal the form's report holds: the reporter's, then the child's.
REPORTER = ("iryna@example.org", "+380501234567", "Ковальчук Ірина")
CHILD = (
    "Ковальчук",
    "Олександр",
    "Андрійович",
    "Сашко",
    "Олешки",
    "Krasnodar",
    "eyebrow",
    "inhaler",
    "recreation camp",
)
DESK = {"coordinator@nib.example.org", "+380441234567"}


def everything(aws) -> str:
    """Both tables as text."""
    dynamo = boto3.client("dynamodb")
    items = dynamo.scan(TableName=aws["TableName"])["Items"]
    items += dynamo.scan(TableName=aws["AuditTableName"])["Items"]
    return json.dumps(items, ensure_ascii=False, default=str)


def items_of(aws, reference) -> list[dict]:
    """Every item that names the case: its own partition, and items elsewhere about it."""
    found = []
    for item in boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]:
        text = json.dumps(item, ensure_ascii=False, default=str)
        if reference in text:
            found.append(item)
    return found


def versions(aws, prefix) -> list:
    listed = boto3.client("s3").list_object_versions(Bucket=aws["UploadsBucketName"], Prefix=prefix)
    return listed.get("Versions", []) + listed.get("DeleteMarkers", [])


def file_the_form_with_a_photo(client) -> str:
    key = form_key("lifecycle-photo")
    grant = client.http.post(
        "/report/uploads",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {"submission_key": key, "slot": 1, "content_type": "image/jpeg", "size": len(PHOTO)}
        ),
    ).json_body
    sent = requests.post(grant["url"], data=grant["fields"], files={"file": PHOTO}, timeout=30)
    assert sent.status_code in (200, 201, 204)
    receipt = post_form(client, form_fields(submission_key=key, upload="1"))
    assert receipt.status_code == 201
    page = receipt.body.decode()
    return page.split('id="reference">', 1)[1].split("<", 1)[0]


def the_same_child_by_someone_else(report_body) -> dict:
    body = copy.deepcopy(report_body)
    body["child"].update(
        family_name="Kovalchuk",
        given_name="Oleksandr",
        patronymic=None,
        other_names=[],
        distinguishing_marks=None,
        medical_needs=None,
    )
    body["residence"]["settlement"] = None
    body["event"].update(place=None, circumstances=None)
    body["last_known_location"] = None
    body["reporter"].update(name="Петро", email="petro@example.org", phone="+380671112233")
    return body


def withdraw(client, reference):
    fields = {
        "reference": reference,
        "token": status_token(SIGNING_KEY, reference),
        "confirm": "yes",
        "lang": "en",
    }
    response = client.http.post(
        "/status/withdraw", headers={"Content-Type": FORM}, body=urlencode(fields)
    )
    assert response.status_code == 200 and "Your consent is withdrawn" in response.body.decode()


def test_withdrawal_then_retention_leave_nothing_of_them(client, aws, pump, staff, report_body):
    def coordinator():
        # Minted now: staff tokens expire, and the clock moves on below.
        return staff("coordinator", "UA-NIB")

    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        mine = file_the_form_with_a_photo(client)
        theirs = post_report(client, the_same_child_by_someone_else(report_body))
        theirs = theirs.json_body["reference"]
        pump.run_until_idle()
        assert coordinator().get(f"/cases/{theirs}/matches").json_body["matches"]
        assert versions(aws, f"cases/{mine}/")
        stream = {}
        pump._shard_records(stream)  # from here on: what the withdrawal streams

        # -- the reporter withdraws ---------------------------------------------------------
        withdraw(client, mine)
        pump.pump_stream("follow_up_new_items")  # the function that may erase does it
        stored = everything(aws)
        for contact in REPORTER[:2]:
            assert contact not in stored
        case_item = next(i for i in items_of(aws, mine) if i["sk"]["S"] == "CASE")
        assert "sealed_reporter" not in case_item and "reporter_keys" not in case_item
        assert "sealed_child" in case_item  # for the child
        kinds = {i.get("kind", {}).get("S") for i in items_of(aws, mine)}
        assert not kinds & {"matchkey", "match", "reporter"}, kinds
        mandates = {i["pk"]["S"] for i in items_of(aws, mine) if i["pk"]["S"].startswith("MAN")}
        assert mandates == {"MANDATE#UA-NIB"}
        streamed = json.dumps(
            [r["dynamodb"] for r in pump._shard_records(stream)], ensure_ascii=False, default=str
        )
        assert mine in streamed
        for contact in REPORTER:
            assert contact not in streamed
        shown = coordinator().get(f"/cases/{mine}").json_body
        assert shown["report"]["reporter"]["email"] is None
        assert shown["report"]["reporter"]["phone"] is None
        assert staff("caseworker", "CA-GAC").get(f"/cases/{mine}").status_code == 404
        assert coordinator().get(f"/cases/{theirs}/matches").json_body["matches"] == []

        # Its next alert, the escalation of the first one, reaches the intake desk only.
        sent = len(sent_messages())
        clock.shift(dt.timedelta(hours=25))
        assert pump.tick_escalation() >= 1
        pump.run_until_idle()
        about_mine = [
            m["to"]
            for m in sent_messages()[: len(sent_messages()) - sent]
            if mine in m["body"] + (m.get("html") or "")
        ]
        assert about_mine and set(about_mine) <= DESK
        # A note of the intake desk's, written once the ladder went up (issue 22: a note
        # by the desk that owns the case acknowledges its waiting alert, and there would
        # have been nothing to escalate); anonymising the case takes it.
        assert coordinator().post(f"/cases/{mine}/notes", {"text": "spoke to Ірина"}).status_code

        # -- set aside as unfounded, and a year later anonymised ----------------------------
        version = coordinator().get(f"/cases/{mine}").json_body["version"]
        moved = {"status": "unfounded", "note": "not deported after all", "version": version}
        assert coordinator().post(f"/cases/{mine}/status", moved).status_code == 200
        clock.shift(dt.timedelta(days=364))
        assert pump.anonymise_expired() == 0
        clock.shift(dt.timedelta(days=2))
        pump._shard_records(stream)
        assert pump.anonymise_expired() == 1
        stored = everything(aws)
        for personal in REPORTER + CHILD:
            assert personal not in stored, personal
        assert "spoke to" not in stored  # the note went
        streamed = json.dumps(
            [r["dynamodb"] for r in pump._shard_records(stream)], ensure_ascii=False, default=str
        )
        for personal in REPORTER + CHILD:
            assert personal not in streamed, personal
        assert versions(aws, f"cases/{mine}/") == []
        kinds = {i.get("kind", {}).get("S") for i in items_of(aws, mine)}
        # What is left names the case, and nobody: the case, its alerts and deliveries
        # (staff addresses, no rendered content), the intake desk's mandate, and the form
        # key's record (a hash of the form; it expires after 7 days, which moto does not
        # do on its own), the record that the reporter withdrew (when, nothing else), and
        # the SMS alerts' reply codes (a delivery named; they expire after 7 days too).
        assert kinds <= {
            "case",
            "alert",
            "delivery",
            "mandate",
            "idempotency",
            "withdrawal",
            "sms-reply",
        }
        case = coordinator().get(f"/cases/{mine}").json_body
        assert case["report"]["child"]["family_name"] == "[erased]"
        # (The other report of the child gives the same date of birth: looked at here.)
        assert case["report"]["child"]["date_of_birth"] is None
        assert case["status"] == "unfounded" and case["notes"] == []
        assert coordinator().get("/statistics").json_body["status"]["unfounded"] == 1
        trail = staff("auditor").get(f"/cases/{mine}/audit").json_body["entries"]
        assert {(e["actor"], e["action"]) for e in trail} >= {
            ("reporter", "withdraw"),
            ("retention", "anonymise"),
        }
        # The other report of the child is as it was.
        other = coordinator().get(f"/cases/{theirs}").json_body
        assert other["report"]["child"]["family_name"] == "Kovalchuk"


def test_a_person_erased_on_request_is_gone_from_the_table(client, aws, pump, staff, report_body):
    petro = the_same_child_by_someone_else(report_body)
    reference = post_report(client, petro).json_body["reference"]
    pump.run_until_idle()
    coordinator = staff("coordinator", "UA-NIB")
    exported = coordinator.post("/data-requests/export", {"phone": "+380671112233"}).json_body
    assert [c["reference"] for c in exported["cases"]] == [reference]
    erased = coordinator.post("/data-requests/erase", {"email": "petro@example.org"})
    assert erased.json_body["erased"] == [reference]
    stored = everything(aws)
    for personal in ("petro@example.org", "+380671112233", "Петро"):
        assert personal not in stored
    kinds = {i.get("kind", {}).get("S") for i in items_of(aws, reference)}
    assert "reporter" not in kinds
    case = coordinator.get(f"/cases/{reference}").json_body
    assert case["report"]["child"]["family_name"] == "Kovalchuk"
    assert case["report"]["reporter"]["name"] is None


# Every item kind of the key map (chalicelib/adapters/dynamo/keys.py), and what erasing a
# case does to it: "erased" (none is left of the case), "kept" (it stays, naming nobody),
# or "not of a case" (it never holds a case's data).
ITEM_KINDS = {
    "case": "kept",
    "alert (the outbox)": "kept",
    "delivery": "kept",
    "note": "erased",
    "candidate pair, one per side": "erased",
    "break-glass access (expires)": "erased",
    "event (timeline: assignment, link, correction...)": "kept",
    "mandate (a case routed to an agency)": "kept",
    "blocking key (matching)": "erased",
    "reporter, in the blind index": "erased",
    "idempotency key": "kept",
    "request rate of one source": "not of a case",
    "statistics shard": "not of a case",
    "contact, routing rule, version": "not of a case",
    "daily digest sent": "not of a case",
    # Names a delivery, nothing of the child; gone 7 days after its SMS (expires_at).
    "an SMS alert's reply code, while it may be answered (expires)": "kept",
    "search key (staff search)": "erased",
    "staff member (as colleagues see them)": "not of a case",
    "a console session signed out of (expires)": "not of a case",
    "a registered partner (machine client)": "not of a case",
    "an import batch of a partner": "not of a case",
    "a webhook owed to a partner (the outbox)": "kept",
    "time to acknowledge, one sample (no case named)": "not of a case",
    "a case's return and the help after it (domain/aftercare.py)": "erased",
    "a referral, in its provider's inbox": "erased",
    "a closure waiting for a coordinator's approval": "erased",
    # One coarse word ("home") for the reporter's status page: it names nobody.
    "the return's word for the reporter (domain/progress.py)": "kept",
    # The list stays, for the other children on it; the child's entry goes.
    "a mediation list": "kept",
    "health probe (never written)": "not of a case",
    # The conversation engine's and the Telegram bot's (branch s28): outside any case's
    # partition, each expiring on its own (classified here by s28b when merging).
    "a conversation taking a report (expires)": "not of a case",
    "a channel update handled (expires)": "not of a case",
    "a chat's messages to delete at a time": "not of a case",
    # Evidence (issue 27): ids, hashes and custody, never a name; the originals they
    # describe stay locked for the evidence retention, as the reporter was told.
    "an evidence item (an original) and its chain's head": "kept",
    "one entry of an item's chain of custody": "kept",
    # A statement's: when and by whom; its sealed reason goes with its words (erasure.py).
    "evidence consent withdrawn (a statement's: `#<slot>`)": "kept",
    "a case that has evidence (for the daily anchor)": "kept",
    "a day's stamp of a case's chains (leaf, proof)": "kept",
    "a day's timestamp of every chain's head (root, count, token)": "not of a case",
    "a prosecutor's package": "kept",
}
# Where the return's items of a case live (keys.py): none of them is left of it.
RETURN_PARTITIONS = ("AFTERCARE", "REFERRALS#", "CLOSURES", "MEDIATION")
RETURN_PATH = ["located", "verified", "on_mediation_list", "in_transit", "returned"]


def the_return_with_its_referral_closure_and_mediation_list(coordinator, provider, reference):
    """The child returned, a referral to a provider, a closure waiting, a mediation list
    naming the child, each with the child's name in its words; the list's id."""
    listed = coordinator.post("/mediation-lists", {"mediator": "Qatar"}).json_body["list_id"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for stage in RETURN_PATH:
        if stage == "on_mediation_list":
            added = coordinator.post(
                f"/mediation-lists/{listed}/children", {"reference": reference}
            )
            assert added.status_code == 200, added.json_body
            continue
        step = {"stage": stage, "on": today, "how": f"Сашко {stage}, seen in Anapa"}
        answer = coordinator.post(f"/cases/{reference}/return/steps", step)
        assert answer.status_code == 200, answer.json_body
    consent = {"services": True, "disclosure": True}
    assert coordinator.post(f"/cases/{reference}/return/consent", consent).status_code == 200
    referral = {"service": "psychosocial", "provider": "UA-HOPE", "due": today}
    referral["note"] = "Сашко has nightmares since Anapa"
    made = coordinator.post(f"/cases/{reference}/referrals", referral)
    assert made.status_code == 200, made.json_body
    path = f"/referrals/{reference}/{made.json_body['referrals'][0]['referral_id']}"
    for status in ("accepted", "done"):
        assert provider.post(path, {"status": status}).status_code == 200
    closure = {"reason": "goals_met", "note": "Сашко is home from Anapa"}
    asked = coordinator.post(f"/cases/{reference}/closure", closure)
    assert asked.status_code == 200, asked.json_body
    return listed


# The `kind` attribute of each erased item kind, as the table holds it.
ERASED_KINDS = {"note", "match", "grant", "matchkey", "reporter", "searchkey"}


def key_map_items() -> set[str]:
    from chalicelib.adapters.dynamo import keys

    rows = [line for line in keys.__doc__.splitlines() if line.startswith("| ")]
    return {row.split("|")[1].strip() for row in rows} - {"item", "---"}


def test_anonymisation_reaches_every_item_kind_of_the_key_map(
    client, aws, pump, staff, report_body
):
    """The attack: erasure left the reporter's contact details in NOTE items, and an XLSX
    export in `exports/` kept the child's name after anonymisation."""
    # A new item kind must say here what erasing a case does to it.
    assert set(ITEM_KINDS) == key_map_items()
    assert {"note", "match", "grant", "matchkey", "reporter", "searchkey"} == ERASED_KINDS

    def coordinator(agency="UA-NIB"):
        return staff("coordinator", agency)

    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        mine = post_report(client, report_body).json_body["reference"]
        theirs = post_report(client, the_same_child_by_someone_else(report_body))
        theirs = theirs.json_body["reference"]
        pump.run_until_idle()
        assert coordinator().get(f"/cases/{mine}/matches").json_body["matches"]
        # A note that reaches the reporter, one that does not; a break-glass access with
        # the child's name in its words; a correction; an assignment; a spreadsheet.
        coordinator().post(f"/cases/{mine}/notes", {"text": "Iryna: call 050 123 45 67"})
        coordinator().post(f"/cases/{mine}/notes", {"text": "Olexandr was seen in Anapa"})
        glass = {"reason": "child_at_risk", "explanation": "Сашко Ковальчук is ill in Anapa"}
        assert coordinator("CA-GAC").post(f"/cases/{mine}/break-glass", glass).status_code == 200
        fix = {"field": "child.patronymic", "value": "Андрійович", "reason": "typo", "version": 1}
        coordinator().post(f"/cases/{mine}/corrections", fix)
        listed = the_return_with_its_referral_closure_and_mediation_list(
            coordinator(), staff("provider", "UA-HOPE"), mine
        )
        held = {i["pk"]["S"] for i in items_of(aws, mine)}
        for partition in RETURN_PARTITIONS:
            assert any(pk.startswith(partition) for pk in held), partition
        export = coordinator().post("/exports", {"format": "xlsx"})
        assert export.status_code == 200, export.json_body
        assert boto3.client("s3").list_objects_v2(
            Bucket=aws["UploadsBucketName"], Prefix="exports/"
        )["KeyCount"]
        kinds = {i.get("kind", {}).get("S") for i in items_of(aws, mine)}
        assert kinds >= ERASED_KINDS, ERASED_KINDS - kinds

        # -- the person asks to be forgotten: the note that reaches them goes with them --
        erased = coordinator().post("/data-requests/erase", {"email": "iryna@example.org"})
        assert erased.json_body["erased"] == [mine]
        notes = [n["text"] for n in coordinator().get(f"/cases/{mine}").json_body["notes"]]
        assert "Olexandr was seen in Anapa" in notes
        assert not any("050 123" in n for n in notes)

        # -- set aside as unfounded, and a year later anonymised ------------------------
        version = coordinator().get(f"/cases/{mine}").json_body["version"]
        moved = {"status": "unfounded", "note": "not deported", "version": version}
        assert coordinator().post(f"/cases/{mine}/status", moved).status_code == 200
        clock.shift(dt.timedelta(days=366))
        assert pump.anonymise_expired() >= 1

    held = {i["pk"]["S"] for i in items_of(aws, mine)}
    assert not {p for p in held if p.startswith(RETURN_PARTITIONS)}, held
    assert coordinator().get(f"/cases/{mine}/return").json_body["steps"] == []
    assert staff("provider", "UA-HOPE").get("/referrals").json_body["referrals"] == []
    # The list stays (for the children still on it), without the child.
    (kept,) = coordinator().get("/mediation-lists").json_body["lists"]
    assert kept["list_id"] == listed and kept["references"] == []
    left = {i.get("kind", {}).get("S") for i in items_of(aws, mine)}
    assert not left & ERASED_KINDS, left & ERASED_KINDS
    kept_kinds = {"case", "alert", "delivery", "event", "mandate", "idempotency", "return-word"}
    assert left <= kept_kinds | {"sms-reply"}, left
    stored = everything(aws)
    for personal in REPORTER + CHILD + ("Anapa", "Сашко"):
        assert personal not in stored, personal
    assert versions(aws, "exports/") == []
