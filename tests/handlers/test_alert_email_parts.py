"""An alert e-mail reaches SES as text and HTML; the local outbox shows both parts.

What went to SES is read twice: the SendEmail request as botocore serialised it for the
wire, and what moto's SES backend kept of it (only the HTML part, when there is one).
"""

import re

from helpers import post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib import wiring
from infra.local.emulator import REGION

LINK = re.compile(r"https?://[^\s\"<]+/ack/[A-Za-z0-9_-]+")


def capture_send_email() -> list[dict]:
    """The serialised SendEmail requests of the app's own SES client, as they are sent."""
    requests: list[dict] = []

    def keep(params, **_):
        requests.append(dict(params["body"]))

    wiring.client("ses").meta.events.register("before-call.ses.SendEmail", keep)
    return requests


def test_an_alert_email_is_sent_to_ses_as_text_and_html(client, aws, pump, report_body):
    from infra.local.outbox import sent_messages

    requests = capture_send_email()
    reference = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()

    stored = {
        m.destinations["ToAddresses"][0]: m
        for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    }
    outbox = {m["to"]: m for m in sent_messages() if m["channel"] == "email"}
    assert requests and len(requests) == len(stored) == len(outbox)
    for request in requests:
        to = request["Destination.ToAddresses.member.1"]
        text = request["Message.Body.Text.Data"]
        html = request["Message.Body.Html.Data"]
        assert (
            request["Message.Body.Text.Charset"] == request["Message.Body.Html.Charset"] == "UTF-8"
        )

        # The two parts: the same alert, in the same language, with the same link.
        language = "uk" if text.startswith("До Homeward") else "en"
        assert f'<html lang="{language}"' in html
        assert reference in text and reference in html
        assert "Ковальчук" in text and "Ковальчук" in html  # consent allows sharing
        (link,) = set(LINK.findall(text))
        assert f'<a href="{link}"' in html
        assert "<" not in text

        # SES got both: moto keeps the HTML part as the body...
        assert stored[to].body == html
        assert stored[to].subject == request["Message.Subject.Data"]
        # ...and the outbox shows the text part as the body, the HTML part beside it.
        assert outbox[to]["body"] == text
        assert outbox[to]["html"] == html


def test_a_text_only_email_is_still_sent_as_text(aws):
    """The coordinators' digest sends text alone: no HTML part, and the outbox shows the text."""
    from infra.local.outbox import sent_messages

    requests = capture_send_email()
    message_id = wiring.channels().email.send("coordinator@nib.example.org", "Digest", "plain\n")

    (request,) = requests
    assert request["Message.Body.Text.Data"] == "plain\n"
    assert not any(key.startswith("Message.Body.Html") for key in request)
    (mail,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert (mail.id, mail.body) == (message_id, "plain\n")
    (shown,) = sent_messages()
    assert shown["body"] == "plain\n" and "html" not in shown
