"""A case list for coordinators' spreadsheets, redacted by the disclosure policy.

An export never carries what is sealed in storage (the reporter's name, e-mail and phone,
the child's medical needs and distinguishing marks, the event's circumstances: see
report.SEALED_FIELDS): it is a file that leaves Homeward, and those stay where the audit
trail sees every look at them. A row whose report the reader may not see in detail (the
reporter did not share it with the reader's kind of organisation) says only the
reference, status, and where and what; a case the reader may not know of is not a row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Literal

from chalicelib.domain.case import iso
from chalicelib.domain.casefile import CaseSummary
from chalicelib.domain.report import Report

# A spreadsheet as CSV (any tool) or XLSX (formulas neutralised either way).
ExportFormat = Literal["csv", "xlsx"]

COLUMNS = (
    "reference",
    "received_at",
    "status",
    "urgent",
    "category",
    "oblast",
    "details",
    "family_name",
    "given_name",
    "patronymic",
    "other_names",
    "sex",
    "date_of_birth",
    "birth_year",
    "settlement",
    "event_date",
    "event_place",
    "last_country",
    "last_region",
    "last_settlement",
    "last_institution",
    "reporter_relationship",
    "tracing",
    "share_with_coalition",
    "share_with_authorities",
)
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell a spreadsheet would run as a formula: what a reporter typed must stay text.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def export_row(summary: CaseSummary, report: Report | None) -> list[str]:
    """One row; `report` None: the reader may know the case exists, not what it says."""
    head = [
        summary.reference,
        iso(summary.received_at),
        str(summary.status),
        _flag(summary.urgent),
        str(summary.category),
        summary.oblast,
        "shown" if report is not None else "withheld",
    ]
    if report is None:
        return head + [""] * (len(COLUMNS) - len(head))
    child, event, where = report.child, report.event, report.last_known_location
    details = [
        child.family_name,
        child.given_name,
        child.patronymic or "",
        "; ".join(child.other_names),
        str(child.sex),
        child.date_of_birth.isoformat() if child.date_of_birth else "",
        str(child.birth_year or (child.date_of_birth.year if child.date_of_birth else "")),
        report.residence.settlement or "",
        event.date.isoformat() if event.date else "",
        event.place or "",
        (where.country or "") if where else "",
        (where.region or "") if where else "",
        (where.settlement or "") if where else "",
        (where.institution or "") if where else "",
        str(report.reporter.relationship),
        _flag(report.consent.tracing),
        _flag(report.consent.share_with_coalition),
        _flag(report.consent.share_with_authorities),
    ]
    return [*head, *details]


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as typed (OWASP's advice against formula injection)."""
    return "'" + value if value.startswith(_FORMULA) else value


def to_csv(rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    # With a byte-order mark, so that spreadsheets read the Cyrillic as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(rows: Iterable[list[str]]) -> bytes:
    """One sheet, written as it goes (openpyxl's write-only mode: memory stays flat)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
