"""What a reporter may learn about their own report, and withdraw, with its reference and
status code."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from chalicelib.config import Settings
from chalicelib.domain.case import normalised_reference, status_token_valid
from chalicelib.domain.errors import Refused
from chalicelib.domain.intake import RateLimit
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.progress import PageStage, page_stage
from chalicelib.services import intake
from chalicelib.services.ports import Stores

# A reporter checks now and then, and mistypes a code a few times; a guesser needs far
# more than this (and an 80-bit code makes guessing hopeless anyway: the limit keeps the
# page from being a free way to make the table work).
STATUS_LOOKUPS = RateLimit(limit=20, per_seconds=600)


def look_up(
    reference: str, token: str, *, source: str, stores: Stores, settings: Settings
) -> PageStage | None:
    """stage_of, charged to the asking source first (TooManyRequests past the limit)."""
    intake.admit("status", source, STATUS_LOOKUPS, stores=stores, settings=settings)
    return stage_of(reference, token, stores=stores, settings=settings)


def stage_of(reference: str, token: str, *, stores: Stores, settings: Settings) -> PageStage | None:
    """The report's coarse stage (the child's return, once it began); None for a wrong
    reference, a wrong code or no case.

    The code is checked (in constant time) before the table is read, so a guess costs no
    read; all three failures look the same to the caller.
    """
    # Typed by hand: any case, spaces and dashes, look-alike letters (domain/case.py).
    reference = normalised_reference(reference)
    if not _holds(reference, token, settings):
        return None
    status = stores.cases.status_of(reference)
    if status is None:
        return None
    # The one word stored beside the case for its reporter: never the pathway itself.
    return page_stage(status, stores.aftercare.reporter_word(reference))


def _holds(reference: str, token: str, settings: Settings) -> bool:
    """Whether the code is the reference's, checked in constant time before any read."""
    # status_token_valid reads the code as typed by hand and refuses non-ASCII text.
    if not (reference and token):
        return False
    return status_token_valid(settings.keyring(Purpose.STATUS_CODES), reference, token)


class Withdrawal(StrEnum):
    """What became of a reporter's withdrawal, as the page tells it."""

    NOT_FOUND = "not_found"  # a wrong reference, a wrong code, or no case: one answer
    WITHDRAWN = "withdrawn"  # asked for now, carried out within seconds
    NOTHING_LEFT = "nothing_left"  # withdrawn before (or the case was anonymised)


def withdraw(
    reference: str,
    token: str,
    *,
    source: str,
    request_id: str,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Withdrawal:
    """The reporter takes their consent back (the page had them confirm it).

    Charged to the source like a status lookup (the same limit, so the two routes
    together are no more of a way to try codes than one), and answered the same way for
    a wrong reference, a wrong code and no case.

    Only the request is written here: the public function that serves this page may not
    read or erase a case. The table's stream carries it within seconds to the function
    that may (services/erasure.py `withdraw_consent`).
    """
    intake.admit("status", source, STATUS_LOOKUPS, stores=stores, settings=settings)
    reference = normalised_reference(reference)
    if not _holds(reference, token, settings):
        return Withdrawal.NOT_FOUND
    uow = stores.unit_of_work()
    stores.lifecycle.request_withdrawal(uow, reference, now or dt.datetime.now(dt.UTC), request_id)
    try:
        uow.commit()
    except Refused as refused:
        return Withdrawal.NOT_FOUND if "case" in refused.names else Withdrawal.NOTHING_LEFT
    return Withdrawal.WITHDRAWN


def withdraw_evidence(
    reference: str,
    token: str,
    *,
    source: str,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Withdrawal:
    """The reporter takes back only their consent to use the report as evidence: each
    file's chain of custody records it, and the case leaves every package not yet handed
    over (services/evidence.py). The same checks and answers as `withdraw`."""
    from chalicelib.services import evidence

    intake.admit("status", source, STATUS_LOOKUPS, stores=stores, settings=settings)
    reference = normalised_reference(reference)
    if not _holds(reference, token, settings):
        return Withdrawal.NOT_FOUND
    done = evidence.withdraw(
        reference, stores=stores, now=now or dt.datetime.now(dt.UTC), why="asked by the reporter"
    )
    return Withdrawal.WITHDRAWN if done else Withdrawal.NOTHING_LEFT
