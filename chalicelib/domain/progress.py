"""What a reporter may learn about their own case: a coarse stage, nothing more.

Caseworkers' statuses say how a case is being worked; the reporter only sees whether it
was received, is being worked, or is over, so the status page can reveal nothing an
adversary holding a reporter's phone could use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chalicelib.domain.workflow import Status

if TYPE_CHECKING:
    from chalicelib.domain.aftercare import Aftercare

# The child's return, as coarse as a reporter may read it: "verified" covers a mediator's
# list (never named), "on the way home" never says by which route or when.
# (Partners read `Stage` alone: their contract is unchanged.)
ReturnStage = Literal["located", "verified", "on_the_way_home", "home", "receiving_help"]
Stage = Literal["received", "in_review", "combined", "closed"]
PageStage = Stage | ReturnStage

CLOSED_STATUSES = frozenset({Status.RETURNED, Status.CLOSED, Status.UNFOUNDED})
# Where work on this case ends: closed, or carried on under the other report of the same
# child (a duplicate, which the reporter reads as "combined", not "closed").
ENDED_STATUSES = CLOSED_STATUSES | {Status.DUPLICATE}


def return_stage(record: Aftercare) -> ReturnStage | Literal["closed"] | None:
    """What the reporter may read of the child's return pathway (domain/aftercare.py):
    the one word stored beside the case, so the public page reads nothing else."""
    from chalicelib.domain.aftercare import HOME
    from chalicelib.domain.aftercare import ReturnStage as Pathway

    if record.closed:
        return "closed"
    stage = record.stage
    if stage is None:
        return None
    if stage in HOME:
        helped = record.services or record.referrals or record.assessment
        return "receiving_help" if helped else "home"
    if stage == Pathway.IN_TRANSIT:
        return "on_the_way_home"
    if stage == Pathway.LOCATED:
        return "located"
    return "verified"


def page_stage(case_status: str, on_return: str | None) -> PageStage:
    """The status page's stage: once the child is on the pathway, the pathway's word
    (`on_return`, as return_stage gave it), else the case's status."""
    if on_return is not None and case_status not in (Status.DUPLICATE, Status.UNFOUNDED):
        return on_return  # type: ignore[return-value]
    return reporter_stage(case_status)


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
