"""Dates on the form: day, month by name and year in fields of their own.

This is the GOV.UK Design System's date input pattern. A browser's date picker shows and
reads a date in the order of the browser's locale, so a Ukrainian typing 12.03.2016 on a
phone set to English got 2016-12-03, silently; three fields and a month named in words
leave nothing to reorder. The form assembles the contract's ISO date (or, for a birth,
the year alone when that is all that is known) from them.

People also type a whole date into the first box. "12.03.2016", "12/03/2016",
"12-03-2016" and "12 03 2016" are read day first, as Ukrainians and Russians write them
(never month first), and "2016-03-12" year first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.dates import split_whole_date
from chalicelib.domain.questions import N_

PARTS = ("day", "month", "year")

NO_SUCH_DATE = N_("This date does not exist. Please check the day and the month.")
DAY = N_("Write the day as a number, for example 14.")
YEAR = N_("Write the year as four digits, for example 2012.")
WHOLE_OR_YEAR = N_(
    "Give the day, the month and the year. If you know only the year, give the year alone."
)
WHOLE_OR_NOTHING = N_("Give the day, the month and the year, or leave the date empty.")


@dataclass(frozen=True)
class Assembled:
    # A date, a year alone (an int), or None when nothing was given.
    value: dt.date | int | None
    # What to tell the person (a message to translate), when the parts make no date.
    error: str | None = None


def _digits(text: str) -> bool:
    # str.isdigit() also holds for "²" and other scripts' digits, which int() refuses.
    return text.isascii() and text.isdigit()


def assemble(day: str, month: str, year: str, *, year_only: bool) -> Assembled:
    """The date the three fields give, the year alone if `year_only` allows it, or why not."""
    day, month, year = day.strip(), month.strip(), year.strip()
    if day and not (month or year) and (whole := split_whole_date(day)):
        day, month, year = whole
    if not (day or month or year):
        return Assembled(None)
    if year and not _digits(year):
        return Assembled(None, YEAR)
    if year and len(year) != 4:
        return Assembled(None, YEAR)
    if not (day or month):
        if year_only:
            return Assembled(int(year))
        return Assembled(None, WHOLE_OR_NOTHING)
    if not (day and month and year):
        return Assembled(None, WHOLE_OR_YEAR if year_only else WHOLE_OR_NOTHING)
    if not _digits(day):
        return Assembled(None, DAY)
    if not _digits(month):
        return Assembled(None, NO_SUCH_DATE)
    try:
        return Assembled(dt.date(int(year), int(month), int(day)))
    except ValueError:
        return Assembled(None, NO_SUCH_DATE)
