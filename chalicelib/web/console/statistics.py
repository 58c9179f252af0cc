"""Counts of cases as charts: by status, oblast, category and week, within the person's
mandate (the statistics service decides which counts a person sees).

The charts are SVG drawn here, with a table of the same numbers beside each for screen
readers and for copying: no script, no other origin, nothing but the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalice import Response

from chalicelib import wiring
from chalicelib.domain import labels
from chalicelib.domain.casefile import week_of
from chalicelib.domain.response_times import week_start
from chalicelib.lazy import lazy_module
from chalicelib.web.console.base import Ctx, console_route
from chalicelib.web.console.render import day, named, oblast_name

response_times = lazy_module("chalicelib.services.response_times")

# Each bar under its label, so that labels stay readable when a phone scales the chart
# down to its width.
WIDTH = 400
ROW = 42
WEEKS = 12


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int


@dataclass(frozen=True)
class Chart:
    key: str
    bars: list[Bar]
    height: int

    @property
    def total(self) -> int:
        return sum(b.value for b in self.bars)


def chart(key: str, items: list[tuple[str, int]]) -> Chart:
    """Horizontal bars, the longest the width of the plot."""
    top = max((v for _, v in items), default=0) or 1
    plot = WIDTH - 50
    bars = [
        Bar(label, value, i * ROW, max(1 if value else 0, round(plot * value / top)))
        for i, (label, value) in enumerate(items)
    ]
    return Chart(key, bars, max(ROW, len(bars) * ROW))


def last_weeks(counts: dict[str, int], today: dt.date | None = None) -> list[tuple[str, int]]:
    today = today or dt.datetime.now(dt.UTC).date()
    weeks = []
    for back in range(WEEKS - 1, -1, -1):
        moment = dt.datetime.combine(today - dt.timedelta(weeks=back), dt.time(), dt.UTC)
        weeks.append(week_of(moment))
    return [(w, counts.get(w, 0)) for w in weeks]


def week_words(ctx: Ctx, week: str) -> str:
    """A week as a person reads it: the day it begins, never its ISO code."""
    return ctx._("week of %(day)s") % {"day": day(week_start(week), ctx.lang)}


def duration(ctx: Ctx, seconds: float) -> str:
    """Seconds as minutes, hours or days, in words."""
    _ = ctx._
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("under a minute")
    if minutes < 120:
        return _("%(n)s min") % {"n": minutes}
    hours = round(seconds / 3600, 1)
    if hours < 48:
        return _("%(n)s h") % {"n": f"{hours:g}"}
    return _("%(n)s days") % {"n": f"{round(seconds / 86400, 1):g}"}


@console_route("/staff/statistics")
def statistics(ctx: Ctx) -> Response:
    _ = ctx._
    numbers = response_times.statistics(
        ctx.caller, stores=wiring.stores(), directory=wiring.directory().current()
    )
    charts = [
        chart(
            "status",
            [
                (named(labels.STATUS, s, ctx.lang), numbers["status"].get(s, 0))
                for s in labels.STATUS
            ],
        ),
        chart(
            "category",
            [
                (named(labels.CATEGORY, c, ctx.lang), numbers["category"].get(c, 0))
                for c in labels.CATEGORY
            ],
        ),
        chart(
            "oblast",
            sorted(
                ((oblast_name(code, ctx.lang), n) for code, n in numbers["oblast"].items()),
                key=lambda item: -item[1],
            ),
        ),
        chart(
            "week",
            [(week_words(ctx, w), n) for w, n in last_weeks(numbers.get("week", {}))],
        ),
    ]
    scope = "agency" if ctx.caller.staff.is_caseworker else "all"
    return ctx.page(
        "statistics.html",
        numbers=numbers,
        charts=charts,
        scope=scope,
        width=WIDTH,
        responses=numbers["responses"],
        week_words=lambda week: week_words(ctx, week),
        duration=lambda seconds: duration(ctx, seconds),
        desk_name=wiring.directory().current().organisation_of,
    )
