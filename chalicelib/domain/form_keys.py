"""The report form's key: issued by the server with the page, checked without being stored.

A key is a random part, the moment it stops working and an HMAC over both with the
deployment's signing key, in one URL-safe word (it names upload slots in the bucket and is
the form's idempotency key). Only the server can make one, so a page elsewhere cannot
choose the key its visitors post, and a key cannot be stretched past its expiry; nothing
is written when a form is opened.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from chalicelib.domain.keyring import Keyring
from chalicelib.domain.references import REFERENCE_ALPHABET, REFERENCE_PREFIX

# A frightened person may fill the form in pieces on a slow phone, put it away when
# someone comes in, and finish it the next day; a key that died within the hour would
# cost them their files and their nerve. A day bounds how long a copied key is worth
# anything, and stays well inside the seven days intake remembers a key, so a key can
# never file a second report after the first one's record has gone.
LIFETIME = dt.timedelta(hours=24)

_VERSION = b"\x01"
_NONCE_BYTES = 12
_MAC_BYTES = 16
# 1 + 4 + 12 + 16 = 33 bytes: exactly 44 base64 characters, no padding.
_KEY = re.compile(r"^[A-Za-z0-9_-]{44}$")


class KeyState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    # Not one this server issued: garbled, forged, or signed with another key.
    FORGED = "forged"


def _mac(signing_key: bytes, body: bytes) -> bytes:
    return hmac.new(signing_key, b"form-key:" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def issue(signing_key: bytes, now: dt.datetime, *, nonce: bytes | None = None) -> str:
    """A new form key, valid for LIFETIME from now."""
    nonce = nonce if nonce is not None else secrets.token_bytes(_NONCE_BYTES)
    if len(nonce) != _NONCE_BYTES:
        raise ValueError("nonce")
    expires = int((now + LIFETIME).timestamp())
    body = _VERSION + expires.to_bytes(4, "big") + nonce
    return base64.urlsafe_b64encode(body + _mac(signing_key, body)).decode()


def _issuer(keys: Keyring | bytes, key: str) -> bytes | None:
    """The key of the ring that issued this form key (None: none did)."""
    if not _KEY.match(key or ""):
        return None
    raw = base64.urlsafe_b64decode(key)
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if body[:1] != _VERSION:
        return None
    return Keyring.of(keys).first(lambda k: k if hmac.compare_digest(_mac(k, body), mac) else None)


def check(keys: Keyring | bytes, key: str, now: dt.datetime) -> KeyState:
    """Whether the server issued this key (with any key of the ring: a form opened before
    a rotation still posts), and whether it still works."""
    if _issuer(keys, key) is None:
        return KeyState.FORGED
    raw = base64.urlsafe_b64decode(key)
    body = raw[:-_MAC_BYTES]
    expires = int.from_bytes(body[1:5], "big")
    return KeyState.VALID if now.timestamp() < expires else KeyState.EXPIRED


def reference_for(keys: Keyring | bytes, key: str, attempt: int = 0) -> str:
    """The reference a form's report is filed under: derived from its key, not drawn.

    Files are copied under the reference before the case is stored, so a retry of the same
    form must find the place an attempt that failed half-way left files in (and use them,
    or clear them away). `attempt` moves on only when another case holds the reference.
    """
    # Under the key that issued the form's key, so a retry after a rotation finds the
    # same reference.
    signing_key = _issuer(keys, key) or Keyring.of(keys).signer
    digest = hmac.new(signing_key, f"reference:{attempt}:{key}".encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest(), "big")
    chars = ""
    for _ in range(8):
        number, rest = divmod(number, len(REFERENCE_ALPHABET))
        chars += REFERENCE_ALPHABET[rest]
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"
