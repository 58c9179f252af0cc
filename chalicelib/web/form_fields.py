"""How the report form's fields (the report's questions: domain/questions.py) become a report.

Field names are the report's own paths (`child.family_name`): a form post turns into the
JSON API's nested dict, validated by the same pydantic models, and a pydantic error leads
back to its field. Read on the way: a date from its parts (form_dates.py), a phone, E.164.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain import form_dates
from chalicelib.domain.questions import FIELDS, FORM_ONLY, PHONE_COUNTRIES, Field

FIELDS_BY_ID = {f.id: f for f in FIELDS.values()}
FIELD_IDS = set(FIELDS_BY_ID)
# The fields in the order the page shows them: the error summary lists errors so.
FIELD_ORDER = [f.id for f in FIELDS.values()]

# Where an error about a whole part of the report is shown: the field it is about.
PART_FIELDS = {
    "child": "child-date_of_birth",
    "residence": "residence-oblast",
    "event": "event-date",
    "last_known_location": "last_known_location-country",
    "reporter": "reporter-email",
    "consent": "consent-tracing",
}
# Report fields that the form asks inside another field: the year of birth is the date of
# birth given as its year alone.
INSIDE = {"child-birth_year": "child-date_of_birth"}


def field_id(loc: tuple[Any, ...]) -> str | None:
    """The id of the form field a pydantic error location points at, if any."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    candidate = "-".join(parts)
    candidate = INSIDE.get(candidate, candidate)
    if candidate in FIELD_IDS:
        return candidate
    if len(parts) == 1 and parts[0] in PART_FIELDS:
        return PART_FIELDS[parts[0]]
    return None


def first_control(field: str) -> str:
    """The id an error summary links to: the first box of a date, the question else."""
    spec = next((f for f in FIELDS.values() if f.id == field), None)
    return f"{field}-day" if spec is not None and spec.kind == "date" else field


def _set(target: dict[str, Any], name: str, value: Any) -> None:
    *parents, last = name.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


@dataclass
class Reading:
    """A form post read: the report's JSON, and what the form itself found wrong (messages
    to translate, by field id) before the models are asked."""

    body: dict[str, Any]
    errors: dict[str, str]


def _phone(values: dict[str, list[str]], typed: str) -> str:
    from chalicelib.domain.report import phone_in_e164

    region = (values.get("reporter.phone_country") or ["UA"])[0]
    # What does not read as a number goes on as typed: the contract's check names it.
    return phone_in_e164(typed, region if region in PHONE_COUNTRIES else "UA") or typed.strip()


def _date(values: dict[str, list[str]], spec: Field, errors: dict[str, str]) -> Any:
    parts = {p: (values.get(f"{spec.name}.{p}") or [""])[0] for p in form_dates.PARTS}
    whole = form_dates.split_whole_date(parts["day"])
    if whole and not (parts["month"].strip() or parts["year"].strip()):
        # A whole date typed into the day's box comes back in its three boxes.
        for part, value in zip(form_dates.PARTS, whole, strict=True):
            values[f"{spec.name}.{part}"] = [str(int(value)) if part != "year" else value]
    assembled = form_dates.assemble(*parts.values(), year_only=spec.year_only)
    if assembled.error:
        errors[spec.id] = assembled.error
    return assembled.value


def read_form(values: dict[str, list[str]]) -> Reading:
    """The JSON API's report built from the posted form fields (empty fields left out).

    Yes/no answers become JSON booleans, a date its ISO form (or, for a birth, a year alone
    the integer birth_year), and a phone number E.164 when it reads as one; everything
    else stays the string that was typed."""
    body: dict[str, Any] = {
        "child": {},
        "residence": {},
        "event": {},
        "reporter": {},
        "consent": {},
    }
    errors: dict[str, str] = {}
    for name, spec in FIELDS.items():
        raw = values.get(name, [])
        first = raw[0] if raw else ""
        if name in FORM_ONLY:
            continue
        if spec.kind == "yesno":
            if first in ("yes", "no"):
                _set(body, name, first == "yes")
        elif spec.kind == "date":
            value = _date(values, spec, errors)
            if isinstance(value, int):
                _set(body, "child.birth_year", value)
            elif value is not None:
                _set(body, name, value.isoformat())
            elif spec.id in errors and spec.year_only:
                # Given, if wrongly: "give the date or the year" would be a second error.
                _set(body, name, "")
        elif spec.kind == "names":
            names = [n.strip() for n in first.split(",") if n.strip()]
            if names:
                _set(body, name, names)
        elif first.strip():
            _set(body, name, _phone(values, first) if spec.kind == "tel" else first)
    # The part and each of its fields are optional: it exists once anything is filled in.
    location = body.pop("last_known_location", None)
    if location:
        body["last_known_location"] = location
    return Reading(body, errors)
