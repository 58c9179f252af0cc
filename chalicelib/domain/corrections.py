"""Correcting a field of a report: a date of birth with day and month swapped, a misspelt name.

A correction changes one field, for a stated reason, and is checked by the same rules
as a new report: what is corrected must be something a reporter could have sent. Only
fields that say who the child is and where and when it happened can be corrected, and
none of the sealed ones (domain/report.py SEALED_FIELDS): those can only be sealed again
by the function that takes reports. Oblast and category are not among them: they decided
whom the report was routed to, so changing them is a new routing, not a correction.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.dates import NotADate, read_date
from chalicelib.domain.numbers import is_number
from chalicelib.domain.report import SEALED_FIELDS, Report

# section.field -> the kind of value the field takes (how a typed value is read).
CORRECTABLE: dict[str, str] = {
    "child.family_name": "text",
    "child.given_name": "text",
    "child.patronymic": "text",
    "child.sex": "choice",
    "child.date_of_birth": "date",
    "child.birth_year": "year",
    "residence.settlement": "text",
    "event.date": "date",
    "event.place": "text",
    "last_known_location.region": "text",
    "last_known_location.settlement": "text",
    "last_known_location.institution": "text",
}
# Fields matching and search read: a correction of one runs matching again.
IDENTITY = frozenset(
    {
        "child.family_name",
        "child.given_name",
        "child.patronymic",
        "child.sex",
        "child.date_of_birth",
        "child.birth_year",
        "residence.settlement",
    }
)
assert not {f"{s}.{n}" for s, n in SEALED_FIELDS} & set(CORRECTABLE)


class NotCorrectable(ValueError):
    """The field cannot be corrected (unknown, sealed, or one that decided the routing),
    or the value cannot be read as that field's kind."""


def value_of(report: Report, field: str) -> Any:
    section, name = field.split(".", 1)
    part = getattr(report, section)
    return None if part is None else getattr(part, name)


def shown_value(value: Any) -> str | None:
    """A value as the timeline keeps it (dates as ISO; `in_words` says it to people)."""
    return None if value is None else str(value)


def corrected(report: Report, field: str, typed: str | None) -> Report:
    """The report with one field set to what was typed ("" clears an optional one);
    pydantic's ValidationError when the result is not a valid report."""
    kind = CORRECTABLE.get(field)
    if kind is None:
        raise NotCorrectable(field)
    text = (typed or "").strip()
    value: Any = text or None
    if kind == "year" and value is not None:
        if not is_number(text):
            raise NotCorrectable(field)
        value = int(text)
    if kind == "date" and value is not None:
        # As people type it ("14.03.2012"), read as the form reads it.
        try:
            value = read_date(text).isoformat()
        except NotADate:
            raise NotCorrectable(field) from None
    section, name = field.split(".", 1)
    body = json.loads(report.model_dump_json())
    if body.get(section) is None:
        if value is None:
            return report
        raise NotCorrectable(field)
    body[section][name] = value
    return Report.model_validate(body)


def in_words(field: str, value: Any, language: str) -> str:
    """A field's value as a person reads it: a date or a sex in words, a text as it is."""
    from chalicelib.domain import labels
    from chalicelib.domain.words import date_in_words

    if value is None or value == "":
        return ""
    kind = CORRECTABLE.get(field)
    if kind == "date":
        return date_in_words(str(value), language)
    if kind == "choice":
        return labels.word(labels.SEX, value, language)
    return str(value)
