"""A case: a report once accepted, with its reference and where it stands."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.keyring import Keyring
from chalicelib.domain.references import REFERENCE_PATTERN, new_reference, normalised_reference

if TYPE_CHECKING:
    from chalicelib.domain.hotline import TakenByPhone
from chalicelib.domain.report import Report
from chalicelib.domain.workflow import Status

__all__ = [
    "REFERENCE_PATTERN",
    "Case",
    "new_reference",
    "normalised_reference",
    "status_token",
]


# Crockford's base32: digits and capitals without I, L, O and U, so that no symbol reads
# as another. A code is 16 of them (80 bits), in groups of four, to copy by hand.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
STATUS_TOKEN_BYTES = 10
# What people type for a symbol: Crockford's own readings (O is 0; I and L are 1), and
# the Cyrillic letters that look like Latin ones, from a phone left on a Ukrainian or
# Russian keyboard (the "З" that looks like a 3, the "І" that looks like a 1).
_TYPED_AS = str.maketrans(
    {
        "O": "0",
        "I": "1",
        "L": "1",
        "U": "V",
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "0",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "У": "Y",
        "І": "1",
        "З": "3",
    }
)


def _crockford(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    length = len(data) * 8 // 5
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(length)))


def status_token(signing_key: bytes, reference: str) -> str:
    """The reporter's code for the status page, derived rather than stored.

    Deriving it means an idempotent retry can hand out the same code again, and a copy
    of the table alone is not enough to read a case's status.
    """
    mac = hmac.new(signing_key, f"status:{reference}".encode(), hashlib.sha256).digest()
    code = _crockford(mac[:STATUS_TOKEN_BYTES])
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _legacy_status_token(signing_key: bytes, reference: str) -> str:
    # The 24-character code of receipts given before the codes were made to copy by hand:
    # people may still hold one, so it still opens its status page (exactly as given).
    mac = hmac.new(signing_key, f"status:{reference}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def normalised_token(typed: str) -> str:
    """A status code as typed (any case, spaces or dashes anywhere, O for 0, Cyrillic
    look-alikes) in its canonical form, without the dashes."""
    return "".join(c for c in typed.upper().translate(_TYPED_AS) if c.isalnum())


def status_token_valid(keys: Keyring | bytes, reference: str, token: str) -> bool:
    """Whether the code was given for this reference under any key of the ring."""
    typed = normalised_token(token)
    # compare_digest refuses non-ASCII text: whatever is left of that is no code.
    if not typed.isascii():
        return False
    return bool(Keyring.of(keys).first(lambda key: _valid_under(key, reference, token, typed)))


def _valid_under(signing_key: bytes, reference: str, token: str, typed: str) -> bool:
    expected = status_token(signing_key, reference).replace("-", "")
    current = hmac.compare_digest(expected, typed)
    legacy = token.isascii() and hmac.compare_digest(
        _legacy_status_token(signing_key, reference), token
    )
    return current or legacy


def fingerprint(body: Any) -> str:
    """A hash of a request body that ignores key order and white space."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Case:
    reference: str
    received_at: dt.datetime
    report: Report
    status: Status = Status.RECEIVED
    version: int = 1
    # A registered partner's report: the partner's client id and its own id for the
    # report (None for an imported row without one). Its webhooks tell of its stages.
    partner: str | None = None
    external_id: str | None = None
    # The data lifecycle (domain/erasure.py): when the reporter withdrew their consent,
    # and when the case was anonymised (the child's identity erased, for good).
    withdrawn_at: dt.datetime | None = None
    anonymised_at: dt.datetime | None = None
    # A report a hotline operator took for a caller (domain/hotline.py): who took it, and
    # the caller's consent as given orally to them.
    taken_by: TakenByPhone | None = None

    @property
    def oblast(self) -> str:
        return self.report.residence.oblast

    @property
    def category(self) -> str:
        return self.report.event.category

    @property
    def urgent(self) -> bool:
        return self.report.urgent

    @property
    def consent(self) -> ConsentGiven:
        given = self.report.consent
        return ConsentGiven(
            tracing=given.tracing,
            share_with_coalition=given.share_with_coalition,
            share_with_authorities=given.share_with_authorities,
            may_contact=self.report.reporter.may_contact,
            withdrawn=self.withdrawn_at is not None,
            evidence=given.evidence and self.withdrawn_at is None,
        )
