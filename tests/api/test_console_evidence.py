"""Issue 27 in the console: a case's evidence on its page, in words, for a coordinator
with the evidence role; one sentence of why not for everyone else (tests in process)."""

from __future__ import annotations

import hashlib
import re

import pytest
from formdata import post_form, with_photo
from helpers import Console, assert_words_only, photo_jpeg

# infra/demo/staff.csv: Галина Мороз holds the evidence role; Олена Коваль does not.
KEEPER = "demo-halyna-moroz"
COORDINATOR = "demo-olena-koval"
PHOTO = photo_jpeg(b"camera GPS 46.63 32.61")


def file_report(client, pump, name: str, *, evidence: bool) -> str:
    """A form's report with one photo, as the page sends it; its reference."""
    fields = with_photo(client, name, PHOTO)
    if evidence:
        fields["consent.evidence"] = "yes"
    filed = post_form(client, fields)
    assert filed.status_code == 201
    pump.run_until_idle()
    return re.search(r'id="reference">(HW-[0-9A-Z-]+)<', filed.body.decode()).group(1)


def evidence_of(page) -> str:
    """The page's evidence section, its characters as a person reads them."""
    from html import unescape

    html = unescape(page.body.decode())
    start = html.index('id="evidence"')
    return html[start : html.index("\n</section>", start)]  # its own, not indented


@pytest.fixture
def given(client, pump):
    return file_report(client, pump, "evidence-page", evidence=True)


def test_the_keeper_reads_each_original_its_hash_and_its_custody_in_words(
    client, pump, given, token
):
    keeper = Console(client, KEEPER)
    digest = hashlib.sha256(PHOTO).hexdigest()
    section = evidence_of(keeper.get(f"/staff/cases/{given}"))
    assert "File 1: photo (JPEG)" in section
    assert f'title="{digest}"' in section and f"{digest[:8]}…{digest[-8:]}" in section
    assert "holds: every entry's hash and link is as written" in section
    assert "Consent to the use as evidence: given with the report" in section
    assert "Received from the reporter with the report" in section
    assert "A working copy without the file's metadata was made for staff" in section
    assert "not yet: the chains are stamped once a day" in section
    assert_words_only(section)

    # Opening the working copy is a step of its custody, named with the person's name;
    # the day's anchor then fixes the chain.
    (working,) = re.findall(rf'/staff/cases/{given}/files/([0-9a-f]{{64}})" rel', section)
    assert keeper.get(f"/staff/cases/{given}/files/{working}").status_code == 303
    assert pump.anchor_custody() == 1
    section = evidence_of(keeper.get(f"/staff/cases/{given}"))
    assert "Opened by Галина Мороз in the console" in section
    assert_words_only(section)
    assert "last on " in section and "not yet" not in section

    ukrainian = Console(client, KEEPER, lang="uk")
    assert "Ланцюг" in evidence_of(ukrainian.get(f"/staff/cases/{given}"))

    # The staff API answers from the same services (one rule, two faces).
    def api(path, **claims):
        bearer = {"Authorization": f"Bearer {token('coordinator', **claims)}"}
        return client.http.get(f"/api/v1/staff{path}", headers=bearer)

    found = api(f"/cases/{given}/evidence", evidence=True).json_body
    (original,) = found["files"]
    assert found["standing"] == "shown" and original["sha256"] == digest
    assert original["chain_holds"] and original["stamped_seq"] == 3
    assert [s["action"] for s in original["custody"]][-1] == "viewed"
    from chalicelib import wiring

    read = [e for e in wiring.stores().audit.trail(given) if e.action == "read-evidence"]
    assert len(read) == 4  # three pages and this answer: each read left its trace
    assert api(f"/cases/{given}/evidence").json_body == {
        "standing": "not_your_role",
        "consent_given_at": None,
        "withdrawn_at": None,
        "files": [],
    }
    assert api("/evidence/packages", evidence=True).json_body == {
        "packages": [],
        "cases": [{"reference": given, "allowed": True, "files": 1}],
    }
    assert api("/evidence/packages").status_code == 403
    paths = client.http.get("/openapi.json").json_body["paths"]
    assert "get" in paths["/api/v1/staff/cases/{reference}/evidence"]
    assert "403" in paths["/api/v1/staff/evidence/packages"]["get"]["responses"]


def test_a_changed_custody_entry_is_named_on_the_page_by_its_place_in_the_list(
    client, pump, given, aws
):
    """A forged entry (here, another actor written into the second) breaks the chain: the
    page says so in the reader's language and names the entry as the custody list numbers
    it, never by the verifier's English and the item's identifier."""
    import boto3

    from chalicelib.adapters.dynamo import keys

    table = boto3.client("dynamodb")
    pk = {"S": keys.evidence_partition(given)}
    custody = table.query(
        TableName=aws["TableName"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": pk, ":c": {"S": "CUSTODY#1#"}},
    )["Items"]
    table.update_item(
        TableName=aws["TableName"],
        Key={"pk": pk, "sk": custody[1]["sk"]},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "someone else"}},
    )
    section = evidence_of(Console(client, KEEPER).get(f"/staff/cases/{given}"))
    assert "does not hold: an entry was changed" in section
    assert "(entry 2 was changed after it was written)" in section
    assert "custody entry" not in section and f"{given}-1" not in section
    assert_words_only(section)
    section = evidence_of(Console(client, KEEPER, lang="uk").get(f"/staff/cases/{given}"))
    assert "(запис 2 змінено після того, як його було зроблено)" in section


def test_without_the_role_or_the_consent_nothing_of_an_item_and_packages_only_with_consent(
    client, pump, given
):
    """One sentence of why, on the case page; the packages page offers only cases whose
    reporter agreed, and lists what was built in words."""
    from html import unescape

    from chalicelib import wiring
    from chalicelib.domain.staff import StaffMember
    from chalicelib.services import evidence, evidence_packages

    digest = hashlib.sha256(PHOTO).hexdigest()
    page = Console(client, COORDINATOR).get(f"/staff/cases/{given}").body.decode()
    assert "Evidence is shown only to coordinators who hold the evidence role." in page
    assert digest not in page and "Its custody" not in page
    without = file_report(client, pump, "no-evidence-page", evidence=False)
    keeper = Console(client, KEEPER)
    page = keeper.get(f"/staff/cases/{without}").body.decode()
    assert "The reporter did not agree to the use of what they sent as evidence" in page
    assert digest not in page and "Its custody" not in page

    page = unescape(keeper.get("/staff").body.decode())
    assert 'staff/evidence"' in page  # in the keeper's menu only
    assert 'staff/evidence"' not in Console(client, COORDINATOR).get("/staff").body.decode()
    page = unescape(keeper.get("/staff/evidence").body.decode())
    assert f"{given}</a>: 1 file or statement kept as evidence" in page
    assert without not in page  # never kept as evidence: not even named
    assert "No package was built yet." in page

    # Built with the evidence role's credentials (the CLI's service): listed in words.
    person = StaffMember("demo-halyna-moroz", "coordinator", "UA-NIB", evidence=True)
    stores, files = wiring.stores(), wiring.evidence_files()
    evidence_packages.build(
        person,
        "Office of the Prosecutor General",
        [given],
        stores=stores,
        files=files,
        now=dt_now(),
    )
    page = unescape(keeper.get("/staff/evidence").body.decode())
    assert "Office of the Prosecutor General" in page and " by Галина Мороз" in page
    assert (
        "1 case, 1 file or statement" in page
        and "not yet: a withdrawal still takes a case out" in page
    )
    assert_words_only(page)

    # Withdrawn: no longer offered, and its page says when, and nothing else of it.
    assert evidence.withdraw(given, stores=stores, now=dt_now(), why="by the reporter")
    page = re.sub(r"<[^>]+>", "", keeper.get("/staff/evidence").body.decode())
    assert f"{given}: not allowed: no evidence consent" in page
    page = keeper.get(f"/staff/cases/{given}").body.decode()
    assert "The reporter withdrew the consent to the use of what they sent as evidence on " in page
    assert digest not in page and "Its custody" not in page

    refused = Console(client, COORDINATOR).get("/staff/evidence")
    assert refused.status_code == 403
    assert "Office of the Prosecutor General" not in refused.body.decode()
    assert Console(client, "demo-taras-bondar").get("/staff/evidence").status_code in (403, 404)


def dt_now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)
