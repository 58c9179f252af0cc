"""How fast alerts are answered: time to acknowledge per desk and per week, and overdue.

Each acknowledgement that stops a ladder (by the desk that owns the case) leaves one
sample: the desk, the week the alert was raised, the seconds it waited, and whether it
had escalated by then (late). The sample names no case: a timing, not case data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.domain.casefile import week_of


@dataclass(frozen=True)
class AckSample:
    agency: str
    # The week the alert was raised (casefile.week_of).
    week: str
    seconds: float
    late: bool

    @classmethod
    def of(cls, agency: str, raised: dt.datetime, at: dt.datetime, *, late: bool) -> AckSample:
        return cls(agency, week_of(raised), max(0.0, (at - raised).total_seconds()), late)


@dataclass(frozen=True)
class TimeToAcknowledge:
    """One desk's or one week's acknowledgements: how many, median and 90th percentile."""

    key: str
    count: int
    median_seconds: float
    p90_seconds: float
    late: int


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (the value at or below which `share` of them lie)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def summarised(samples: Iterable[AckSample], by: str) -> list[TimeToAcknowledge]:
    """Per desk (`by="agency"`) or per week (`by="week"`), in the order of the key."""
    grouped: dict[str, list[AckSample]] = defaultdict(list)
    for sample in samples:
        grouped[getattr(sample, by)].append(sample)
    return [
        TimeToAcknowledge(
            key=key,
            count=len(found),
            median_seconds=percentile([s.seconds for s in found], 0.5),
            p90_seconds=percentile([s.seconds for s in found], 0.9),
            late=sum(1 for s in found if s.late),
        )
        for key, found in sorted(grouped.items())
    ]


def week_start(week: str) -> dt.date:
    """The Monday a week (casefile.week_of) begins: what a page says instead of its code."""
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)
