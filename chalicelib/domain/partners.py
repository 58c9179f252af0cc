"""Partner organisations: programs that file reports by machine, on their own credentials.

A partner (an NGO's case system, a national registry) is an app client of the staff user
pool that may use only Cognito's client-credentials flow, for the scopes of the
`homeward-partners` resource server. Its access token names the client and its scopes;
nothing in it is a person. What a partner may do:

- `reports.write`: file reports (one at a time, or in import batches), each under the
  partner's own `external_id`: the same id again is the same case, never a second one;
- `reports.read`: read back the coarse stage of a report it filed (received, in review,
  combined, closed), by that id. Another partner's ids are not its ids: they name nothing.

A partner never reaches the staff API (it has no ID token), and a coordinator registers
it before its first request: its name, its quota and, if it wants them, the address its
webhooks go to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.domain.staff import InvalidToken

# The resource server's identifier in the user pool (infra/package.py) and its scopes.
RESOURCE_SERVER = "homeward-partners"
WRITE = f"{RESOURCE_SERVER}/reports.write"
READ = f"{RESOURCE_SERVER}/reports.read"
SCOPES = (WRITE, READ)

# A Cognito app client id (26 lower-case letters and digits) or a local partner's name.
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{3,64}$"
CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
# The partner's own id of a report: what its system calls the record.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:/-]{1,100}$"
EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
# An import batch's id, chosen by the partner (the command line derives it from the file).
BATCH_ID_PATTERN = r"^[A-Za-z0-9_-]{4,64}$"
BATCH_ID = re.compile(BATCH_ID_PATTERN)

# Requests a partner may make per minute unless its registration says otherwise; an
# import batch of up to MAX_BATCH_ROWS rows is one request.
DEFAULT_QUOTA_PER_MINUTE = 120
MAX_BATCH_ROWS = 100


class InvalidPartnerToken(InvalidToken):
    """No valid partner access token (a staff member's ID token is not one)."""


class MissingScope(Exception):
    """The partner's token does not carry the scope this route needs."""


class UnknownPartner(Exception):
    """A valid partner token, but no coordinator registered the partner (or it was
    deactivated): nothing is done for it."""


@dataclass(frozen=True)
class PartnerClient:
    """The verified identity behind a partner request (a client-credentials token)."""

    client_id: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise MissingScope(scope)


@dataclass(frozen=True)
class Partner:
    """A registered partner: who it is, what it may send, where its webhooks go."""

    client_id: str
    name: str
    quota_per_minute: int = DEFAULT_QUOTA_PER_MINUTE
    webhook_url: str | None = None
    active: bool = True


def idempotency_scope(client_id: str) -> str:
    """Whose keys a partner's external ids are: its own, and nobody else's."""
    return f"partner:{client_id}"


def external_key(external_id: str) -> str:
    return f"ext:{external_id}"


def content_key(fingerprint: str) -> str:
    """The key of an imported row without an external id: what it says (so a file sent
    again after an interruption files nothing twice)."""
    return f"row:{fingerprint[:40]}"


# -- webhooks: signed, so a partner can tell ours from anyone's ---------------------------

SIGNATURE_HEADER = "Homeward-Signature"
# A receiver refuses a delivery signed longer ago than this (a replayed capture).
SIGNATURE_TOLERANCE_SECONDS = 300


def webhook_secret(signing_key: bytes, client_id: str) -> bytes:
    """A partner's webhook secret, derived rather than stored: a copy of the table alone
    cannot forge a webhook, and a coordinator can hand it to the partner again."""
    return hmac.new(signing_key, f"webhook:{client_id}".encode(), hashlib.sha256).digest()


def webhook_secret_text(signing_key: bytes, client_id: str) -> str:
    return webhook_secret(signing_key, client_id).hex()


def sign_webhook(secret: bytes, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_webhook(secret: bytes, header: str, body: bytes, now: int) -> bool:
    """What a partner's receiver does (documented in the README, tested here)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = sign_webhook(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True)
class ImportBatch:
    """One import of a partner's (a file, sent in requests of up to MAX_BATCH_ROWS rows).

    Open while rows come (again, after an interruption: its rows' keys make a resent row
    a replay); closed once, which is when its recipients get one digest of what it brought.
    """

    client_id: str
    batch_id: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None = None
    digested_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        """What names the batch among every partner's: its rows' alerts carry it."""
        return f"{self.client_id}/{self.batch_id}"
