"""Coordinators and caseworkers export the cases in their mandate, as CSV or XLSX.

The list is read as the staff list is (one indexed query a page, the caller's mandate),
every row redacted by the disclosure policy for the caller's agency (domain/exports.py
says what a row holds: never a sealed field). Every exported case gets an audit entry,
and the export itself one in the `exports` trail, written before the file is handed out:
an export that cannot be recorded is not made. A small CSV comes in the answer; anything
larger, and every spreadsheet, is written to the private bucket under `exports/` (kept a
day, encrypted with the stage's key) and fetched by a presigned link valid 5 minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from chalicelib.domain.casefile import CaseSummary, Filters
from chalicelib.domain.disclosure import Disclosure, view_for
from chalicelib.domain.exports import (
    CSV_TYPE,
    EXPORTS_PREFIX,
    XLSX_TYPE,
    export_row,
    to_csv,
    to_xlsx,
)
from chalicelib.services.access import Caller, works_cases
from chalicelib.services.outside_ports import FileStore
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.exports")

EXPORTS_TRAIL = "exports"
LINK_SECONDS = 300
INLINE_ROWS = 500
MAX_ROWS = 100_000
PAGE = 100


class ExportUnavailable(Exception):
    """Too large to answer inline, and no bucket to put it in (a stage without uploads)."""


@dataclass(frozen=True)
class ExportResult:
    format: str
    rows: int
    rows_withheld: int
    content: str | None = None
    url: str | None = None
    expires_at: dt.datetime | None = None


def export_cases(
    caller: Caller,
    filters: Filters,
    fmt: str,
    *,
    stores: Stores,
    files: FileStore | None,
    now: dt.datetime | None = None,
) -> ExportResult:
    now = now or dt.datetime.now(dt.UTC)
    works_cases(caller, EXPORTS_TRAIL, "export", stores)
    agency = None if caller.staff.is_coordinator else caller.staff.agency
    rows: list[list[str]] = []
    references: list[str] = []
    withheld = 0
    cursor = None
    while len(rows) < MAX_ROWS:
        page = stores.case_index.list(filters, agency=agency, limit=PAGE, cursor=cursor)
        more, shown, hidden = _redacted(caller, page.cases, stores)
        rows += more
        references += shown
        withheld += hidden
        cursor = page.cursor
        if not cursor:
            break
    detail = f"{fmt}, {len(rows)} cases ({withheld} withheld), {_described(filters)}"
    return _hand_out(caller, fmt, rows, references, withheld, detail, stores, files, now)


def export_chosen(
    caller: Caller,
    references: list[str],
    fmt: str,
    *,
    stores: Stores,
    files: FileStore | None,
    now: dt.datetime | None = None,
) -> ExportResult:
    """The cases a person ticked on a list, exported as the list's export would export
    them: only those in the caller's mandate, each row redacted by the disclosure policy,
    each case and the export audited before anything is handed out. A case outside the
    mandate, or one the consent hides entirely, is left out as if it did not exist."""
    now = now or dt.datetime.now(dt.UTC)
    works_cases(caller, EXPORTS_TRAIL, "export", stores)
    wanted = list(dict.fromkeys(references))[:PAGE]
    briefs = stores.case_index.briefs(wanted)
    in_mandate = [
        briefs[r].summary
        for r in wanted
        if r in briefs
        and (caller.staff.is_coordinator or caller.staff.agency in briefs[r].agencies)
    ]
    rows, chosen, withheld = _redacted(caller, in_mandate, stores)
    detail = f"{fmt}, {len(rows)} cases ({withheld} withheld), ticked on a list"
    return _hand_out(caller, fmt, rows, chosen, withheld, detail, stores, files, now)


def _redacted(
    caller: Caller, summaries: list[CaseSummary], stores: Stores
) -> tuple[list[list[str]], list[str], int]:
    """The export's rows of some cases, by the disclosure policy: none for a case the
    consent hides entirely, no report for one whose details it withholds (counted)."""
    visible = []
    for summary in summaries:
        level = view_for(caller.recipient, summary.consent).level
        if level > Disclosure.NOTHING:
            visible.append((summary, level == Disclosure.DETAILS))
    # The open part of each report only: sealed fields are never exported.
    reports = stores.cases.reports([s.reference for s, shown in visible if shown])
    rows, withheld = [], 0
    for summary, shown in visible:
        report = reports.get(summary.reference) if shown else None
        withheld += report is None
        rows.append(export_row(summary, report))
    return rows, [s.reference for s, _ in visible], withheld


def _hand_out(
    caller: Caller,
    fmt: str,
    rows: list[list[str]],
    references: list[str],
    withheld: int,
    detail: str,
    stores: Stores,
    files: FileStore | None,
    now: dt.datetime,
) -> ExportResult:
    inline = fmt == "csv" and len(rows) <= INLINE_ROWS
    if not inline and files is None:
        raise ExportUnavailable()
    # Recorded before anything is handed out.
    stores.audit.record(
        [caller.entry(r, "export", detail=fmt, at=now) for r in references]
        + [caller.entry(EXPORTS_TRAIL, "export", detail=detail, at=now)]
    )
    log.info("export by %s: %s", caller.staff.subject, detail)
    if inline:
        return ExportResult(fmt, len(rows), withheld, content=to_csv(rows).decode())
    data, kind = (to_csv(rows), CSV_TYPE) if fmt == "csv" else (to_xlsx(rows), XLSX_TYPE)
    name = f"homeward-cases-{now:%Y%m%d-%H%M%S}.{fmt}"
    key = f"{EXPORTS_PREFIX}{now:%Y-%m-%d}/{secrets.token_urlsafe(18)}/{name}"
    assert files is not None
    files.put_export(key, data, kind, name)
    url = files.export_link(key, LINK_SECONDS)
    expires = now + dt.timedelta(seconds=LINK_SECONDS)
    return ExportResult(fmt, len(rows), withheld, url=url, expires_at=expires)


def _described(filters: Filters) -> str:
    given = {k: v for k, v in vars(filters).items() if v is not None}
    return "filters " + (", ".join(f"{k}={v}" for k, v in sorted(given.items())) or "none")
