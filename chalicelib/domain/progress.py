"""What a reporter may learn about their own case: a coarse stage, nothing more.

Caseworkers' statuses say how a case is being worked; the reporter only sees whether it
was received, is being worked, or is over, so the status page can reveal nothing an
adversary holding a reporter's phone could use.
"""

from __future__ import annotations

from typing import Literal

from chalicelib.domain.workflow import Status

Stage = Literal["received", "in_review", "combined", "closed"]

CLOSED_STATUSES = frozenset({Status.RETURNED, Status.CLOSED, Status.UNFOUNDED})
# Where work on this case ends: closed, or carried on under the other report of the same
# child (a duplicate, which the reporter reads as "combined", not "closed").
ENDED_STATUSES = CLOSED_STATUSES | {Status.DUPLICATE}


def reporter_stage(case_status: str) -> Stage:
    if case_status == Status.RECEIVED:
        return "received"
    # A duplicate is not the end of anything: the child is searched for under the other
    # report of the same child. "Closed" would tell a parent the search had stopped.
    if case_status == Status.DUPLICATE:
        return "combined"
    if case_status in CLOSED_STATUSES:
        return "closed"
    return "in_review"
