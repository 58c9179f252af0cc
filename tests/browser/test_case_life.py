"""The whole life of a case, as the people involved live it, on the local runner.

A mother reports her son through the form (in Chromium, with JavaScript); the alerts go
out by e-mail and SMS; the southern desk acknowledges from its e-mail and that alert
stops escalating (another, unacknowledged one does escalate); staff list, read and work
the case to closed; a second report of the same child comes in Latin letters; matching
finds the pair; a caseworker confirms it and both cases are linked; the mother's status
page shows the right stage; the NGO that filed the second report, which said "not to the
authorities", sees that honoured and then withdraws its consent; the auditor's trail
holds every step. Nothing anywhere may answer 5xx.

The mother's photo is also given as evidence for prosecutors: staff open it (a custody
entry), a coordinator with the evidence role packages it for a prosecutor and anyone can
check the package offline (`homeward evidence verify` names each thing changed in it).
The grandmother reports the boy through the Telegram bot, in Ukrainian: alerted as the
form's report was, the conversation deleted, its status asked through the bot, matched
with the form's report. A caller reports another child on the hotline, through the
console's page, with oral consent; urgent, it rings at once. The auditor sees all of it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import html
import json
import re
import urllib.error
import urllib.request

import pytest
from api.test_hotline import CALLER
from browser.life_steps import (
    SIGNING_KEY,
    UK,
    ConsoleHttp,
    TelegramChat,
    aloud,
    prosecutors_package,
    report_through_the_bot,
    take_a_call,
)
from browser.test_form_in_chromium import fill
from handlers.test_telegram import ANSWERS as BOT_ANSWERS
from helpers import EXAMPLE_REPORT, free_port, local_runner, logged_errors, photo_jpeg, wait_for

from chalicelib.adapters.tokens import mint_dev_partner_token, mint_dev_token
from chalicelib.web.telegram_bot import RECEIPT

pytestmark = pytest.mark.browser

ESCALATE_AFTER = 8  # seconds an urgent alert may wait, in this run (the desk acknowledges
# well within it, even on a loaded machine)
SOUTH_DESK = "south@ombudsman.example.org"
CANADA_DESK = "liaison@coalition-ca.example.org"
INTAKE_DESK = "coordinator@nib.example.org"
NGO_MAILBOX = "desk@helping-hands.example.org"
WORKFLOW = ["triaged", "verified", "located", "return_in_progress", "returned", "closed"]


class Http:
    """JSON over HTTP to the runner, remembering every status it saw."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.statuses: list[tuple[int, str]] = []

    def call(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        self.statuses.append((status, f"{method} {path}"))
        return status, (json.loads(raw) if raw else None)

    def outbox(self) -> list[dict]:
        return self.call("GET", "/dev/outbox")[1]["messages"]


@pytest.fixture(scope="module")
def telegram_port() -> int:
    """Where the runner serves its stand-in of the Telegram Bot API (and its chat page)."""
    return free_port()


@pytest.fixture(scope="module")
def life_site(tmp_path_factory, dev_key, telegram_port):
    log_path = tmp_path_factory.mktemp("life") / "runner.log"
    with local_runner(
        log_path,
        HOMEWARD_DEV_KEY_FILE=str(dev_key),
        HOMEWARD_ESCALATE_URGENT_SECONDS=str(ESCALATE_AFTER),
        HOMEWARD_SCHEDULE_SECONDS="1",
        HOMEWARD_RATE_LIMIT="100",
        HOMEWARD_SIGNING_KEY=SIGNING_KEY,
        HOMEWARD_TELEGRAM_STANDIN_PORT=str(telegram_port),
        HOMEWARD_TELEGRAM_TIDY_SECONDS="1",  # the conversation deleted a second after
    ) as (base, _process, log):
        yield base, log


def import_urgent_row(site: str, dev_key, folder) -> str:
    """`homeward reports import` of a partner's file with one urgent row; its reference."""
    import csv
    import io
    import subprocess
    import sys
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "docs" / "samples" / "import.csv"
    header, first, *_ = list(csv.reader(io.StringIO(sample.read_text(encoding="utf-8"))))
    row = dict(zip(header, first, strict=True))
    row.update(
        external_id="LIFE-URGENT-1",
        family_name="Гнатюк",
        given_name="Марко",
        patronymic="",
        other_names="",
        date_of_birth="2013-06-02",
        share_with_authorities="yes",
        urgent="yes",
    )
    path = folder / "urgent.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerow(row)
    homeward = Path(sys.executable).with_name("homeward")
    done = subprocess.run(
        [str(homeward), "--url", site, "--key-file", str(dev_key), "reports", "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    partner = mint_dev_partner_token(dev_key, client_id="local-partner")
    status, answer = Http(site).call("GET", "/api/v1/partner/reports/LIFE-URGENT-1", token=partner)
    assert status == 200, answer
    return answer["reference"]


def seconds_between(one: str, other: str) -> float:
    import datetime as dt

    return (dt.datetime.fromisoformat(one) - dt.datetime.fromisoformat(other)).total_seconds()


def test_the_whole_life_of_a_case(page, life_site, dev_key, tmp_path, telegram_port):
    site, log = life_site
    http = Http(site)
    page_statuses: list[int] = []
    page.on("response", lambda response: page_statuses.append(response.status))
    coordinator = mint_dev_token(dev_key, role="coordinator", agency="UA-NIB", name="Olena")
    south = mint_dev_token(dev_key, role="caseworker", agency="UA-OMBUDSMAN", name="Taras")
    canada = mint_dev_token(dev_key, role="caseworker", agency="CA-GAC", name="Claire")
    auditor = mint_dev_token(dev_key, role="auditor", agency="UA-NIB")

    # 1. A mother reports her son, urgently, through the form with JavaScript, with a
    # photo she also gives as evidence for prosecutors.
    opened = page.goto(f"{site}/")
    # The page posts files to one other origin: the runner's emulated AWS.
    emulated = re.search(r"connect-src 'self' (\S+);", opened.headers["content-security-policy"])
    fill(page)
    page.check('input[name="urgent"][value="yes"]')
    photo = photo_jpeg(b"camera GPS 46.63 32.61")
    page.set_input_files(
        "#files", files=[{"name": "фото.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    page.wait_for_selector("#file-list >> text=Завантажено")
    page.check('input[name="consent.evidence"][value="yes"]')
    page.click("button.send")
    page.wait_for_selector("#reference")
    reference = page.text_content("#reference").strip()
    status_code = page.text_content("#status-token").strip()

    # 2. The alerts go out by e-mail and by SMS.
    def alerts_of(ref):
        return [m for m in http.outbox() if ref in m["body"]]

    # Four senders send the alerts in any order: wait for the southern desk's e-mail too.
    messages = wait_for(
        lambda: (
            {m["channel"] for m in alerts_of(reference)} == {"email", "sms"}
            and SOUTH_DESK in {m["to"] for m in alerts_of(reference)}
            and alerts_of(reference)
        )
    )
    sms = [m for m in messages if m["channel"] == "sms"]
    assert all("Ковальчук" not in m["body"] for m in sms)  # an SMS never names the child

    # A control case nobody acknowledges: it must escalate.
    control_body = copy.deepcopy(EXAMPLE_REPORT)
    control_body["child"]["given_name"] = "Контроль"
    control_body["urgent"] = True
    _, control = http.call("POST", "/api/v1/reports", control_body)

    # 3. The southern desk acknowledges from its e-mail: opening asks, the button records.
    (mail,) = [m for m in messages if m["to"] == SOUTH_DESK]
    link = re.search(r"https?://\S+/ack/[A-Za-z0-9_-]+", mail["body"]).group(0)
    assert link.startswith(site)
    page.goto(link)
    page.click("button[type=submit]")
    page.wait_for_selector("text=escalation has stopped")
    # Meanwhile, within the minute of the control case, an urgent report in a partner's
    # file, imported with `homeward reports import`: it rings as the API report does.
    imported = import_urgent_row(site, dev_key, tmp_path)

    # 3b. The photo as evidence (issue 27), while the control case waits to escalate: the
    # intake desk opens it in the console, which its chain of custody records; then it is
    # packaged for a prosecutor and checked offline (prosecutors_package).
    desk = ConsoleHttp(site, "demo-olena-koval")
    digest = hashlib.sha256(photo).hexdigest()
    assert desk.send(f"/staff/cases/{reference}/files/{digest}")[0] == 303
    prosecutors_package(emulated.group(1), reference, photo, tmp_path)
    # The keeper of the evidence (a coordinator with the evidence role) reads the photo's
    # custody on the case page in words (in Ukrainian, the console's first language); the
    # desk, without the role, is told why not.
    keeper = ConsoleHttp(site, "demo-halyna-moroz")
    custody = html.unescape(keeper.send(f"/staff/cases/{reference}")[1])
    assert "цілісний: геш і зв'язок кожного запису такі, як їх записано" in custody
    assert "Олена Коваль відкриває в консолі" in custody
    assert "Передано: Office of the Prosecutor General" in custody
    unseen = html.unescape(desk.send(f"/staff/cases/{reference}")[1])
    assert "Докази бачать лише координатори з роллю доказів." in unseen
    assert digest not in unseen

    # 3c. Meanwhile, his grandmother reports him too, in Ukrainian, through the Telegram
    # bot (issue 28); what became of it is checked at 7b.
    chat = TelegramChat(f"http://127.0.0.1:{telegram_port}", 4242)
    answers = {
        **BOT_ANSWERS,
        "urgent": ("press", "yes"),
        "child.given_name": ("text", "Олександр"),
        "child.date_of_birth": ("text", "14.03.2012"),
        "reporter.relationship": ("press", "relative"),
    }
    by_bot, bot_code = report_through_the_bot(chat, answers)

    # 3d. A caller reports another child on the hotline (issue 28): the operator reads each
    # question aloud in the caller's language and records the answer; the caller's consent
    # is recorded as given orally to her; urgent, it rings at once.
    caller = {
        **CALLER,
        "child.family_name": ("answer", "Мельник"),
        "child.given_name": ("answer", "Назар"),
    }
    read_back, receipt = take_a_call(desk, "uk", caller)
    assert "Мельник" in read_back  # the answers read back to the caller
    by_phone = re.search(r'id="hotline-reference">(HW-[0-9A-Z-]+)<', receipt).group(1)
    phone_code = re.search(r'id="hotline-status-code">([0-9A-Z-]+)<', receipt).group(1)
    assert by_phone in aloud(receipt) and phone_code in aloud(receipt)
    assert "given orally to" in receipt
    rang = wait_for(
        lambda: (
            {m["channel"] for m in alerts_of(by_phone)} == {"email", "sms"} and alerts_of(by_phone)
        )
    )
    assert all(m["body"].startswith("ТЕРМІНОВО") for m in rang if m["channel"] == "sms")
    shown = desk.send(f"/staff/cases/{by_phone}")[1]
    assert "Taken on the hotline by" in shown and "consent was given orally" in shown

    # 4. Its escalation stops; the control case, unacknowledged, escalates.
    wait_for(
        lambda: any("ЕСКАЛАЦІЯ" in m["body"] for m in alerts_of(control["reference"])),
        seconds=ESCALATE_AFTER + 10,
    )
    assert not any("ЕСКАЛАЦІЯ" in m["body"] for m in alerts_of(reference))
    # The imported row was alerted within the minute of the API report, each recipient
    # with a link of its own, and climbs its ladder as nobody answers it either.
    rung = wait_for(
        lambda: [m for m in alerts_of(imported) if "ЕСКАЛАЦІЯ" in m["body"]],
        seconds=ESCALATE_AFTER + 20,
    )
    first = [m for m in alerts_of(imported) if m not in rung]
    assert {SOUTH_DESK, INTAKE_DESK, CANADA_DESK} <= {m["to"] for m in first}
    links = [re.search(r"/ack/([A-Za-z0-9_-]+)", m["body"]).group(1) for m in first]
    assert len(set(links)) == len(first)
    # (A message SES holds but whose sender has not yet recorded its time has none yet.)
    control_sent = min(m["sent_at"] for m in alerts_of(control["reference"]) if m["sent_at"])
    imported_sent = min(m["sent_at"] for m in first if m["sent_at"])
    assert abs(seconds_between(imported_sent, control_sent)) < 60

    # 5. Staff list, read and work the case through the workflow to closed.
    _, listing = http.call("GET", "/api/v1/staff/cases?urgent=true", token=south)
    assert reference in [c["reference"] for c in listing["cases"]]
    status, case = http.call("GET", f"/api/v1/staff/cases/{reference}", token=south)
    assert status == 200 and case["report"]["child"]["family_name"] == "Ковальчук"
    assert "acknowledged" in {d["state"] for d in case["deliveries"]}
    # A neighbour's account, taken by phone as a witness statement (an adult's, sealed).
    said = {"witness": "neighbour", "adult_confirmed": True, "language": "uk", "saw": "Автобус"}
    said |= {"taker_role": "staff", "taken_how": "by_phone", "evidence_consent": True}
    said["given_at"] = dt.datetime.now(dt.UTC).isoformat()
    status, taken = http.call("POST", f"/api/v1/staff/cases/{reference}/statements", said, south)
    assert status == 201
    # She calls back: prosecutors must not use it. Recorded once; a second time is refused.
    took_back = f"/api/v1/staff/cases/{reference}/statements/{taken['statement_id']}"
    took_back += "/consent-withdrawal"
    assert http.call("POST", took_back, {"why": "asked by phone"}, south)[0] == 201
    assert http.call("POST", took_back, {"why": "asked by phone"}, south)[0] == 409
    for target in WORKFLOW:
        status, case = http.call(
            "POST",
            f"/api/v1/staff/cases/{reference}/status",
            {"status": target, "note": f"step to {target}", "version": case["version"]},
            token=south,
        )
        assert status == 200, case
    assert case["status"] == "closed"

    # 6. A second report of the same child, in Latin letters, from a partner NGO.
    latin = copy.deepcopy(EXAMPLE_REPORT)
    latin["child"].update(family_name="Kovalchuk", given_name="Oleksandr", patronymic=None)
    latin["child"]["other_names"] = []
    latin["reporter"].update(
        relationship="ngo", name="Helping Hands", phone=None, email=NGO_MAILBOX
    )
    # The NGO says: not to the authorities.
    latin["consent"]["share_with_authorities"] = False
    _, second = http.call("POST", "/api/v1/reports", latin)
    second_ref = second["reference"]

    # 6b. Its consent holds: the Canadian liaison and the intake desk hear of it, the
    # southern desk (a national authority) does not, and cannot open it.
    told = wait_for(
        lambda: (
            {m["to"] for m in alerts_of(second_ref)} >= {CANADA_DESK, INTAKE_DESK}
            and {m["to"] for m in alerts_of(second_ref)}
        )
    )
    assert SOUTH_DESK not in told
    assert http.call("GET", f"/api/v1/staff/cases/{second_ref}", token=south)[0] == 404
    status, seen = http.call("GET", f"/api/v1/staff/cases/{second_ref}", token=canada)
    assert status == 200 and seen["report"]["child"]["family_name"] == "Kovalchuk"

    # 7. Matching finds the pair; a caseworker confirms it; both cases are linked.
    def pair():
        _, found = http.call("GET", f"/api/v1/staff/cases/{second_ref}/matches", token=coordinator)
        return [m for m in (found or {}).get("matches", []) if m["reference"] == reference]

    (match,) = wait_for(pair)
    assert match["verdict"] == "likely"
    status, decided = http.call(
        "POST",
        f"/api/v1/staff/cases/{second_ref}/matches/{reference}",
        {"decision": "confirmed"},
        token=coordinator,
    )
    assert status == 200 and decided["review"] == "confirmed"
    for one, other in ((reference, second_ref), (second_ref, reference)):
        _, linked = http.call("GET", f"/api/v1/staff/cases/{one}", token=coordinator)
        assert other in linked["links"]

    # 7b. The grandmother's report through the bot: its alerts went out as the form
    # report's did: the same people, by e-mail and SMS, and no SMS names the child.
    def first_alerts(ref):
        """Whom a new report alerted, by which channel (no escalation, no news of a match)."""
        return {
            (m["to"], m["channel"])
            for m in alerts_of(ref)
            if "ЕСКАЛАЦІЯ" not in m["body"] + (m["subject"] or "")
            and "ESCALATION" not in m["body"] + (m["subject"] or "")
            and set(re.findall(r"HW-\w{4}-\w{4}", m["body"] + (m["subject"] or ""))) == {ref}
        }

    wait_for(lambda: first_alerts(by_bot) >= first_alerts(reference))
    assert first_alerts(by_bot) == first_alerts(reference)
    assert {channel for _, channel in first_alerts(by_bot)} == {"email", "sms"}
    bot_sms = [m["body"] for m in alerts_of(by_bot) if m["channel"] == "sms"]
    assert not [t for t in bot_sms if "Ковальчук" in t or "Олександр" in t]
    # Nobody said to keep it: the bot deletes the conversation from the chat, all but
    # the receipt, which names no child.
    received = UK(RECEIPT).split("%")[0]
    (kept,) = wait_for(lambda: len(chat.shown()) == 1 and chat.shown())
    assert received in kept[1] and "Ковальчук" not in kept[1] and "Олександр" not in kept[1]
    # "/status" with the receipt's number and code answers the coarse stage.
    chat.send("text", f"/status {by_bot} {bot_code}")
    chat.answer(lambda text, buttons: text.startswith(UK("Received")))

    # Matching pairs the bot's report with the form's.
    def candidates(of):
        _, found = http.call("GET", f"/api/v1/staff/cases/{of}/matches", token=coordinator)
        return [m["reference"] for m in (found or {}).get("matches", [])]

    wait_for(lambda: reference in candidates(by_bot))

    # 8. The mother's status page, with the code typed by hand (lower case, spaces).
    page.goto(f"{site}/status")
    page.fill("#reference", f" {reference.lower()} ")
    page.fill("#token", status_code.lower().replace("-", " "))
    page.click("form button[type=submit]")
    page.wait_for_selector("#outcome")
    assert page.text_content("#outcome h2").strip() == "Закрито"

    # 8b. The NGO withdraws its consent on the withdrawal page with its own code: the
    # liaison loses the case, the intake desk keeps it without the NGO's address.
    page.goto(f"{site}/status/withdraw")
    page.fill("#reference", second_ref)
    page.fill("#token", second["status_token"])
    page.check("#confirm")
    page.click("form button[type=submit]")
    page.wait_for_selector("#outcome h2")
    assert page.text_content("#outcome h2").strip() == "Вашу згоду відкликано"
    wait_for(lambda: http.call("GET", f"/api/v1/staff/cases/{second_ref}", token=canada)[0] == 404)
    status, kept = http.call("GET", f"/api/v1/staff/cases/{second_ref}", token=coordinator)
    assert status == 200 and kept["report"]["child"]["family_name"] == "Kovalchuk"
    assert NGO_MAILBOX not in json.dumps(kept)
    _, its_trail = http.call("GET", f"/api/v1/staff/cases/{second_ref}/audit", token=auditor)
    assert "withdraw" in [e["action"] for e in its_trail["entries"]]

    # 9. The auditor's trail has every step, and no case content.
    status, trail = http.call("GET", f"/api/v1/staff/cases/{reference}/audit", token=auditor)
    assert status == 200
    actions = [e["action"] for e in trail["entries"]]
    assert "acknowledge" in actions and "list" in actions and "read" in actions
    assert actions.count("status") == len(WORKFLOW)
    assert "match-confirmed" in actions
    # The photo opened, its evidence packaged and handed over to the prosecutor.
    assert {"open-attachment", "evidence-package", "evidence-hand-over"} <= set(actions)
    assert "take-statement" in actions and "Автобус" not in json.dumps(trail, ensure_ascii=False)
    assert "withdraw-statement-consent" in actions
    assert "Ковальчук" not in json.dumps(trail, ensure_ascii=False)
    # The hotline's report: taken by the operator, with the caller's consent given orally.
    _, phoned = http.call("GET", f"/api/v1/staff/cases/{by_phone}/audit", token=auditor)
    assert "take-report" in [e["action"] for e in phoned["entries"]]
    assert "Мельник" not in json.dumps(phoned, ensure_ascii=False)

    # Nothing anywhere answered 5xx, and the runner logged no unhandled error.
    assert [s for s in http.statuses + desk.statuses if s[0] >= 500] == []
    assert [s for s in page_statuses if s >= 500] == []
    log.seek(0)
    output = log.read()
    for personal in ("Ковальчук", "iryna@example.org", "+380501234567"):
        assert personal not in output
    assert not logged_errors(output), "\n\n".join(logged_errors(output))


PSYCHOLOGISTS = "UA-HOPE"  # the demo directory's psychologists (a service provider)


def status_page(site: str, reference: str, token: str) -> str:
    """The reporter's status page (uk) for a reference and its code: the outcome's text."""
    from urllib.parse import urlencode

    form = urlencode({"reference": reference, "token": token, "lang": "uk"}).encode()
    request = urllib.request.Request(
        f"{site}/status",
        method="POST",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        page = response.read().decode()
    return page.split('id="outcome"', 1)[1].split("</div>", 1)[0]


def test_the_life_of_a_case_goes_on_past_the_return(life_site, dev_key):
    """After "returned": verified, on a mediation list and exported (only the mediator's
    fields), on the way home, returned, needs assessed, referred to the psychologists, who
    accept and complete; a follow-up on time, the next one overdue and the desk alerted;
    closed with a reason and a coordinator's approval. The steps are dated as they
    happened: the child came home a hundred days ago."""
    site, _log = life_site
    http = Http(site)
    coordinator = mint_dev_token(dev_key, role="coordinator", agency="UA-NIB", name="Olena")
    approver = mint_dev_token(
        dev_key, role="coordinator", agency="UA-NIB", name="Petro", subject="demo-petro"
    )
    south = mint_dev_token(dev_key, role="caseworker", agency="UA-OMBUDSMAN", name="Taras")
    psychologist = mint_dev_token(dev_key, role="provider", agency=PSYCHOLOGISTS, name="Iryna")
    auditor = mint_dev_token(dev_key, role="auditor", agency="UA-NIB")
    today = dt.datetime.now(dt.UTC).date()

    def ago(days: int) -> str:
        return (today - dt.timedelta(days=days)).isoformat()

    body = copy.deepcopy(EXAMPLE_REPORT)
    body["child"]["given_name"] = "Богдан"
    _, receipt = http.call("POST", "/api/v1/reports", body)
    reference = receipt["reference"]
    case = f"/api/v1/staff/cases/{reference}"
    wait_for(lambda: http.call("GET", case, token=south)[0] == 200)

    def step(stage: str, on: str, token=south, **extra):
        status, record = http.call(
            "POST",
            f"{case}/return/steps",
            {"stage": stage, "on": on, "how": "desk", **extra},
            token=token,
        )
        assert status == 200, record
        return record

    # 1. Located, then verified (who, how, when).
    step("located", ago(130))
    step("verified", ago(125), how="birth certificate seen by the desk")

    # 2. On a coordinator's list for a mediator, exported with only the mediator's fields.
    _, listed = http.call(
        "POST", "/api/v1/staff/mediation-lists", {"mediator": "Qatar"}, coordinator
    )
    lists = f"/api/v1/staff/mediation-lists/{listed['list_id']}"
    status, _ = http.call(
        "POST", f"{lists}/children", {"reference": reference, "on": ago(120)}, coordinator
    )
    assert status == 200
    status, export = http.call("POST", f"{lists}/export", {}, coordinator)
    assert status == 200 and export["version"] == 1
    (child,) = export["children"]
    assert child["child"]["given_name"] == "Богдан"
    assert set(child) == {"child", "last_known_location"}
    exported = json.dumps(export, ensure_ascii=False)
    for withheld in ("Олешки", "iryna@example.org", "recreation camp", "inhaler", "Ірина"):
        assert withheld not in exported

    # 3. The mediator's answer, imported by line of the export: being returned (on the
    # way home); then home.
    answer = {"version": 1, "on": ago(110), "answers": [{"line": 1, "answer": "being_returned"}]}
    status, answered = http.call("POST", f"{lists}/answers", answer, coordinator)
    assert status == 200 and [a["line"] for a in answered["taken"]] == [1], answered
    record = step("returned", ago(100))
    assert record["steps"][-1]["stage"] == "returned"

    # 4. Needs assessed; the family consents; referred to the psychologists.
    needs = {"needs": [{"type": "psychological", "urgency": "high"}], "on": ago(99)}
    assert http.call("POST", f"{case}/return/needs", needs, south)[0] == 200
    consent = {"services": True, "disclosure": True}
    assert http.call("POST", f"{case}/return/consent", consent, south)[0] == 200
    referral = {
        "service": "psychosocial",
        "provider": PSYCHOLOGISTS,
        "note": "nightmares since the return",
        "due": today.isoformat(),
    }
    status, record = http.call("POST", f"{case}/referrals", referral, south)
    assert status == 200, record
    referral_id = record["referrals"][0]["referral_id"]

    # The psychologists' desk was alerted (the service and the reference, no child), and
    # each step alerted the desk owning the next one; the mother's status page says "home,
    # receiving help" in her language, and no more.
    def told(to: str, words: str):
        found = [m for m in http.outbox() if m["to"] == to and reference in m["body"]]
        return [m for m in found if words in m["body"]]

    (offer,) = wait_for(lambda: told("desk@hope.example.org", "психосоціальна підтримка"))
    assert "Богдан" not in offer["body"]
    assert wait_for(lambda: told(SOUTH_DESK, "на шляху додому"))
    assert wait_for(lambda: told(INTAKE_DESK, "внесіть дитину до списку для посередника"))
    shown = status_page(site, reference, receipt["status_token"])
    assert "Вдома, отримує допомогу" in shown
    assert "Qatar" not in shown and "Moscow" not in shown

    # 5. The psychologists accept and complete it; they never see the case itself.
    _, inbox = http.call("GET", "/api/v1/staff/referrals", token=psychologist)
    (mine,) = [r for r in inbox["referrals"] if r["reference"] == reference]
    assert mine["child"]["child"]["given_name"] == "Богдан"
    assert http.call("GET", case, token=psychologist)[0] == 403
    answer = f"/api/v1/staff/referrals/{reference}/{referral_id}"
    assert (
        http.call("POST", answer, {"status": "accepted"}, psychologist)[1]["status"] == "accepted"
    )
    assert http.call("POST", answer, {"status": "done"}, psychologist)[1]["status"] == "done"

    # 6. A follow-up on time (the first is due 14 days after the return)...
    status, record = http.call(
        "POST", f"{case}/follow-ups", {"on": ago(92), "note": "at school, sleeping"}, south
    )
    assert status == 200 and record["follow_up_overdue"] is True  # the next: 2 days late

    # 7. ...the next one overdue: the schedule alerts the case's desk, once.
    def overdue_mail():
        return [
            m
            for m in http.outbox()
            if m["to"] == SOUTH_DESK
            and reference in m["body"]
            and m["channel"] == "email"
            and "повторний візит" in (m["subject"] or "")
        ]

    (mail,) = wait_for(overdue_mail, seconds=30)
    assert "Богдан" not in mail["body"]  # the alert names no child

    # A relative reports Богдан again: matching pairs it with the returning child's case,
    # and the case's desk hears of it.
    _, again = http.call("POST", "/api/v1/reports", body)
    assert wait_for(lambda: told(SOUTH_DESK, again["reference"]), seconds=30)

    # 8. Closed with a reason, and approved by another coordinator.
    closure = {"reason": "goals_met", "note": "the plan's goals are met"}
    assert http.call("POST", f"{case}/closure", closure, south)[0] == 200
    _, waiting = http.call("GET", "/api/v1/staff/closures", token=coordinator)
    assert reference in [c["reference"] for c in waiting["cases"]]
    status, record = http.call("POST", f"{case}/closure/decision", {"approve": True}, approver)
    assert status == 200 and record["closure"]["state"] == "approved"
    assert record["follow_up_due"] is None  # no follow-up is due on a closed case

    # The return's KPIs count it; the auditor's trail has every step, no child in it.
    _, kpis = http.call("GET", "/api/v1/staff/statistics/return", token=coordinator)
    assert (
        kpis["overall"]["referrals_completed"] >= 1 and kpis["overall"]["follow_ups_on_time"] >= 1
    )
    _, trail = http.call("GET", f"{case}/audit", token=auditor)
    actions = [e["action"] for e in trail["entries"]]
    for done in ("return-step", "mediation-list", "mediation-export", "refer", "answer-referral"):
        assert done in actions
    assert "follow-up" in actions and "closure-approved" in actions
    assert "Богдан" not in json.dumps(trail, ensure_ascii=False)
    assert [s for s in http.statuses if s[0] >= 500] == []
