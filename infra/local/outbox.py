"""What the app sent through the emulated SES and SNS, for `/dev/outbox` and the tests.

moto's SES keeps one body for an e-mail sent as text and HTML: the HTML part. The parts as
sent are recorded here instead, by SES message id, through botocore hooks on the app's
own SES client. Installed by the local runner and the in-process emulator only.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

_EMAIL_PARTS: dict[str, dict[str, str]] = {}
# When each message was handed to SES or SNS, by message id: a digest has no delivery
# item to say so, and must not look newest because it was read last.
_SENT_AT: dict[str, str] = {}


def keep_send_times(service: str, client: Any) -> None:
    """A wiring client hook: remember when every SendEmail and Publish was accepted."""
    operation = {"ses": "SendEmail", "sns": "Publish"}.get(service)
    if operation is None:
        return

    def after(parsed: dict, **_: Any) -> None:
        if "MessageId" in parsed:
            _SENT_AT[parsed["MessageId"]] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    client.meta.events.register(
        f"after-call.{service}.{operation}", after, unique_id=f"homeward-outbox-time-{service}"
    )


def keep_email_parts(service: str, client: Any) -> None:
    """A wiring client hook: remember the Text and Html parts of every SendEmail."""
    if service != "ses":
        return

    def before(params: dict, context: dict, **_: Any) -> None:
        body = params.get("Message", {}).get("Body", {})
        context["homeward_email_parts"] = {
            part.lower(): body[part]["Data"] for part in ("Text", "Html") if part in body
        }

    def after(parsed: dict, context: dict, **_: Any) -> None:
        parts = context.get("homeward_email_parts")
        if parts is not None and "MessageId" in parsed:
            _EMAIL_PARTS[parsed["MessageId"]] = parts

    events = client.meta.events
    events.register(
        "before-parameter-build.ses.SendEmail", before, unique_id="homeward-outbox-parts"
    )
    events.register("after-call.ses.SendEmail", after, unique_id="homeward-outbox-sent")


def refuse_addresses(service: str, client: Any) -> None:
    """A wiring client hook: SES refuses e-mail to the addresses listed in
    HOMEWARD_LOCAL_REFUSE_EMAIL (separated by spaces), as it refuses a suppressed address:
    how a local run (and the console's browser test) gets a delivery parked."""
    refused = set(os.environ.get("HOMEWARD_LOCAL_REFUSE_EMAIL", "").lower().split())
    if service != "ses" or not refused:
        return
    from botocore.exceptions import ClientError

    def refuse(params: dict, **_: Any) -> None:
        if refused & {a.lower() for a in params.get("Destination", {}).get("ToAddresses", [])}:
            error = {"Code": "MessageRejected", "Message": "Address suppressed (local run)"}
            raise ClientError({"Error": error, "ResponseMetadata": {}}, "SendEmail")

    client.meta.events.register(
        "before-parameter-build.ses.SendEmail", refuse, unique_id="homeward-outbox-refuse"
    )


def install() -> None:
    """Hook the app's clients and its outbox route to the emulated SES and SNS."""
    from chalicelib import wiring

    for hook in (keep_email_parts, keep_send_times, refuse_addresses):
        if hook not in wiring.client_hooks:
            wiring.client_hooks.append(hook)
    wiring.local_outbox = sent_messages


def sent_messages() -> list[dict]:
    """Every e-mail and SMS in the emulator's SES and SNS backends, newest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    from chalicelib import wiring
    from chalicelib.domain.alerts import DeliveryState

    region = os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")
    sent = wiring.stores().deliveries.in_state(DeliveryState.SENT, limit=100_000)
    sent += wiring.stores().deliveries.in_state(DeliveryState.ACKNOWLEDGED, limit=100_000)
    # The delivery's own record first; else the time the hook saw it sent (a digest);
    # else (sent before the hook was installed) no time, listed last: never "now".
    sent_at = dict(_SENT_AT)
    sent_at.update(
        {
            d.provider_message_id: d.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            for d in sent
            if d.provider_message_id and d.sent_at
        }
    )
    messages = []
    # Copies, each taken in one step: the runner's senders add messages while a page reads
    # them, and a dict that grows under a loop stops it with a RuntimeError.
    for mail in list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages):
        parts = _EMAIL_PARTS.get(mail.id, {})
        for to in mail.destinations.get("ToAddresses", []):
            message = {
                "channel": "email",
                "to": to,
                "subject": mail.subject,
                # The text part; moto's own body is the HTML part when there is one.
                "body": parts.get("text", mail.body),
                "sent_at": sent_at.get(mail.id),
            }
            if "html" in parts:
                message["html"] = parts["html"]
            messages.append(message)
    sms = list(sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.items())
    for message_id, (number, text) in sms:
        messages.append(
            {
                "channel": "sms",
                "to": number,
                "subject": None,
                "body": text,
                "sent_at": sent_at.get(message_id),
            }
        )
    # Both backends keep sending order; reverse it, then order the two channels by time.
    messages.reverse()
    messages.sort(key=lambda m: m["sent_at"] or "", reverse=True)
    return messages
