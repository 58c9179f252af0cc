"""What a caseworker reads on the console's pages, in process: a status move in words on
the timeline, the inbox row of an assigned case, and signing out locally."""

from __future__ import annotations

import pytest
from helpers import Console, post_report


@pytest.fixture
def reference(client, pump, report_body):
    """A Kherson report, dispatched: the south desk's agency works it."""
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def test_a_status_move_reads_in_words_on_the_timeline(client, reference):
    south = Console(client, "demo-taras-bondar", lang="uk")
    south.get(f"/staff/cases/{reference}")
    moved = south.post(
        f"/staff/cases/{reference}/status",
        {"status": "triaged", "note": "Поговорила з матір’ю", "version": "1"},
    )
    assert moved.status_code == 303
    page = south.get(f"/staff/cases/{reference}").body.decode()
    timeline = page.split('id="timeline-title"', 1)[1]
    assert "Стан: Отримано → Первинно розглянуто." in timeline
    assert "Поговорила з матір’ю" in timeline and "received → triaged" not in timeline
    # Newest first, and the report itself last, even within the second it arrived in.
    assert "Повідомлення отримано." in timeline.split("</ol>", 1)[0].split("<li>")[-1]


def test_the_inbox_row_of_an_assigned_case_names_the_child_and_the_colleague(client, reference):
    south = Console(client, "demo-taras-bondar")
    south.get(f"/staff/cases/{reference}")
    south.post(
        f"/staff/cases/{reference}/assign",
        {"assignee": "demo-oksana-hrytsenko", "version": "1"},
    )
    mine = Console(client, "demo-oksana-hrytsenko").get("/staff?assignee=mine").body.decode()
    row = mine.split(f">{reference}</a>", 1)[1].split("</tr>", 1)[0]
    for shown in ("Ковальчук", "Kherson", "Оксана Гриценко"):
        assert shown in row, shown
    assert "demo-" not in row
    # Nobody else's: Taras's own "mine" does not list it.
    assert reference not in south.get("/staff?assignee=mine").body.decode()


def test_signing_out_ends_the_session_here_and_now(client, reference):
    south = Console(client, "demo-taras-bondar")
    south.get("/staff")
    out = south.post("/staff/sign-out", {})
    assert out.status_code in (200, 303)
    assert "homeward_staff" not in south.cookies
    again = client.http.get("/staff", headers=south.headers)
    assert again.status_code == 303 and "sign-in" in again.headers["Location"]


def test_a_copy_of_the_cookie_kept_from_before_signing_out_opens_nothing(client, reference):
    """Issue 23 (low): sign-out did not end the session on the server; a kept cookie
    read cases after it. The attack: copy the cookie, sign out, use the copy."""
    south = Console(client, "demo-taras-bondar")
    assert south.get(f"/staff/cases/{reference}").status_code == 200
    kept = dict(south.headers)
    other = Console(client, "demo-taras-bondar")  # the same person, another browser
    assert south.post("/staff/sign-out", {}).status_code in (200, 303)
    for path in ("/staff", f"/staff/cases/{reference}", "/staff/directory"):
        again = client.http.get(path, headers=kept)
        assert again.status_code == 303 and "sign-in" in again.headers["Location"], path
    # A form posted with the copy changes nothing either.
    posted = client.http.post(
        f"/staff/cases/{reference}/notes",
        headers={**Console.FORM, **kept},
        body=f"csrf={south.csrf}&text=written+after+signing+out",
    )
    assert posted.status_code in (303, 401, 403)
    assert "written after signing out" not in other.get(f"/staff/cases/{reference}").body.decode()
    # Only that session ended: the same person's other browser is still signed in.
    assert other.get("/staff").status_code == 200


def test_a_match_decisions_note_reads_in_words_on_both_cases(client, pump, report_body):
    first = post_report(client, report_body).json_body["reference"]
    second = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    south = Console(client, "demo-taras-bondar")
    pair = f"/staff/cases/{second}/matches/{first}"
    assert "Is this the same child?" in south.get(pair).body.decode()
    decided = south.post(pair, {"decision": "confirmed", "note": "Same scar, same school"})
    assert decided.status_code == 303
    for case, other in ((second, first), (first, second)):
        timeline = south.get(f"/staff/cases/{case}").body.decode().split('id="timeline-title"')[1]
        assert "Note on the match with <a" in timeline and f">{other}</a>" in timeline
        assert "Same scar, same school" in timeline and "confirmed —" not in timeline
