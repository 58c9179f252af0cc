"""Accepting a report: one transaction stores the case and the alert it causes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from chalicelib.adapters.dynamo import CaseConflict, IdempotencyRecord, RateCharge, Repository
from chalicelib.config import Settings
from chalicelib.domain.alerts import Alert
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.case import Case, iso, new_reference, status_token
from chalicelib.domain.matching import blocking_keys
from chalicelib.domain.report import Receipt, Report, identity_of


class IdempotencyKeyReused(Exception):
    """The idempotency key was used before with a different report."""


class TooManyReports(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Submission:
    report: Report
    # Hash of the body as sent, to tell a retry from a different report under one key.
    fingerprint: str
    idempotency_key: str | None
    # Where it came from (the client address), only ever stored as a keyed hash.
    source: str
    # Files the web form verified (services/attachments.py), recorded on the case item;
    # the JSON contract has none, so the report itself never changes shape.
    attachments: tuple[Attachment, ...] = ()


def source_key(settings: Settings, source: str) -> str:
    digest = hmac.new(settings.signing_key, f"source:{source}".encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def _receipt(settings: Settings, reference: str, received_at: str) -> Receipt:
    return Receipt(
        reference=reference,
        status_token=status_token(settings.signing_key, reference),
        received_at=received_at,
    )


def submit(
    submission: Submission,
    *,
    repository: Repository,
    settings: Settings,
    now: dt.datetime | None = None,
) -> tuple[Receipt, bool]:
    """Store the report; return its receipt and whether a new case was created."""
    now = now or dt.datetime.now(dt.UTC)
    epoch = int(now.timestamp())
    window = epoch - epoch % settings.rate_window_seconds
    rate = RateCharge(
        source=source_key(settings, submission.source),
        window_start=window,
        limit=settings.rate_limit,
        expires_at=window + 2 * settings.rate_window_seconds,
    )
    # Written with the case so that matching (off the request path) finds it in one
    # indexed lookup per key.
    match_keys = blocking_keys(identity_of(submission.report))
    # A reference collision (about one in 10^11 per report) or a transaction conflict is
    # simply tried again with a new reference.
    for _ in range(3):
        case = Case(reference=new_reference(), received_at=now, report=submission.report)
        received_at = iso(now)
        key = submission.idempotency_key
        record = (
            IdempotencyRecord(
                key=key,
                fingerprint=submission.fingerprint,
                reference=case.reference,
                received_at=received_at,
            )
            if key
            else None
        )
        alert = Alert.for_new_case(case)
        try:
            repository.open_case(
                case,
                alert,
                idempotency=record,
                idempotency_expires_at=epoch + settings.idempotency_ttl_seconds,
                rate=rate,
                attachments=submission.attachments,
                match_keys=match_keys,
                acknowledge_by=alert.acknowledge_by(
                    settings.escalate_urgent_after, settings.escalate_normal_after
                ),
            )
        except CaseConflict as conflict:
            if conflict.reason == "idempotency":
                return _replay(submission, repository=repository, settings=settings), False
            if conflict.reason == "rate":
                raise TooManyReports(window + settings.rate_window_seconds - epoch) from None
            continue
        return _receipt(settings, case.reference, received_at), True
    raise RuntimeError("could not store the report after 3 attempts")


def _replay(submission: Submission, *, repository: Repository, settings: Settings) -> Receipt:
    assert submission.idempotency_key
    existing = repository.idempotency_record(submission.idempotency_key)
    if existing is None:  # expired between the two calls: vanishingly rare
        raise IdempotencyKeyReused()
    if existing.fingerprint != submission.fingerprint:
        raise IdempotencyKeyReused()
    return _receipt(settings, existing.reference, existing.received_at)
