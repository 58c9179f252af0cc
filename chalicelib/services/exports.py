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

from chalicelib.domain.casefile import Filters
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
        visible = []
        for summary in page.cases:
            level = view_for(caller.recipient, summary.consent).level
            if level > Disclosure.NOTHING:
                visible.append((summary, level == Disclosure.DETAILS))
        # The open part of each report only: sealed fields are never exported.
        reports = stores.cases.reports([s.reference for s, shown in visible if shown])
        for summary, shown in visible:
            report = reports.get(summary.reference) if shown else None
            withheld += report is None
            rows.append(export_row(summary, report))
            references.append(summary.reference)
        cursor = page.cursor
        if not cursor:
            break
    inline = fmt == "csv" and len(rows) <= INLINE_ROWS
    if not inline and files is None:
        raise ExportUnavailable()
    detail = f"{fmt}, {len(rows)} cases ({withheld} withheld), {_described(filters)}"
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
