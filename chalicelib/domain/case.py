"""A case: a report once accepted, with its reference and where it stands."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.references import REFERENCE_PATTERN, new_reference
from chalicelib.domain.report import Report
from chalicelib.domain.workflow import Status

__all__ = ["REFERENCE_PATTERN", "Case", "new_reference", "status_token"]


def status_token(signing_key: bytes, reference: str) -> str:
    """The reporter's token for the status page, derived rather than stored.

    Deriving it means an idempotent retry can hand out the same token again, and a copy
    of the table alone is not enough to read a case's status.
    """
    mac = hmac.new(signing_key, f"status:{reference}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def status_token_valid(signing_key: bytes, reference: str, token: str) -> bool:
    return hmac.compare_digest(status_token(signing_key, reference), token)


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
        )
