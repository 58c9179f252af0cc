"""A case as staff work it: the report, where it stands, and everything that happened to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from chalicelib.domain.alerts import Alert, StoredDelivery
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.case import Case
from chalicelib.domain.disclosure import ConsentGiven, Disclosure, View
from chalicelib.domain.report import Report
from chalicelib.domain.workflow import Status


@dataclass(frozen=True)
class Note:
    at: dt.datetime
    author: str
    text: str


@dataclass(frozen=True)
class Counted:
    """What the statistics count of a case: where it stands, where and what, how urgent."""

    status: str
    oblast: str
    category: str
    urgent: bool
    # The ISO week the report came in (2026-W48), for the console's weekly chart.
    week: str | None = None

    @classmethod
    def of_case(cls, case: Case) -> Counted:
        return cls(case.status, case.oblast, case.category, case.urgent, week_of(case.received_at))

    @classmethod
    def of_alert(cls, alert: Alert) -> Counted:
        """A new report as its first alert describes it (an alert names no child)."""
        return cls(
            Status.RECEIVED, alert.oblast, alert.category, alert.urgent, week_of(alert.created_at)
        )


def week_of(moment: dt.datetime) -> str:
    year, week, _ = moment.astimezone(dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class CaseSummary:
    """One row of a case list: nothing of the report but where and what."""

    reference: str
    received_at: dt.datetime
    status: Status
    oblast: str
    category: str
    urgent: bool
    version: int
    # What may be done with the report: a list shows a row only to whom it may.
    consent: ConsentGiven
    assignee: str | None = None


@dataclass(frozen=True)
class CaseFile:
    case: Case
    # The agencies the case was routed to: their caseworkers may work it.
    agencies: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    assignee: str | None = None
    updated_at: dt.datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    notes: tuple[Note, ...] = ()
    deliveries: tuple[StoredDelivery, ...] = ()
    # Break-glass accesses: staff member -> until when they may see everything.
    break_glass: dict[str, dt.datetime] = field(default_factory=dict)
    # What happened to it that no note or delivery tells: assignments, links, corrections,
    # match decisions, acknowledgements in the console (the console's timeline).
    events: tuple[CaseEvent, ...] = ()

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def status(self) -> Status:
        return self.case.status

    @property
    def version(self) -> int:
        return self.case.version


@dataclass(frozen=True)
class Filters:
    """What a case list is narrowed to; None is "any"."""

    status: Status | None = None
    oblast: str | None = None
    category: str | None = None
    urgent: bool | None = None
    received_from: dt.date | None = None  # inclusive
    received_to: dt.date | None = None  # inclusive
    # A staff member's login id: the cases assigned to them.
    assignee: str | None = None

    def admits(self, case: CaseSummary) -> bool:
        """Whether a case passes every filter but the received dates (which a list's
        index key applies)."""
        for name in ("status", "oblast", "category"):
            wanted = getattr(self, name)
            if wanted and getattr(case, name) != wanted:
                return False
        if self.assignee and case.assignee != self.assignee:
            return False
        return self.urgent is None or case.urgent == self.urgent


@dataclass
class Page:
    cases: list[CaseSummary]
    cursor: str | None
    # What the page cost, for the bench and the logs.
    calls: int = 0
    items_read: int = 0


class InvalidCursor(ValueError):
    """A list's cursor that this API did not give out for this very list."""


@dataclass(frozen=True)
class ShownCase:
    """A case file as one reader may see it: the report redacted by the disclosure policy
    (None when only its existence may be known), and the names of what was withheld."""

    file: CaseFile
    report: Report | None
    withheld: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        return self.file.reference

    @property
    def status(self) -> Status:
        return self.file.status

    @property
    def version(self) -> int:
        return self.file.version


# What a timeline event may say that the report's consent covers: a correction's values
# and its reason are about the child, as the notes are.
FREE_TEXT_DETAIL = ("before", "after", "reason")


def shown(file: CaseFile, view: View) -> ShownCase:
    report: Report | None = file.case.report
    if view.level < Disclosure.DETAILS:
        report = None
        # The notes and every free text of the timeline are part of what the reporter's
        # consent withholds: "called the mother on +380...; seen in Anapa".
        events = tuple(
            replace(e, detail={k: v for k, v in e.detail.items() if k not in FREE_TEXT_DETAIL})
            for e in file.events
        )
        file = replace(file, notes=(), events=events)
    elif not view.reporter_contact:
        # model_copy, not validation: a reporter who may be contacted has an address, but
        # this reader does not see it.
        reporter = report.reporter.model_copy(update={"name": None, "email": None, "phone": None})
        report = report.model_copy(update={"reporter": reporter})
    return ShownCase(file=file, report=report, withheld=view.withheld)


@dataclass(frozen=True)
class CaseEvent:
    """One thing that happened to a case, for its timeline: who did what, and the words
    of it (`detail`: the other case, the assignee, a corrected field and its values)."""

    at: dt.datetime
    actor: str
    agency: str
    action: str
    detail: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseBrief:
    """A row of the console's lists: the summary, the agencies, the open part of the
    report (names, birth, places; never what is sealed) and how its first alert stands."""

    summary: CaseSummary
    agencies: frozenset[str]
    report: Report | None
    # "acknowledged", "waiting" (escalating while nobody acknowledges), "unacknowledged"
    # (its ladder ended), or None (not alerted yet).
    acknowledgement: str | None = None
    acknowledged_at: dt.datetime | None = None
