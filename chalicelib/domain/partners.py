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
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
    # Which of its webhook secrets is current (each rotation makes the next one), and
    # until when the one before it still signs too (domain: rotated_secret).
    webhook_generation: int = 0
    previous_secret_until: dt.datetime | None = None

    def secrets_kept_from(self, earlier: Partner | None) -> Partner:
        """This registration with the webhook secrets `earlier` had: registering a partner
        again (a new address, a new quota) does not change the secret it was handed."""
        if earlier is None:
            return self
        return replace(
            self,
            webhook_generation=earlier.webhook_generation,
            previous_secret_until=earlier.previous_secret_until,
        )


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


# While a partner's secret is being rotated, its webhooks are signed with both: long
# enough for a partner to deploy the new secret on a working day after a weekend.
ROTATION_OVERLAP = dt.timedelta(days=7)


def webhook_secret(master: bytes, client_id: str, generation: int = 0) -> bytes:
    """A partner's webhook secret, derived rather than stored: a copy of the table alone
    cannot forge a webhook, and a coordinator can hand it to the partner again. Each
    partner's is its own (one partner's secret tells nothing of another's), and each
    rotation gives the next generation."""
    label = f"webhook:{client_id}" + (f":{generation}" if generation else "")
    return hmac.new(master, label.encode(), hashlib.sha256).digest()


def webhook_secret_text(master: bytes, client_id: str, generation: int = 0) -> str:
    return webhook_secret(master, client_id, generation).hex()


def webhook_secrets(master: bytes, partner: Partner, now: dt.datetime) -> list[bytes]:
    """What a partner's webhooks are signed with now: its current secret, and while a
    rotation's overlap lasts, the one before it."""
    current = webhook_secret(master, partner.client_id, partner.webhook_generation)
    overlap = partner.previous_secret_until is not None and now < partner.previous_secret_until
    if not overlap or partner.webhook_generation == 0:
        return [current]
    previous = webhook_secret(master, partner.client_id, partner.webhook_generation - 1)
    return [current, previous]


def rotated_secret(partner: Partner, now: dt.datetime) -> Partner:
    """The partner with its next webhook secret; the current one still signs for
    ROTATION_OVERLAP, so the partner can switch without losing a webhook."""
    return replace(
        partner,
        webhook_generation=partner.webhook_generation + 1,
        previous_secret_until=now + ROTATION_OVERLAP,
    )


def sign_webhook(secrets: bytes | Sequence[bytes], timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`, one `v1` per secret
    (two while a rotation's overlap lasts: the new one first)."""
    keys = [secrets] if isinstance(secrets, bytes) else list(secrets)
    signed = f"{timestamp}.".encode() + body
    macs = (hmac.new(key, signed, hashlib.sha256).hexdigest() for key in keys)
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


def verify_webhook(secret: bytes, header: str, body: bytes, now: int) -> bool:
    """What a partner's receiver does (documented in the README, tested here): any `v1`
    made with its secret will do."""
    pieces = [p.split("=", 1) for p in header.split(",") if "=" in p]
    try:
        timestamp = int(next(value for name, value in pieces if name == "t"))
    except (StopIteration, ValueError):
        return False
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = sign_webhook(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, value) for name, value in pieces if name == "v1")


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
