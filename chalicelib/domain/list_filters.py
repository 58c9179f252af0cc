"""What narrows a case list beyond its index: the child's sex and age, and flags.

The list's own filters (casefile.Filters: status, oblast, category, urgency, received
dates, assignee) are applied by the index that reads the list. The child's sex and age
are inside the report, so they are applied to the rows read (each row carries the open
part of its report): a page may then hold fewer rows than asked, never a row that does
not pass. A row whose report the reader may not see cannot be told to pass, so a sex or
age filter leaves it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chalicelib.domain.casefile import CaseBrief

# Flags a caseworker narrows a list to: nobody works it yet; its alert was never
# acknowledged (waiting, or its ladder ended).
FLAGS = ("unassigned", "unacknowledged")
MAX_AGE = 25


def ages(date_of_birth: dt.date | None, birth_year: int | None, today: dt.date) -> set[int]:
    """The ages a child may be today: one for a date of birth, two for a year alone (the
    birthday may not have come yet), none when neither is known."""
    if date_of_birth is not None:
        years = today.year - date_of_birth.year
        return {years - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))}
    if birth_year is not None:
        return {today.year - birth_year - 1, today.year - birth_year}
    return set()


@dataclass(frozen=True)
class ChildFilters:
    sex: str | None = None
    age_from: int | None = None  # inclusive, in whole years
    age_to: int | None = None  # inclusive
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def given(self) -> bool:
        return bool(self.sex or self.age_from is not None or self.age_to is not None or self.flags)

    def admits(self, brief: CaseBrief, today: dt.date) -> bool:
        if "unassigned" in self.flags and brief.summary.assignee:
            return False
        if "unacknowledged" in self.flags and brief.acknowledgement not in (
            "waiting",
            "unacknowledged",
        ):
            return False
        if not (self.sex or self.age_from is not None or self.age_to is not None):
            return True
        if brief.report is None:
            return False
        child = brief.report.child
        if self.sex and child.sex != self.sex:
            return False
        if self.age_from is None and self.age_to is None:
            return True
        low = self.age_from if self.age_from is not None else 0
        high = self.age_to if self.age_to is not None else MAX_AGE * 4
        return any(low <= a <= high for a in ages(child.date_of_birth, child.birth_year, today))
