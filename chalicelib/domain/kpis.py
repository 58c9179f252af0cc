"""The return's key figures: how many children are where, how long each part took, and
whether the help after the return came and was followed up. Counts and days only, never
a child; per oblast (of the report) and per month (the report came in).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.domain.aftercare import RETURN_STAGES, Aftercare, FollowUpPolicy, ReturnStage
from chalicelib.domain.referrals import ReferralStatus


@dataclass
class Figures:
    """One row of figures; days are medians over the cases that got that far."""

    cases: int = 0
    verified: int = 0
    returned: int = 0
    days_to_verified: float | None = None
    days_to_returned: float | None = None
    days_to_first_service: float | None = None
    follow_ups: int = 0
    follow_ups_on_time: int = 0
    follow_ups_overdue: int = 0
    referrals: int = 0
    referrals_accepted: int = 0
    referrals_completed: int = 0
    _to_verified: list[int] = field(default_factory=list, repr=False)
    _to_returned: list[int] = field(default_factory=list, repr=False)
    _to_service: list[int] = field(default_factory=list, repr=False)

    def add(self, record: Aftercare, policy: FollowUpPolicy, now: dt.datetime) -> None:
        self.cases += 1
        received = record.received_at.date()
        verified = record.reached(ReturnStage.VERIFIED)
        if verified is not None:
            self.verified += 1
            self._to_verified.append((verified - received).days)
        returned = record.reached(ReturnStage.RETURNED)
        if returned is not None:
            self.returned += 1
            self._to_returned.append((returned - received).days)
            first = record.first_service_on
            if first is not None:
                self._to_service.append((first - returned).days)
        self.follow_ups += len(record.follow_ups)
        self.follow_ups_on_time += sum(f.on_time for f in record.follow_ups)
        self.follow_ups_overdue += record.overdue(policy, now) is not None
        self.referrals += len(record.referrals)
        self.referrals_accepted += sum(
            r.at_status(ReferralStatus.ACCEPTED) is not None for r in record.referrals
        )
        self.referrals_completed += sum(r.status == ReferralStatus.DONE for r in record.referrals)

    def finished(self) -> dict:
        def median(values: list[int]) -> float | None:
            return float(statistics.median(values)) if values else None

        self.days_to_verified = median(self._to_verified)
        self.days_to_returned = median(self._to_returned)
        self.days_to_first_service = median(self._to_service)
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def month_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m")


def return_kpis(records: Iterable[Aftercare], policy: FollowUpPolicy, now: dt.datetime) -> dict:
    by_stage = dict.fromkeys(RETURN_STAGES, 0)
    overall = Figures()
    oblasts: dict[str, Figures] = {}
    months: dict[str, Figures] = {}
    for record in records:
        if record.stage is not None:
            by_stage[record.stage] += 1
        overall.add(record, policy, now)
        oblasts.setdefault(record.oblast, Figures()).add(record, policy, now)
        months.setdefault(month_of(record.received_at), Figures()).add(record, policy, now)
    return {
        "by_stage": {str(stage): n for stage, n in by_stage.items()},
        "overall": overall.finished(),
        "by_oblast": [{"oblast": k, **oblasts[k].finished()} for k in sorted(oblasts)],
        "by_month": [{"month": k, **months[k].finished()} for k in sorted(months)],
    }
