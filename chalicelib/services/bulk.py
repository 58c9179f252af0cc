"""Several cases at once, from a case list: each goes through the very rule it would go
through alone (assign_case: the mandate, the consent's full detail, a colleague who may
work it, an audit entry), and a case that may not be changed is said, never skipped
silently: the answer names what was done and what was not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chalicelib.domain.colleagues import UnknownAssignee
from chalicelib.services import casework
from chalicelib.services.access import Caller, CaseNotFound, NotPermitted
from chalicelib.services.ports import Stores

# A page of the list: more is not ticked on one page.
MAX_CASES = 50


@dataclass(frozen=True)
class Done:
    done: list[str] = field(default_factory=list)
    # Not done: the case may not be changed by this person, or not given to this colleague.
    refused: list[str] = field(default_factory=list)


def assign_cases(
    caller: Caller,
    references: list[str],
    *,
    assignee: str,
    stores: Stores,
    now: dt.datetime | None = None,
) -> Done:
    """Give each case to one colleague, at the version it has now (the person ticked it
    on a list just read: a change made meanwhile by someone else is not undone, since an
    assignment replaces only the assignee)."""
    result = Done()
    for reference in list(dict.fromkeys(references))[:MAX_CASES]:
        try:
            current = casework.read_case(caller, reference, stores=stores)
            if current.file.assignee != assignee:
                casework.assign_case(
                    caller,
                    reference,
                    assignee=assignee,
                    version=current.version,
                    stores=stores,
                    now=now,
                )
            result.done.append(reference)
        except (CaseNotFound, NotPermitted, UnknownAssignee, casework.StaleVersion):
            result.refused.append(reference)
    return result
