"""What the reporter consented to is what happens: every one of the 16 combinations.

Over the real path (the API, the stream, the dispatcher, the sender, moto's SES and SNS,
the staff API): who was alerted with what, who can read what, and whether matching ran.
The demo directory routes a Kherson deportation to the intake desk's coordinators
(UA-NIB), the Ombudsman's southern desk (a national authority) and Canada's liaison (a
coalition member); domain/disclosure.py says what each may learn.
"""

import copy
import itertools

import pytest
from helpers import EXAMPLE_REPORT, post_report

from infra.local.outbox import sent_messages

COMBINATIONS = list(itertools.product([True, False], repeat=4))
CHILD = "Ковальчук"
INTAKE = "coordinator@nib.example.org"
AUTHORITY = "south@ombudsman.example.org"
COALITION = "liaison@coalition-ca.example.org"
AUTHORITY_PHONE = "+380501112233"


def report(tracing, coalition, authorities, contact) -> dict:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["consent"] = {
        "tracing": tracing,
        "share_with_coalition": coalition,
        "share_with_authorities": authorities,
    }
    body["reporter"]["may_contact"] = contact
    return body


def received(reference: str) -> dict[str, list[str]]:
    """Each address -> the bodies of what it was sent about this case."""
    found: dict[str, list[str]] = {}
    for message in sent_messages():
        if reference in message["body"] + (message.get("html") or ""):
            found.setdefault(message["to"], []).append(
                message["body"] + (message.get("html") or "")
            )
    return found


@pytest.mark.parametrize(
    ("tracing", "coalition", "authorities", "contact"),
    COMBINATIONS,
    ids=[
        "-".join(
            name if on else f"no-{name}"
            for name, on in zip(
                ("tracing", "coalition", "authorities", "contact"), combo, strict=True
            )
        )
        for combo in COMBINATIONS
    ],
)
def test_the_consent_decides_who_learns_what(
    client, pump, staff, tracing, coalition, authorities, contact
):
    # An earlier report of the same child, whose reporter allowed everything.
    earlier = post_report(client, report(True, True, True, True)).json_body["reference"]
    pump.run_until_idle()
    reference = post_report(client, report(tracing, coalition, authorities, contact)).json_body[
        "reference"
    ]
    pump.run_until_idle()

    # -- who was alerted, with what ------------------------------------------------------
    sent = received(reference)
    # The intake desk always learns the details: somebody must work the report.
    assert any(CHILD in body for body in sent[INTAKE])
    # A national authority: details with both consents; that it exists without the
    # coalition's; nothing at all without the authorities'.
    if not authorities:
        assert AUTHORITY not in sent and AUTHORITY_PHONE not in sent
    elif coalition:
        assert any(CHILD in body for body in sent[AUTHORITY])
    else:
        assert sent[AUTHORITY] and not any(CHILD in body for body in sent[AUTHORITY])
    # A coalition member: details with the coalition's consent, else that it exists.
    assert sent[COALITION]
    assert any(CHILD in body for body in sent[COALITION]) == coalition
    # Never the reporter's contact details in an alert, never the child in an SMS.
    for bodies in sent.values():
        assert not any("iryna@example.org" in body or "+380501234567" in body for body in bodies)
    for message in sent_messages():
        if message["channel"] == "sms":
            assert CHILD not in message["body"]

    # -- who may read what ---------------------------------------------------------------
    intake = staff("coordinator", "UA-NIB").get(f"/cases/{reference}")
    assert intake.status_code == 200
    case = intake.json_body
    assert case["report"]["child"]["family_name"] == CHILD
    assert (case["report"]["reporter"]["email"] == "iryna@example.org") == contact
    assert ("reporter.contact" in case["withheld"]) == (not contact)
    south = staff("caseworker", "UA-OMBUDSMAN").get(f"/cases/{reference}")
    assert south.status_code == (200 if coalition and authorities else 404)
    canada = staff("caseworker", "CA-GAC").get(f"/cases/{reference}")
    assert canada.status_code == (200 if coalition else 404)
    if coalition:
        # Those who work the case see the reporter only if they may be contacted.
        reporter = canada.json_body["report"]["reporter"]
        assert (reporter["phone"] is not None) == contact
    assert sorted(case["agencies"]) == sorted(
        ["UA-NIB"]
        + (["CA-GAC"] if coalition else [])
        + (["UA-OMBUDSMAN"] if coalition and authorities else [])
    )

    # -- whether matching ran ------------------------------------------------------------
    matches = staff("coordinator", "UA-NIB").get(f"/cases/{earlier}/matches").json_body
    assert bool(matches["matches"]) == tracing
