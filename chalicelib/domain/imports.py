"""Reading an import file: CSV with a documented set of columns, or JSON Lines of reports.

Every row is checked before anything is filed, and every mistake is named by its line and
its field (the CSV column, or the report's field path for JSON Lines) and never echoes the
value: an import file is full of children's names. A row becomes the very report the JSON
API takes (domain/report.py), so an imported report is checked exactly as any other.

The CSV columns (docs/samples/import.csv has every one; only a few are required by the
report itself): see COLUMNS. Lists (`other_names`) are separated by `;`; yes/no columns
take yes/no, true/false or 1/0; an empty cell is "not given".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from chalicelib.domain.case import fingerprint
from chalicelib.domain.numbers import is_number
from chalicelib.domain.partners import EXTERNAL_ID, content_key, external_key
from chalicelib.domain.report import Report

# What became of one row of a batch: filed as a new case, the same row again (nothing
# filed twice), or refused with its reason.
RowOutcomeKind = Literal["created", "replayed", "refused"]

# column -> where it goes in the report ("" for the row's own external id).
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": (),
    "family_name": ("child", "family_name"),
    "given_name": ("child", "given_name"),
    "patronymic": ("child", "patronymic"),
    "other_names": ("child", "other_names"),
    "sex": ("child", "sex"),
    "date_of_birth": ("child", "date_of_birth"),
    "birth_year": ("child", "birth_year"),
    "distinguishing_marks": ("child", "distinguishing_marks"),
    "medical_needs": ("child", "medical_needs"),
    "oblast": ("residence", "oblast"),
    "settlement": ("residence", "settlement"),
    "category": ("event", "category"),
    "event_date": ("event", "date"),
    "event_place": ("event", "place"),
    "circumstances": ("event", "circumstances"),
    "last_country": ("last_known_location", "country"),
    "last_region": ("last_known_location", "region"),
    "last_settlement": ("last_known_location", "settlement"),
    "last_institution": ("last_known_location", "institution"),
    "reporter_name": ("reporter", "name"),
    "reporter_relationship": ("reporter", "relationship"),
    "reporter_email": ("reporter", "email"),
    "reporter_phone": ("reporter", "phone"),
    "reporter_language": ("reporter", "preferred_language"),
    "may_contact": ("reporter", "may_contact"),
    "tracing": ("consent", "tracing"),
    "share_with_coalition": ("consent", "share_with_coalition"),
    "share_with_authorities": ("consent", "share_with_authorities"),
    # Optional, and empty is No: the evidence consent is never implied (domain/evidence.py).
    "evidence": ("consent", "evidence"),
    "urgent": ("urgent",),
}
REQUIRED_COLUMNS = (
    "family_name",
    "given_name",
    "sex",
    "oblast",
    "category",
    "reporter_relationship",
    "may_contact",
    "tracing",
    "share_with_coalition",
    "share_with_authorities",
)
_FLAGS = {
    "may_contact",
    "tracing",
    "share_with_coalition",
    "share_with_authorities",
    "evidence",
    "urgent",
}
_YES = {"yes", "y", "true", "1", "так", "да"}
_NO = {"no", "n", "false", "0", "ні", "нет"}
_FIELD_OF = {path: column for column, path in COLUMNS.items() if path}
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "msg": self.message}

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ImportRow:
    """One checked row: the report, what names it for replays, and where it was read."""

    line: int
    report: Report
    fingerprint: str
    external_id: str | None

    @property
    def key(self) -> str:
        """Its idempotency key in the partner's scope: the external id, or its content."""
        if self.external_id:
            return external_key(self.external_id)
        return content_key(self.fingerprint)


class RowsRefused(Exception):
    """Rows with mistakes: nothing of their batch was filed."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(len(errors))
        self.errors = errors


def check_rows(rows: Iterable[tuple[int, Any, Any]]) -> list[ImportRow]:
    """(line, report body, external id) of a batch, all checked; RowsRefused names every
    mistake of every row, and then none is filed."""
    checked: list[ImportRow] = []
    errors: list[RowError] = []
    for line, body, external_id in rows:
        _collect(check_row(line, body, external_id), checked, errors)
    seen: set[str] = set()
    for row in checked:
        if row.external_id in seen:
            errors.append(RowError(row.line, "external_id", "twice in one batch"))
        seen.add(row.external_id or "")
        seen.discard("")
    if errors:
        raise RowsRefused(sorted(errors, key=lambda e: e.line))
    return checked


def check_row(line: int, body: Any, external_id: Any, *, field_of=None) -> ImportRow | list:
    """A row as a report, or its mistakes (named by `field_of(loc)`)."""
    name = field_of or (lambda loc: ".".join(str(p) for p in loc) or "row")
    errors: list[RowError] = []
    if external_id is not None and (
        not isinstance(external_id, str) or not EXTERNAL_ID.match(external_id)
    ):
        errors.append(RowError(line, "external_id", "1 to 100 characters of A-Z a-z 0-9 . _ : / -"))
    if not isinstance(body, dict):
        return [*errors, RowError(line, "row", "not a report (a JSON object)")]
    try:
        report = Report.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False, include_context=False):
            message = error["msg"].removeprefix("Value error, ")
            errors.append(RowError(line, name(tuple(error["loc"])), message))
        return errors
    if errors:
        return errors
    # Of the report as checked, so a row sent again (as CSV, JSON or over the API) is
    # recognised whatever its spelling.
    normal = report.model_dump(mode="json")
    return ImportRow(line, report, fingerprint(normal), external_id or None)


def _csv_field(loc: tuple) -> str:
    for size in range(len(loc), 0, -1):
        column = _FIELD_OF.get(tuple(str(p) for p in loc[:size]))
        if column:
            return column
    if loc and loc[0] == "child":
        return "date_of_birth"  # the child's own checks: birth date and year
    if loc and loc[0] == "reporter":
        return "reporter_email"  # reachable: an e-mail or a phone when may_contact
    return ".".join(str(p) for p in loc) or "row"


def _cell(column: str, text: str) -> Any:
    if column in _FLAGS:
        lowered = text.lower()
        if lowered in _YES:
            return True
        if lowered in _NO:
            return False
        return text  # refused by the model as not a boolean, named by its column
    if column == "other_names":
        return [n.strip() for n in text.split(";") if n.strip()]
    if column == "birth_year":
        return int(text) if is_number(text) else text
    return text


def report_of_csv(record: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    body: dict[str, Any] = {}
    external_id = None
    for column, path in COLUMNS.items():
        text = (record.get(column) or "").strip()
        if not text:
            continue
        if not path:
            external_id = text
            continue
        section = body
        for part in path[:-1]:
            section = section.setdefault(part, {})
        section[path[-1]] = _cell(column, text)
    return body, external_id


def read_csv(text: str) -> tuple[list[ImportRow], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        return [], [RowError(1, c, "unknown column") for c in unknown] + [
            RowError(1, c, "missing column") for c in missing
        ]
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    start = 2
    for record in reader:
        if None in record:
            errors.append(RowError(start, "row", "more cells than columns"))
        else:
            body, external_id = report_of_csv(record)
            checked = check_row(start, body, external_id, field_of=_csv_field)
            _collect(checked, rows, errors)
        start = reader.line_num + 1
        if len(rows) + len(errors) > MAX_ROWS:
            return rows, [*errors, RowError(start, "row", f"at most {MAX_ROWS} rows a file")]
    return rows, errors


def read_json_lines(lines: Iterable[str]) -> tuple[list[ImportRow], list[RowError]]:
    """Each line a report as POST /api/v1/reports takes it, with an optional
    `external_id` beside its fields; blank lines are skipped."""
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
        except ValueError:
            errors.append(RowError(number, "row", "not JSON"))
            continue
        external_id = body.pop("external_id", None) if isinstance(body, dict) else None
        _collect(check_row(number, body, external_id), rows, errors)
    return rows, errors


def _collect(checked: ImportRow | list, rows: list, errors: list) -> None:
    if isinstance(checked, ImportRow):
        rows.append(checked)
    else:
        errors.extend(checked)


def read_file(name: str, text: str) -> tuple[list[ImportRow], list[RowError]]:
    """By the file's name: `.jsonl`/`.ndjson` JSON Lines, anything else CSV. Rows that
    say the same thing twice (same external id) are mistakes of the file."""
    jsonl = name.lower().endswith((".jsonl", ".ndjson"))
    rows, errors = read_json_lines(text.splitlines()) if jsonl else read_csv(text)
    seen: dict[str, int] = {}
    for row in rows:
        if row.external_id and row.external_id in seen:
            errors.append(
                RowError(row.line, "external_id", f"also on line {seen[row.external_id]}")
            )
        elif row.external_id:
            seen[row.external_id] = row.line
    return rows, sorted(errors, key=lambda e: e.line)


def chunks(rows: list[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def wire_row(row: ImportRow) -> dict[str, Any]:
    """A checked row as the import API takes it (the command line sends these)."""
    return {
        "line": row.line,
        "external_id": row.external_id,
        "report": row.report.model_dump(mode="json"),
    }
