"""Reading a date as people type it, the one reader for every date a person types (the
report form, a correction, a filter in the console).

"12.03.2016", "12/03/2016", "12-03-2016" and "12 03 2016" are read day first, as
Ukrainians and Russians write them (never month first), and "2016-03-12" year first.
"""

from __future__ import annotations

import datetime as dt
import re

_SEPARATOR = r"\s*[./\-\s]\s*"
DAY_FIRST = re.compile(rf"^\s*(\d{{1,2}}){_SEPARATOR}(\d{{1,2}}){_SEPARATOR}(\d{{2,4}})\s*\.?\s*$")
YEAR_FIRST = re.compile(rf"^\s*(\d{{4}}){_SEPARATOR}(\d{{1,2}}){_SEPARATOR}(\d{{1,2}})\s*$")


def split_whole_date(typed: str) -> tuple[str, str, str] | None:
    """A whole date typed into one box, as (day, month, year); None if it is not one."""
    if found := YEAR_FIRST.match(typed):
        year, month, day = found.groups()
        return day, month, year
    if found := DAY_FIRST.match(typed):
        return found.groups()  # type: ignore[return-value]
    return None


class NotADate(ValueError):
    """What was typed is not a date, or names a day that does not exist."""


def read_date(typed: str) -> dt.date:
    """The date a person typed in one box ("14.03.2012", "2012-03-14"); NotADate if none.
    A year must have four digits: "14.03.12" could be 1912 or 2012."""
    parts = split_whole_date(typed)
    if parts is None or len(parts[2]) != 4:
        raise NotADate(typed)
    day, month, year = (int(p) for p in parts)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise NotADate(typed) from None
