"""Acknowledgement links: short, signed, expiring, one per delivery.

The token names a case and one of its deliveries and when it stops working, and carries
an HMAC over all three, so it cannot be forged or stretched. It is short because it has
to fit in an SMS next to the alert itself. Whether it was used already is kept with the
delivery (a second use is refused), not in the token.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.domain.keyring import Keyring

# Long enough to answer an alert sent on a Friday night; short enough not to linger.
VALIDITY = dt.timedelta(days=7)
_TOKEN = re.compile(r"^([2-9A-HJ-NP-TV-Z]{8})([0-9a-f]{6})([0-9a-z]{1,7})([A-Za-z0-9_-]{16})$")


class InvalidAcknowledgement(Exception):
    """Forged, expired, or garbled. Deliberately says no more."""


@dataclass(frozen=True)
class AckClaim:
    reference: str
    delivery_hash: str


def delivery_hash(delivery_id: str) -> str:
    return hashlib.sha256(delivery_id.encode()).hexdigest()[:6]


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, f"ack:{body}".encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def ack_token(key: bytes, reference: str, delivery_id: str, now: dt.datetime) -> str:
    compact = reference.removeprefix("HW-").replace("-", "")
    expires = int((now + VALIDITY).timestamp()) // 60  # minutes keep it short
    body = f"{compact}{delivery_hash(delivery_id)}{_base36(expires)}"
    return body + _mac(key, body)


def read_ack_token(keys: Keyring | bytes, token: str, now: dt.datetime) -> AckClaim:
    """The claim of a link signed with any key of the ring (one rotated out yesterday
    still opens the links it signed, until they expire)."""
    match = _TOKEN.match(token or "")
    if not match:
        raise InvalidAcknowledgement()
    compact, hashed, expires, mac = match.groups()
    body = f"{compact}{hashed}{expires}"
    if not Keyring.of(keys).first(lambda key: hmac.compare_digest(_mac(key, body), mac)):
        raise InvalidAcknowledgement()
    if int(expires, 36) * 60 < now.timestamp():
        raise InvalidAcknowledgement()
    return AckClaim(reference=f"HW-{compact[:4]}-{compact[4:]}", delivery_hash=hashed)
