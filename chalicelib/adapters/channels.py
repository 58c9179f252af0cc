"""E-mail through SES and SMS through SNS, with AWS errors sorted into transient or not."""

from __future__ import annotations

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


def _classify(exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _TRANSIENT or status >= 500:
        return TransientSendError(code)
    return PermanentSendError(code)


class EmailChannel:
    def __init__(self, client: Any, sender: str) -> None:
        self._client = client
        self._sender = sender

    def send(self, to: str, subject: str, text: str, *, html: str | None = None) -> str:
        """Send text, or text and HTML (SES makes it multipart/alternative); the message id."""
        body = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        try:
            response = self._client.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [to]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            )
        except ClientError as exc:
            raise _classify(exc) from exc
        return response["MessageId"]


class SmsChannel:
    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, to: str, text: str) -> str:
        try:
            response = self._client.publish(
                PhoneNumber=to,
                Message=text,
                MessageAttributes={
                    # Transactional: delivered ahead of promotional traffic, even when the
                    # number opted out of marketing.
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        except ClientError as exc:
            raise _classify(exc) from exc
        return response["MessageId"]
