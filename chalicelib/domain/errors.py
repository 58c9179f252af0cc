"""What a store answers when a write cannot be made: the services decide what it means."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Refused(Exception):
    """Named conditions of a unit of work did not hold; nothing was written.

    `names` are the names the operations were staged under; `old` holds, for those that
    asked for it, the item as it stood (a stale version's current number, say).
    """

    def __init__(self, names: frozenset[str], old: Mapping[str, Mapping[str, Any]] | None = None):
        super().__init__(", ".join(sorted(names)))
        self.names = names
        self.old = dict(old or {})


class Conflict(Exception):
    """Another write touched the same items at the same moment, again and again."""
