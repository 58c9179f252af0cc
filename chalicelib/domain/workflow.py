"""The case workflow: the statuses a case moves through until the child is home."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a case stands. Storage, the indexes, the API schema and the console derive from it."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    VERIFIED = "verified"
    LOCATED = "located"
    RETURN_IN_PROGRESS = "return_in_progress"
    RETURNED = "returned"
    CLOSED = "closed"
    DUPLICATE = "duplicate"
    UNFOUNDED = "unfounded"


STATUSES = tuple(Status)
# A case in one of these is no longer worked (until it is reopened): it leaves its
# assignee's open caseload.
SET_ASIDE = frozenset({Status.CLOSED, Status.DUPLICATE, Status.UNFOUNDED})


def is_open(status: str) -> bool:
    return status not in SET_ASIDE


# Each move is allowed only from the states listed here. A case set aside as duplicate
# or unfounded, or closed, can be reopened into triage when new information arrives.
ALLOWED_MOVES: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.TRIAGED, Status.DUPLICATE, Status.UNFOUNDED}),
    Status.TRIAGED: frozenset({Status.VERIFIED, Status.DUPLICATE, Status.UNFOUNDED, Status.CLOSED}),
    Status.VERIFIED: frozenset({Status.LOCATED, Status.DUPLICATE, Status.CLOSED}),
    Status.LOCATED: frozenset({Status.RETURN_IN_PROGRESS, Status.CLOSED}),
    Status.RETURN_IN_PROGRESS: frozenset({Status.RETURNED, Status.LOCATED, Status.CLOSED}),
    Status.RETURNED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset({Status.TRIAGED}),
    Status.DUPLICATE: frozenset({Status.TRIAGED}),
    Status.UNFOUNDED: frozenset({Status.TRIAGED}),
}


class MoveNotAllowed(ValueError):
    pass


def check_move(current: str, target: str, note: str | None) -> None:
    """Raise MoveNotAllowed unless a case may go from `current` to `target` with this note."""
    if target not in ALLOWED_MOVES:
        raise MoveNotAllowed(f"unknown status {target!r}")
    if target not in ALLOWED_MOVES[current]:
        allowed = ", ".join(sorted(ALLOWED_MOVES[current]))
        raise MoveNotAllowed(f"a {current} case can move to {allowed}, not {target}")
    if not note or not note.strip():
        raise MoveNotAllowed("every change of status needs a note saying why")
