"""Routes for local runs only: what the app sent through the emulated SES and SNS.

Registered in every stage but answering 404 outside local runs, so a deployed API
cannot be made to say anything here. moto is imported only when the route is used
locally; it is not part of the Lambda package.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from chalice import Blueprint, Response

from chalicelib import config, wiring
from chalicelib.web.problems import not_found
from chalicelib.web.public import _json

bp = Blueprint(__name__)

# moto's SES keeps one body for an e-mail sent as text and HTML: the HTML part. The parts
# as sent are kept here instead, by SES message id, for the outbox.
_EMAIL_PARTS: dict[str, dict[str, str]] = {}


def keep_email_parts(ses: Any) -> None:
    """Remember the Text and Html parts of every SendEmail made through this SES client."""

    def before(params: dict, context: dict, **_: Any) -> None:
        body = params.get("Message", {}).get("Body", {})
        context["homeward_email_parts"] = {
            part.lower(): body[part]["Data"] for part in ("Text", "Html") if part in body
        }

    def after(parsed: dict, context: dict, **_: Any) -> None:
        parts = context.get("homeward_email_parts")
        if parts is not None and "MessageId" in parsed:
            _EMAIL_PARTS[parsed["MessageId"]] = parts

    events = ses.meta.events
    events.register(
        "before-parameter-build.ses.SendEmail", before, unique_id="homeward-outbox-parts"
    )
    events.register("after-call.ses.SendEmail", after, unique_id="homeward-outbox-sent")


def sent_messages() -> list[dict]:
    """Every e-mail and SMS in the emulator's SES and SNS backends, newest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    region = os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")
    sent_at = {
        d["provider_message_id"]: d["sent_at"]
        for d in wiring.repository().deliveries_in_state("sent", limit=100_000)
    }
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    messages = []
    for mail in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages:
        parts = _EMAIL_PARTS.get(mail.id, {})
        for to in mail.destinations.get("ToAddresses", []):
            message = {
                "channel": "email",
                "to": to,
                "subject": mail.subject,
                # The text part; moto's own body is the HTML part when there is one.
                "body": parts.get("text", mail.body),
                "sent_at": sent_at.get(mail.id, now),
            }
            if "html" in parts:
                message["html"] = parts["html"]
            messages.append(message)
    for message_id, (number, text) in sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.items():
        messages.append(
            {
                "channel": "sms",
                "to": number,
                "subject": None,
                "body": text,
                "sent_at": sent_at.get(message_id, now),
            }
        )
    # Both backends keep sending order; reverse it, then order the two channels by time.
    messages.reverse()
    messages.sort(key=lambda m: m["sent_at"], reverse=True)
    return messages


@bp.route("/dev/outbox", methods=["GET"])
def outbox() -> Response:
    if not config.settings().is_local:
        return not_found()
    return _json(200, {"messages": sent_messages()})
