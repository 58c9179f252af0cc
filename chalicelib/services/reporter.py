"""What a reporter may learn about their own report, with its reference and status code."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.case import status_token_valid
from chalicelib.domain.progress import Stage, reporter_stage
from chalicelib.services.ports import Stores


def stage_of(reference: str, token: str, *, stores: Stores, settings: Settings) -> Stage | None:
    """The report's coarse stage; None for a wrong reference, a wrong code or no case.

    The code is checked (in constant time) before the table is read, so a guess costs no
    read; all three failures look the same to the caller.
    """
    # compare_digest refuses non-ASCII text; no real code has any.
    if not (reference and token.isascii()):
        return None
    if not status_token_valid(settings.signing_key, reference, token):
        return None
    status = stores.cases.status_of(reference)
    return reporter_stage(status) if status is not None else None
