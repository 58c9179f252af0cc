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


# -- a reply to an alert's SMS ---------------------------------------------------------
#
# Where the deployment has a two-way number, an alert's SMS also carries a short code:
# the contact may reply with it instead of opening the link, and it means what the SMS
# link means ("seen"). A reply counts only from the number the directory has for the
# contact the SMS went to, with that delivery's code, while the link would still work.

# Digits only: typed the same on a Ukrainian, Russian or Latin keyboard (a letter could
# come back in Cyrillic), and five of them: one guess in 100,000 for a forged sender.
REPLY_CODE_DIGITS = 5
# The code alone, as a phone sends it: spaces around it and a full stop are forgiven.
_REPLY = re.compile(rf"\s*([0-9]{{{REPLY_CODE_DIGITS}}})\s*\.?\s*")


def new_reply_code() -> str:
    import secrets

    return f"{secrets.randbelow(10**REPLY_CODE_DIGITS):0{REPLY_CODE_DIGITS}d}"


def reply_code_in(text: str) -> str | None:
    """The code a reply consists of; None for any other text."""
    match = _REPLY.fullmatch(text or "")
    return match.group(1) if match else None
