"""The reporter's status page follows the child's return in coarse words (uk, ru, en),
and never says more: not the route, not the mediator, not a note of a step."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from formdata import FORM
from helpers import EXAMPLE_REPORT, post_report

from chalicelib.domain.case import status_token

SIGNING_KEY = b"test-signing-key"


@pytest.fixture
def south(staff):
    return staff("caseworker", "UA-OMBUDSMAN")


def stage_shown(client, reference: str, lang: str) -> str:
    fields = {"reference": reference, "token": status_token(SIGNING_KEY, reference), "lang": lang}
    page = client.http.post("/status", headers={"Content-Type": FORM}, body=urlencode(fields))
    assert page.status_code == 200
    body = page.body.decode() if isinstance(page.body, bytes) else page.body
    outcome = re.search(r'id="outcome">(.*?)</div>', body, re.S).group(1)
    for secret in ("Qatar", "Riga", "Ковальчук", "Olesh", "bus"):
        assert secret not in outcome
    return re.search(r"<h2>([^<]+)</h2>", outcome).group(1)


def step(south, reference: str, stage: str, **more) -> None:
    on = dt.datetime.now(dt.UTC).date().isoformat()
    body = {"stage": stage, "on": on, "how": "by bus through Riga, Qatar mediated", **more}
    answer = south.post(f"/cases/{reference}/return/steps", body)
    assert answer.status_code == 200, answer.json_body


def test_the_status_page_follows_the_return_in_coarse_words(client, pump, south):
    reference = post_report(client, EXAMPLE_REPORT).json_body["reference"]
    pump.run_until_idle()
    assert stage_shown(client, reference, "en") == "Received"

    step(south, reference, "located")
    assert stage_shown(client, reference, "uk") == "Дитину знайдено"
    step(south, reference, "verified")
    assert stage_shown(client, reference, "ru") == "Личность ребёнка подтверждена"
    step(south, reference, "on_mediation_list")
    # A mediator's list is not the reporter's to know: still "confirmed".
    assert stage_shown(client, reference, "en") == "The child's identity has been confirmed"
    step(south, reference, "in_transit")
    assert stage_shown(client, reference, "uk") == "На шляху додому"
    step(south, reference, "returned")
    assert stage_shown(client, reference, "en") == "Home"
    step(south, reference, "reunited", with_whom="the mother")
    on = dt.datetime.now(dt.UTC).date().isoformat()
    assessed = south.post(
        f"/cases/{reference}/return/needs",
        {"needs": [{"type": "psychological", "urgency": "high"}], "on": on},
    )
    assert assessed.status_code == 200, assessed.json_body
    assert stage_shown(client, reference, "uk") == "Вдома, отримує допомогу"
