"""The hotline operator's page: a report taken for a caller, the engine's questions one at
a time with the words to read aloud, filed as taken on the hotline by the operator with
the caller's consent given orally to them; an urgent one alerts at once."""

import html
import re
from urllib.parse import urlencode

import boto3
from helpers import Console
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib.adapters.dynamo.items import from_item
from chalicelib.domain import conversation as talk
from chalicelib.web.i18n import gettext_for
from infra.local.emulator import REGION

# demo-olena-koval: a caseworker of the National Information Bureau (infra/demo/staff.csv).
OPERATOR = "demo-olena-koval"
UK = gettext_for("uk")
# What the caller says, question by question: a choice's value, or words as said.
CALLER = {
    "urgent": ("choice", "yes"),
    "child.family_name": ("answer", "Ковальчук"),
    "child.given_name": ("answer", "Олександр"),
    "child.patronymic": ("choice", talk.DONT_KNOW),
    "child.other_names": ("choice", talk.DONT_KNOW),
    "child.sex": ("choice", "male"),
    "child.date_of_birth": ("answer", "14.03.2012"),
    "child.distinguishing_marks": ("choice", talk.DONT_KNOW),
    "child.medical_needs": ("choice", talk.DONT_KNOW),
    "residence.oblast": ("answer", "Херсонська"),
    "residence.settlement": ("answer", "Олешки"),
    "event.category": ("choice", "deported"),
    "event.date": ("choice", talk.DONT_KNOW),
    "event.place": ("choice", talk.DONT_KNOW),
    "event.circumstances": ("answer", "Забрали з табору в Криму."),
    "last_known_location.country": ("choice", "RU"),
    "last_known_location.region": ("choice", talk.DONT_KNOW),
    "last_known_location.settlement": ("choice", talk.DONT_KNOW),
    "last_known_location.institution": ("choice", talk.DONT_KNOW),
    "reporter.name": ("answer", "Ірина"),
    "reporter.relationship": ("choice", "parent"),
    "reporter.may_contact": ("choice", "no"),
    "consent.tracing": ("choice", "yes"),
    "consent.share_with_coalition": ("choice", "yes"),
    "consent.share_with_authorities": ("choice", "no"),
    "consent.evidence": ("choice", "no"),
}


def asking(page) -> str:
    """The question the page asks the operator to read now, by its words (Ukrainian)."""
    return html.unescape(re.search(r'id="hotline-aloud">(.*?)</div>', page, re.S).group(1))


def question_of(page: str) -> str:
    from chalicelib.domain.answers import QUESTIONS

    aloud = asking(page)
    found = [name for name, q in QUESTIONS.items() if UK(q.label) in aloud]
    # The most specific label that is read (one label may be inside another's help).
    return max(found, key=lambda name: len(UK(QUESTIONS[name].label)))


def test_an_operator_takes_an_urgent_report_with_oral_consent_and_it_rings_at_once(
    client, aws, pump
):
    operator = Console(client, OPERATOR, lang="en")
    start = operator.get("/staff/hotline")
    assert start.status_code == 200 and b"The caller" in start.body
    page = operator.post("/staff/hotline", {"language": "uk"})
    assert page.status_code == 200
    text = page.body.decode()
    # The words to read aloud are the caller's (Ukrainian); the page around them English.
    assert UK("Is the child in danger now?") in asking(text) and "Homeward" in asking(text)
    assert "Record the answer" in text
    call = re.search(r'action="[^"]*staff/hotline/([A-Za-z0-9_-]{12})"', text).group(1)
    operator.csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)

    for _ in range(40):
        if (
            'id="hotline-answer"' not in text
            or UK("Here is what you told us. Please check it.") in text
        ):
            break
        name = question_of(text)
        field, value = CALLER[name]
        answered = operator.post(f"/staff/hotline/{call}", {field: value})
        assert answered.status_code == 200, (name, answered.body[:500])
        text = answered.body.decode()
    # The answers read back, to read to the caller, then sent on their word.
    assert "Ковальчук" in asking(text) and "Олешки" in asking(text)
    # A reload of the call's page asks the same.
    assert (
        UK("Here is what you told us. Please check it.")
        in operator.get(f"/staff/hotline/{call}").body.decode()
    )
    filed = operator.post(f"/staff/hotline/{call}", {"choice": talk.SEND})
    assert filed.status_code == 303
    # Pressed twice: the same receipt, nothing filed twice.
    again = operator.post(f"/staff/hotline/{call}", {"choice": talk.SEND})
    assert again.status_code == 303
    receipt = operator.get(f"/staff/hotline/{call}").body.decode()
    reference = re.search(r'id="hotline-reference">(HW-[0-9A-Z-]+)<', receipt).group(1)
    code = re.search(r'id="hotline-status-code">([0-9A-Z-]+)<', receipt).group(1)
    # Read back to the caller in their language: the number and the code.
    aloud = asking(receipt)
    assert reference in aloud and code in aloud
    assert UK("The caseworkers on duty are being alerted now.") in aloud
    assert "given orally to" in receipt

    # The case: from the hotline, taken by the operator, consent given orally to them.
    item = boto3.client("dynamodb").get_item(
        TableName=aws["TableName"], Key={"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}}
    )["Item"]
    case = from_item(item)
    assert case["taken_by"]["channel"] == "hotline"
    assert case["taken_by"]["operator"] == OPERATOR
    name = case["taken_by"]["operator_name"]
    assert name and case["taken_by"]["consent"] == f"given orally to {name}"
    assert case["urgent"] is True
    assert case["consent"]["tracing"] and not case["consent"]["share_with_authorities"]

    # The operator's act in the case's audit trail.
    trail = boto3.client("dynamodb").query(
        TableName=aws["AuditTableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
    )["Items"]
    taken = [from_item(i) for i in trail if i["action"]["S"] == "take-report"]
    assert [(t["actor"], t["detail"]) for t in taken] == [
        (OPERATOR, f"on the hotline; the caller's consent given orally to {name}")
    ]
    # The case page says so, in the reader's words.
    page = operator.get(f"/staff/cases/{reference}").body.decode()
    assert "Taken on the hotline by" in page and name in html.unescape(page)
    assert "consent was given orally" in html.unescape(page)

    # Urgent: the alert goes at once, e-mail and SMS, as for a form's urgent report.
    pump.run_until_idle()
    mails = [
        m
        for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
        if reference in str(m.body)
    ]
    sms = [
        t
        for _, t in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()
        if reference in t
    ]
    assert mails and sms
    assert all(t.startswith(("ТЕРМІНОВО", "URGENT")) for t in sms)

    # The status the caller can check with the code read to them.
    def status(token):
        body = urlencode({"reference": reference, "token": token, "lang": "en"})
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return client.http.post("/status", headers=form, body=body)

    found, unknown = status(code), status("AAAA-AAAA-AAAA-AAAA")
    assert found.status_code == 200 and found.body != unknown.body


def test_a_call_is_the_operators_own(client, aws):
    operator = Console(client, OPERATOR, lang="en")
    operator.get("/staff/hotline")
    text = operator.post("/staff/hotline", {"language": "en"}).body.decode()
    call = re.search(r'staff/hotline/([A-Za-z0-9_-]{12})"', text).group(1)
    other = Console(client, "demo-taras-bondar", lang="en")
    assert other.get(f"/staff/hotline/{call}").status_code == 404
    assert operator.get(f"/staff/hotline/{call}").status_code == 200
