"""How long a case keeps the people in it, by where it stands: configuration, not code.

`HOMEWARD_RETENTION` lists, for the statuses in which work on a case has ended, the days
after the case last changed when it is anonymised (domain/erasure.py): for instance
"closed=1825,returned=1825,duplicate=1825,unfounded=365". A status not listed is kept.
A case still being worked is never anonymised, whatever the configuration says: its
child may still be found.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain.numbers import is_number
from chalicelib.domain.progress import ENDED_STATUSES
from chalicelib.domain.workflow import Status

DEFAULT = "closed=1825,returned=1825,duplicate=1825,unfounded=365"

Retention = tuple[tuple[Status, int], ...]


def parse(text: str) -> Retention:
    """ "status=days,..." as (status, days) pairs; ValueError names what is wrong (a stage
    must not start with a rule that anonymises the wrong cases)."""
    found: dict[Status, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, days = (s.strip() for s in part.partition("="))
        if not sep or name not in {s.value for s in Status}:
            raise ValueError(f"retention: {part!r} is not status=days")
        status = Status(name)
        if status not in ENDED_STATUSES:
            raise ValueError(f"retention: {status} cases are still being worked")
        if not is_number(days):
            raise ValueError(f"retention: {part!r} needs a whole number of days")
        found[status] = int(days)
    return tuple(sorted(found.items()))


def changed_before(now: dt.datetime, days: int) -> dt.datetime:
    """Cases of a status kept `days` are due once they last changed before this."""
    return now - dt.timedelta(days=days)
