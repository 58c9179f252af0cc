"""E-mail through SES and SMS through SNS, with AWS errors sorted into transient or not.

Every alert e-mail goes through the stage's SES configuration set (deployed only), whose
event destination publishes bounces, complaints and rejects to a topic the
`RecordDeliveryEvents` function reads; the message's tags say which delivery it was.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.alerts import PermanentSendError, TransientSendError

# Errors worth another try later; anything else will fail the same way again.
_TRANSIENT = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalErrorException",
    "RequestTimeout",
    "RequestTimeoutException",
    "KMSThrottlingException",
}


# Refusals a coordinator can act on, in words (the delivery's reason in the staff API).
_REASONS = {
    # SNS refuses a number that replied STOP, whatever the SMS type: the contact must
    # reply START (or an operator opt the number in again) before SMS reaches them.
    "OptedOutException": "opted out of SMS: the number replied STOP",
    "MessageRejected": "rejected by SES",
    "MailFromDomainNotVerifiedException": "the sender's domain is not verified in SES",
    "ConfigurationSetDoesNotExistException": "the SES configuration set is missing",
}


def _classify(exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _TRANSIENT or status >= 500:
        return TransientSendError(code)
    return PermanentSendError(_REASONS.get(code, code))


# SES tag values allow letters, digits, "_" and "-" only: the delivery's name is carried
# in URL-safe base64 without padding.
REFERENCE_TAG = "reference"
DELIVERY_TAG = "delivery"


def delivery_tags(reference: str, delivery_id: str) -> list[dict[str, str]]:
    encoded = base64.urlsafe_b64encode(delivery_id.encode()).decode().rstrip("=")
    return [{"Name": REFERENCE_TAG, "Value": reference}, {"Name": DELIVERY_TAG, "Value": encoded}]


def delivery_of_tags(tags: dict[str, list[str]]) -> tuple[str, str] | None:
    """(reference, delivery id) from an SES event's `mail.tags`; None for other mail."""
    try:
        (reference,) = tags[REFERENCE_TAG]
        (encoded,) = tags[DELIVERY_TAG]
        padded = (encoded + "=" * (-len(encoded) % 4)).encode()
        delivery_id = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (KeyError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return (reference, delivery_id) if reference and delivery_id else None


class EmailChannel:
    def __init__(self, client: Any, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(
        self,
        to: str,
        subject: str,
        text: str,
        *,
        html: str | None = None,
        about: tuple[str, str] | None = None,
    ) -> str:
        """Send text, or text and HTML (SES makes it multipart/alternative); the message id.
        `about` (reference, delivery id) tags the message so that a bounce finds it."""
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        extra: dict[str, Any] = {}
        if self._configuration_set:
            extra["ConfigurationSetName"] = self._configuration_set
        if about is not None:
            extra["Tags"] = delivery_tags(*about)
        try:
            response = self._client.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
                **extra,
            )
        except ClientError as exc:
            raise _classify(exc) from exc
        return response["MessageId"]


class SmsChannel:
    def __init__(
        self, client: Any, max_price: str | None = None, reply_number: str | None = None
    ) -> None:
        self._client = client
        self._attributes = {
            # Transactional: routed for reliability ahead of promotional traffic. It does
            # not reach a number that opted out: SNS raises OptedOutException for it
            # whatever the type (the delivery is parked, with its reason).
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if max_price:
            # SNS drops (rather than sends) a message that would cost more: its delivery
            # status log says so.
            self._attributes["AWS.SNS.SMS.MaxPrice"] = {
                "DataType": "Number",
                "StringValue": max_price,
            }

        if reply_number:
            # Sent from the stage's two-way number, so that a reply comes back to it (and
            # through its SNS topic to RecordSmsReplies).
            self._attributes["AWS.MM.SMS.OriginationNumber"] = {
                "DataType": "String",
                "StringValue": reply_number,
            }

    def send(self, to: str, text: str) -> str:
        try:
            response = self._client.publish(
                PhoneNumber=to, Message=text, MessageAttributes=self._attributes
            )
        except ClientError as exc:
            raise _classify(exc) from exc
        return response["MessageId"]


def ses_event(message: str) -> tuple[str, str, str] | None:
    """(reference, delivery id, reason) from an SES event an SNS topic carried (a
    configuration set's event destination: `eventType`; an identity's notifications:
    `notificationType`); None for an event that is no refusal of an alert's e-mail."""
    import json

    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    kind = event.get("eventType") or event.get("notificationType")
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        reason = f"bounced ({bounce.get('bounceType', '?')}/{bounce.get('bounceSubType', '?')})"
    elif kind == "Complaint":
        feedback = (event.get("complaint") or {}).get("complaintFeedbackType")
        reason = f"complained ({feedback})" if feedback else "complained"
    elif kind == "Reject":
        reason = "rejected by SES (virus)"
    else:
        return None
    found = delivery_of_tags((event.get("mail") or {}).get("tags") or {})
    return (*found, reason) if found else None


def inbound_sms(message: str) -> tuple[str, str, str] | None:
    """(sender's number, text, inbound message id) of an SMS sent to the stage's two-way
    number, as AWS End User Messaging SMS publishes it to its topic; None for anything
    else on the topic."""
    import json

    try:
        payload = json.loads(message)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    sender, text = payload.get("originationNumber"), payload.get("messageBody")
    if not isinstance(sender, str) or not isinstance(text, str):
        return None
    return sender, text, str(payload.get("inboundMessageId") or "")
