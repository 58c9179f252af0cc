"""The case workflow: the statuses a case moves through until the child is home."""

from __future__ import annotations

STATUSES = (
    "received",
    "triaged",
    "verified",
    "located",
    "return_in_progress",
    "returned",
    "closed",
    "duplicate",
    "unfounded",
)

# Each move is allowed only from the states listed here. A case set aside as duplicate
# or unfounded, or closed, can be reopened into triage when new information arrives.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    "received": frozenset({"triaged", "duplicate", "unfounded"}),
    "triaged": frozenset({"verified", "duplicate", "unfounded", "closed"}),
    "verified": frozenset({"located", "duplicate", "closed"}),
    "located": frozenset({"return_in_progress", "closed"}),
    "return_in_progress": frozenset({"returned", "located", "closed"}),
    "returned": frozenset({"closed"}),
    "closed": frozenset({"triaged"}),
    "duplicate": frozenset({"triaged"}),
    "unfounded": frozenset({"triaged"}),
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
