"""What a reporter may learn about their own report, with its reference and status code."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.case import normalised_reference, status_token_valid
from chalicelib.domain.intake import RateLimit
from chalicelib.domain.progress import Stage, reporter_stage
from chalicelib.services import intake
from chalicelib.services.ports import Stores

# A reporter checks now and then, and mistypes a code a few times; a guesser needs far
# more than this (and an 80-bit code makes guessing hopeless anyway: the limit keeps the
# page from being a free way to make the table work).
STATUS_LOOKUPS = RateLimit(limit=20, per_seconds=600)


def look_up(
    reference: str, token: str, *, source: str, stores: Stores, settings: Settings
) -> Stage | None:
    """stage_of, charged to the asking source first (TooManyRequests past the limit)."""
    intake.admit("status", source, STATUS_LOOKUPS, stores=stores, settings=settings)
    return stage_of(reference, token, stores=stores, settings=settings)


def stage_of(reference: str, token: str, *, stores: Stores, settings: Settings) -> Stage | None:
    """The report's coarse stage; None for a wrong reference, a wrong code or no case.

    The code is checked (in constant time) before the table is read, so a guess costs no
    read; all three failures look the same to the caller.
    """
    # Typed by hand: any case, spaces and dashes, look-alike letters (domain/case.py).
    reference = normalised_reference(reference)
    if not (reference and token):
        return None
    if not status_token_valid(settings.signing_key, reference, token):
        return None
    status = stores.cases.status_of(reference)
    return reporter_stage(status) if status is not None else None
