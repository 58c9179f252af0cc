"""Dates as people read them: "14 березня 2012 р.", never "2012-03-14" or "03/14/2012".

Month names and the long date pattern are CLDR's (written into data/months.json by
`make translations`), so the form's month list, a receipt and an alert say a date the
same way, and nothing a browser's locale does can swap a day and a month.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@cache
def _months() -> dict[str, dict]:
    return json.loads((DATA / "months.json").read_text("utf-8"))


def _language(language: str) -> str:
    return language if language in _months() else "en"


def month_names(language: str) -> list[str]:
    """January to December, as a list of months shows them (Січень, Январь, January)."""
    return _months()[_language(language)]["names"]


def date_in_words(value: dt.date | int | str | None, language: str) -> str:
    """A date in words ("14 березня 2012 р."); a year alone as the year; "" for none.

    A string is read as an ISO date (how reports store them)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    months = _months()[_language(language)]
    return months["date"].format(
        day=value.day, month=months["in_dates"][value.month - 1], year=value.year
    )


def months_in_dates(language: str) -> tuple[list[str], str]:
    """The months as a date names them (березня) and the date's pattern, for form.js."""
    months = _months()[_language(language)]
    return months["in_dates"], months["date"]


KYIV = "Europe/Kyiv"


def moment_in_words(moment: dt.datetime | None, language: str, *, zone: bool = True) -> str:
    """A moment as people in Kyiv read it ("7 грудня 2026 р., 14:41"); with `zone`, the
    clock named, and in English also in UTC, for readers elsewhere. "" for none."""
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(KYIV))
    day = date_in_words(local.date(), language)
    if not zone:
        return f"{day}, {local:%H:%M}"
    if language == "uk":
        return f"{day}, {local:%H:%M} за київським часом"
    if language == "ru":
        return f"{day}, {local:%H:%M} по киевскому времени"
    return f"{day}, {local:%H:%M} Kyiv time ({moment.astimezone(dt.UTC):%H:%M} UTC)"
