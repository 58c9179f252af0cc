"""A delivery is resolved against the directory when it is sent, and when it is sent
again: a coordinator who corrects a contact's address and presses "Send again" reaches
the corrected address, and the old one gets nothing (read from moto's SES backend)."""

from __future__ import annotations

import html
import json
from urllib.parse import urlsplit

from helpers import Console, post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import wiring
from infra.local.emulator import REGION

OLD, NEW = "south@ombudsman.example.org", "south.desk@ombudsman.example.org"


def sent_to(address: str) -> list:
    messages = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    return [m for m in messages if address in m.destinations.get("ToAddresses", [])]


def refuse_mail_to(address: str) -> None:
    """SES refuses this one address, as it refuses a suppressed one."""
    from botocore.exceptions import ClientError

    def refuse(params, **_):
        if address in params.get("Destination", {}).get("ToAddresses", []):
            error = {"Code": "MessageRejected", "Message": "Address suppressed"}
            raise ClientError({"Error": error, "ResponseMetadata": {}}, "SendEmail")

    wiring.client("ses").meta.events.register("before-parameter-build.ses.SendEmail", refuse)


def test_send_again_after_a_correction_goes_to_the_corrected_address_and_says_so(
    client, pump, report_body, staff
):
    refuse_mail_to(OLD)
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    assert sent_to(OLD) == []
    coordinator = staff("coordinator")
    (parked,) = coordinator.get("/deliveries/undelivered").json_body["deliveries"]
    assert parked["contact_id"] == "south-ua-ombudsman" and parked["reference"] == reference

    # The coordinator corrects the desk's e-mail in the directory...
    contact = coordinator.get("/contacts/south-ua-ombudsman").json_body
    contact.pop("rules")
    corrected = {**contact, "email": NEW}
    answer = coordinator.put("/contacts/south-ua-ombudsman", corrected)
    assert answer.status_code == 200, answer.body

    # ...and presses "Send again" in the console: it goes to the corrected address.
    console = Console(client, "demo-olena-koval")
    page = console.get("/staff/deliveries")
    assert reference.encode() in page.body
    sent = console.post(
        "/staff/deliveries/retry", {"reference": reference, "delivery_id": parked["delivery_id"]}
    )
    assert sent.status_code == 303
    pump.run_until_idle()
    (mail,) = sent_to(NEW)
    assert reference in json.dumps(mail.body, ensure_ascii=False) or reference in mail.subject
    assert sent_to(OLD) == []
    # The page says where it went, in words.
    told = html.unescape(
        console.get(f"/staff/deliveries?{urlsplit(sent.headers['Location']).query}").body.decode()
    )
    assert "Sent again to" in told and NEW in told and "by e-mail" in told


def test_send_again_through_the_api_says_the_address_it_is_queued_for(
    client, pump, report_body, staff
):
    refuse_mail_to(OLD)
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    coordinator = staff("coordinator")
    (parked,) = coordinator.get("/deliveries/undelivered").json_body["deliveries"]
    contact = coordinator.get("/contacts/south-ua-ombudsman").json_body
    contact.pop("rules")
    changed = coordinator.put("/contacts/south-ua-ombudsman", {**contact, "email": NEW})
    assert changed.status_code == 200
    answer = coordinator.post(
        "/deliveries/retry",
        {"reference": reference, "delivery_id": parked["delivery_id"]},
    )
    assert answer.status_code == 202
    assert answer.json_body == {
        "status": "queued",
        "contact_id": "south-ua-ombudsman",
        "channel": "email",
        "address": NEW,
    }
    pump.run_until_idle()
    assert len(sent_to(NEW)) == 1 and sent_to(OLD) == []


def test_the_undelivered_say_why_where_and_how_urgent_and_send_all_again_re_resolves(
    client, pump, report_body, staff
):
    refuse_mail_to(OLD)
    report_body["urgent"] = True
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    coordinator = staff("coordinator")
    (parked,) = coordinator.get("/deliveries/undelivered").json_body["deliveries"]
    assert (parked["reason"], parked["address"], parked["urgent"]) == ("refused", OLD, True)
    assert parked["reference"] == reference
    console = Console(client, "demo-olena-koval")
    page = html.unescape(console.get("/staff/deliveries").body.decode())
    assert "the address was refused (suppressed or rejected)" in page and OLD in page
    assert "Urgent" in page and "Send all again" in page

    contact = coordinator.get("/contacts/south-ua-ombudsman").json_body
    contact.pop("rules")
    coordinator.put("/contacts/south-ua-ombudsman", {**contact, "email": NEW})
    sent = console.post("/staff/deliveries/retry-all", {})
    assert sent.status_code == 303
    told = html.unescape(
        console.get(f"/staff/deliveries?{urlsplit(sent.headers['Location']).query}").body.decode()
    )
    assert "Sent again: 1 queued" in told
    pump.run_until_idle()
    assert len(sent_to(NEW)) == 1 and sent_to(OLD) == []
    assert coordinator.get("/deliveries/undelivered").json_body["deliveries"] == []
