"""The console in process: its session, sign-in (local and Cognito's), refusals of
cross-site posts, an expired session that keeps a typed note, and its pages' answers."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse

import pytest
import time_machine
from cognito import CognitoStandIn
from helpers import FORM, Console, post_report

CLIENT_ID = "console0example0client"
PUBLIC = "https://homeward.example.org"


@pytest.fixture
def reference(client, pump, report_body):
    """A Kherson report, dispatched: the south desk's agency works it."""
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def cookie(answer, name: str) -> str:
    found = answer.headers.get("Set-Cookie") or []
    found = [found] if isinstance(found, str) else found
    (value,) = [c for c in found if c.startswith(f"{name}=")]
    return value


def test_the_session_cookie_is_httponly_secure_strict_and_scoped_to_the_console(client):
    answer = client.http.post(
        "/staff/sign-in", headers=FORM, body="subject=demo-taras-bondar&next=staff"
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "../staff"
    flags = [f.strip() for f in cookie(answer, "homeward_staff").split(";")]
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/staff"} <= set(flags)
    # Sealed: nothing of who signed in can be read from it.
    assert "demo-taras" not in flags[0] and "UA-OMBUDSMAN" not in flags[0]


def test_pages_need_a_session_and_come_back_after_signing_in(client, reference):
    answer = client.http.get(f"/staff/cases/{reference}")
    assert answer.status_code == 303
    wanted = f"../../staff/sign-in?next=staff%2Fcases%2F{reference}&lang=uk"
    assert answer.headers["Location"] == wanted
    page = client.http.get("/staff/sign-in?next=https://evil.example/")
    assert b'value="staff"' in page.body  # never back to another site
    assert b"demo-olena-koval" in page.body


def test_a_post_from_another_site_or_without_the_form_token_does_nothing(client, reference, aws):
    south = Console(client, "demo-taras-bondar")
    south.get(f"/staff/cases/{reference}")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = south.post(f"/staff/cases/{reference}/notes", {"text": "forged"}, headers)
        assert refused.status_code == 403
    south.csrf = "not-the-form-token"
    stale = south.post(f"/staff/cases/{reference}/notes", {"text": "from an old tab"})
    assert stale.status_code == 303 and "notice=resend" in stale.headers["Location"]
    texts = [n["text"] for n in _case(client, reference)["notes"]]
    assert "forged" not in texts and "from an old tab" not in texts
    # The page it returns to keeps what was typed, to be sent again.
    assert b"from an old tab" in south.get(f"/staff/cases/{reference}").body


def test_an_expired_session_leads_to_sign_in_and_the_typed_note_is_kept(client, reference):
    south = Console(client, "demo-taras-bondar")
    south.get(f"/staff/cases/{reference}")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31), tick=False):
        answer = south.post(f"/staff/cases/{reference}/notes", {"text": "Мати подзвонила о 9:40"})
        assert answer.status_code == 303
        assert answer.headers["Location"].startswith("../../../staff/sign-in?next=staff%2Fcases")
        assert "homeward_staff" not in south.cookies and "homeward_draft" in south.cookies
        assert "Мати" not in south.cookies["homeward_draft"]  # sealed like the session
        again = Console(client, "demo-taras-bondar")
        again.cookies["homeward_draft"] = south.cookies["homeward_draft"]
        page = again.get(f"/staff/cases/{reference}")
    assert "Мати подзвонила о 9:40" in page.body.decode()
    assert b"You were signed out before your change was saved" in page.body
    assert "Мати подзвонила" not in json.dumps(_case(client, reference), ensure_ascii=False)
    # Once: the draft is gone after the page showed it.
    assert "homeward_draft" not in again.cookies


def test_another_agencys_caseworker_gets_the_same_page_as_for_a_missing_case(client, reference):
    east = Console(client, "demo-andrii-lysenko")
    foreign, missing = east.get(f"/staff/cases/{reference}"), east.get("/staff/cases/HW-2222-3333")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.body == missing.body
    east.get("/staff/search")
    found = east.post("/staff/search", {"q": reference})
    assert found.status_code == 200 and b"Nothing found" in found.body


def test_an_auditor_reads_the_trail_and_cannot_open_the_case(client, reference):
    auditor = Console(client, "demo-nataliia-rudenko")
    assert auditor.get(f"/staff/cases/{reference}").status_code == 403
    trail = auditor.get(f"/staff/audit?reference={reference}")
    assert trail.status_code == 200 and "Ковальчук".encode() not in trail.body
    assert "Тарас Бондар".encode() not in trail.body  # nobody of the south desk read it yet


def test_the_console_and_the_api_are_one_rule_with_two_faces(client, reference, staff):
    south = staff("caseworker", "UA-OMBUDSMAN")
    found = south.post("/search", {"q": "Kovalchuk Oleksandr"}).json_body["cases"]
    assert [c["reference"] for c in found] == [reference]
    assert found[0]["child"]["family_name"] == "Ковальчук"
    who = south.get(f"/cases/{reference}/colleagues").json_body["colleagues"]
    assert {p["subject"] for p in who} == {"demo-taras-bondar", "demo-oksana-hrytsenko"}
    refused = south.post(f"/cases/{reference}/assignee", {"assignee": "me", "version": 1})
    assert refused.status_code == 422 and refused.json_body["type"] == "/problems/unknown-assignee"
    fix = {"field": "child.date_of_birth", "value": "2012-04-03", "reason": "swapped", "version": 1}
    corrected = south.post(f"/cases/{reference}/corrections", fix)
    assert corrected.status_code == 200 and corrected.json_body["version"] == 2
    assert corrected.json_body["events"][0]["detail"]["after"] == "2012-04-03"
    sealed = {**fix, "field": "reporter.email", "version": 2}
    sealed = south.post(f"/cases/{reference}/corrections", sealed)
    assert sealed.status_code == 422
    # Not this caller's alert: their token has no e-mail address of a contact.
    mine = {"delivery_id": "report-received/south-ua-ombudsman/email"}
    assert south.post(f"/cases/{reference}/acknowledgements", mine).status_code == 404
    preview = staff("coordinator").get("/routing-preview?oblast=UA-65&category=deported")
    assert {d["contact_id"] for d in preview.json_body["rungs"][0]["deliveries"]} >= {
        "south-ua-ombudsman"
    }
    assert south.get("/routing-preview?oblast=UA-65&category=deported").status_code == 403


def _case(client, reference):
    """The case as a coordinator reads it through the staff API."""
    import os
    from pathlib import Path

    from chalicelib.adapters.tokens import mint_dev_token

    key = Path(os.environ["HOMEWARD_DEV_KEY_FILE"])
    token = mint_dev_token(key, role="coordinator", agency="UA-NIB")
    return client.http.get(
        f"/api/v1/staff/cases/{reference}", headers={"Authorization": f"Bearer {token}"}
    ).json_body


# -- a deployed stage: Cognito's managed login -------------------------------------------------


# The person Cognito signs in: a caseworker of the southern desk.
CASEWORKER = {
    "sub": "5e1f-caseworker",
    "cognito:groups": ["caseworker"],
    "custom:agency": "UA-OMBUDSMAN",
    "name": "Тарас Бондар",
    "email": "south@ombudsman.example.org",
    "email_verified": True,
}


@pytest.fixture
def deployed(app_module, monkeypatch):
    """The app as a deployed stage sees itself, signing in at a stand-in for Cognito."""
    from chalice.test import Client

    from chalicelib import wiring

    # Its ID tokens expire two minutes after sign-in, so that a test sees one renewed.
    with CognitoStandIn(CLIENT_ID, CASEWORKER, exchanged_lifetime=120) as cognito:
        monkeypatch.setenv("HOMEWARD_STAGE", "prod")
        monkeypatch.setenv("HOMEWARD_PUBLIC_URL", PUBLIC)
        monkeypatch.setenv("HOMEWARD_SIGN_IN_URL", cognito.base)
        monkeypatch.setenv("HOMEWARD_TOKEN_ISSUER", cognito.base)
        monkeypatch.setenv("HOMEWARD_TOKEN_AUDIENCE", CLIENT_ID)
        wiring.reset()
        with Client(app_module.app, stage_name="prod") as client:
            yield client, cognito
    wiring.reset()


def test_a_deployed_stage_signs_in_with_the_code_flow_and_pkce(deployed):
    client, cognito = deployed
    # No demo staff, no local sign-in: the page sends the browser to the managed login.
    demo = client.http.post("/staff/sign-in", headers=FORM, body="subject=demo-olena-koval")
    assert demo.status_code == 404
    start = client.http.get("/staff/sign-in?next=staff/search")
    assert start.status_code == 303
    location = urllib.parse.urlsplit(start.headers["Location"])
    asked = dict(urllib.parse.parse_qsl(location.query))
    authorize = f"{location.scheme}://{location.netloc}{location.path}"
    assert authorize == f"{cognito.base}/oauth2/authorize"
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["client_id"] == CLIENT_ID and asked["redirect_uri"] == f"{PUBLIC}/staff/callback"
    waiting = cookie(start, "homeward_sign_in")
    assert "SameSite=Lax" in waiting and "HttpOnly" in waiting and "Secure" in waiting
    jar = {"Cookie": waiting.split(";")[0]}
    # A forged state, or no waiting sign-in, starts nothing.
    forged = f"/staff/callback?code={cognito.issue(asked)}&state=forged"
    assert client.http.get(forged, headers=jar).status_code == 401
    lost = f"/staff/callback?code={cognito.issue(asked)}&state={asked['state']}"
    assert client.http.get(lost).status_code == 401
    code = cognito.issue(asked)
    back = client.http.get(f"/staff/callback?code={code}&state={asked['state']}", headers=jar)
    assert back.status_code == 200
    assert b'http-equiv="refresh" content="0;url=../staff/search"' in back.body
    session = cookie(back, "homeward_staff").split(";")[0]
    page = client.http.get("/staff/search", headers={"Cookie": session})
    assert page.status_code == 200 and "Тарас Бондар" in page.body.decode()
    # The ID token expires: the refresh token renews it, unseen.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        renewed = client.http.get("/staff/search", headers={"Cookie": session})
        assert renewed.status_code == 200 and cognito.refreshed == 1
        session = cookie(renewed, "homeward_staff").split(";")[0]
        token = re.search(rb'name="csrf" value="([^"]+)"', renewed.body).group(1).decode()
        out = client.http.post(
            "/staff/sign-out", headers={**FORM, "Cookie": session}, body=f"csrf={token}"
        )
    assert out.status_code == 303
    assert out.headers["Location"].startswith(f"{cognito.base}/logout?client_id={CLIENT_ID}")
    (issued,) = cognito.refresh_tokens  # one sign-in, one refresh token: now revoked
    assert cognito.revoked == [issued]
    assert cookie(out, "homeward_staff").startswith("homeward_staff=;")


def test_a_session_whose_refresh_cognito_refuses_is_over(deployed):
    client, cognito = deployed
    start = client.http.get("/staff/sign-in")
    asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.headers["Location"]).query))
    jar = {"Cookie": cookie(start, "homeward_sign_in").split(";")[0]}
    back = client.http.get(
        f"/staff/callback?code={cognito.issue(asked)}&state={asked['state']}", headers=jar
    )
    session = {"Cookie": cookie(back, "homeward_staff").split(";")[0]}
    cognito.disabled = True  # an administrator disabled the person meanwhile
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3), tick=False):
        assert client.http.get("/staff", headers=session).status_code == 303


def test_an_acknowledgement_links_page_leads_on_to_the_case_in_the_console(client, reference):
    import datetime as dt

    from chalicelib import wiring

    link = wiring.ack_link(
        reference, "report-received/south-ua-ombudsman/email", dt.datetime.now(dt.UTC)
    )
    path = urllib.parse.urlsplit(link).path
    done = client.http.post(path, body=b"")
    assert done.status_code == 200
    assert f'href="../staff/cases/{reference}"' in done.body.decode()
