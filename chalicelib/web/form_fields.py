"""The report form's fields, in the order a reporter meets them, and how they become a report.

Field names are the report's own paths (`child.family_name`): a form post turns into the
JSON API's nested dict, validated by the same pydantic models, and a pydantic error leads
back to its field. Read on the way: a date from its parts (form_dates.py), a phone, E.164.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.web import form_dates
from chalicelib.web.form_words import EVIDENCE_HELP, EVIDENCE_LABEL
from chalicelib.web.i18n import N_


@dataclass(frozen=True)
class Field:
    name: str
    # text | textarea | email | tel | date (day, month, year) | names | radio | select |
    # yesno | oblast | country | phone_country (the form's own, not the report's)
    kind: str
    label: str
    help: str | None = None
    required: bool = False
    max_length: int | None = None
    # (value, label) pairs for radio and select; selects of places fill theirs at render.
    options: tuple[tuple[str, str], ...] = ()
    # A date whose year alone is an answer (a birth: the contract's birth_year).
    year_only: bool = False

    @property
    def id(self) -> str:
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class Step:
    key: str
    # None: a step of one question, whose label is the heading.
    title: str | None
    intro: str | None
    fields: tuple[Field, ...] = field(default_factory=tuple)


SEX = (("female", N_("Girl")), ("male", N_("Boy")), ("unknown", N_("Not known")))
CATEGORIES = (
    ("deported", N_("Taken to Russia or Belarus (deported)")),
    ("forcibly_transferred", N_("Moved by force to another place in occupied territory")),
    ("held_in_facility", N_("Held in a camp, boarding school or other institution")),
    ("adopted_or_placed", N_("Adopted by or placed with a family in Russia")),
    ("missing", N_("Missing: nobody knows where the child is")),
    ("other", N_("Something else")),
)
RELATIONSHIPS = (
    ("parent", N_("Parent")),
    ("guardian", N_("Guardian")),
    ("relative", N_("Other relative")),
    ("witness", N_("Witness, neighbour or friend")),
    ("ngo", N_("Organisation that helps families")),
    ("official", N_("Official")),
    ("self", N_("I am the child")),
    ("other", N_("Other")),
)
LANGUAGE_CHOICES = (("uk", "Українська"), ("en", "English"), ("ru", "Русский"))
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
URGENCY = (("yes", N_("Yes, it is urgent")), ("no", N_("No")))
# Where a reporter's phone may be, besides Ukraine: the countries where most Ukrainians
# who fled live, the neighbours, and Russia and Belarus (families of deported children
# and people in occupied territory have numbers there). Any other country: write the
# number with "+" and its code, which needs no choice here.
PHONE_COUNTRIES = frozenset(
    """
    AT BE BG BY CA CH CZ DE DK EE ES FI FR GB GE HU IE IL IT KZ LT LV MD NL NO PL PT RO RU
    SE SK TR UA US
    """.split()  # noqa: SIM905 - a table is easier to read than 34 quoted strings
)

STEPS: tuple[Step, ...] = (
    Step(
        "urgency",
        None,
        None,
        (
            Field(
                "urgent",
                "yesno",
                N_("Is the child in danger now?"),
                N_(
                    "Urgent means the child's life or health is at risk now: violence, threats, "
                    "an illness or an injury and no help. The caseworkers on duty are alerted "
                    "at once."
                ),
                options=URGENCY,
            ),
        ),
    ),
    Step(
        "child",
        N_("1. The child"),
        N_("Write the names as they are in the child's documents, if you know them."),
        (
            Field("child.family_name", "text", N_("Family name"), required=True, max_length=100),
            Field("child.given_name", "text", N_("Given name"), required=True, max_length=100),
            Field(
                "child.patronymic",
                "text",
                N_("Patronymic"),
                N_("For example Olehovych. Leave it empty if you do not know it."),
                max_length=100,
            ),
            Field(
                "child.other_names",
                "names",
                N_("Other names"),
                N_(
                    "Nicknames, other spellings, or a new name the child may have been given. "
                    "Separate them with commas."
                ),
                max_length=1100,
            ),
            Field("child.sex", "radio", N_("Sex"), required=True, options=SEX),
            Field(
                "child.date_of_birth",
                "date",
                N_("Date of birth"),
                N_("For example 14 March 2012. If you know only the year, give the year alone."),
                required=True,
                year_only=True,
            ),
            Field(
                "child.distinguishing_marks",
                "textarea",
                N_("How to recognise the child"),
                N_("Scars, birthmarks, glasses, how the child speaks: anything others notice."),
                max_length=5000,
            ),
            Field(
                "child.medical_needs",
                "textarea",
                N_("Health and medical needs"),
                N_("Illnesses, medicines, disabilities. This helps us act faster."),
                max_length=5000,
            ),
        ),
    ),
    Step(
        "event",
        N_("2. Where and when it happened"),
        None,
        (
            Field(
                "residence.oblast",
                "oblast",
                N_("Oblast where the child lived"),
                N_("Where the child lived before it happened."),
                required=True,
            ),
            Field(
                "residence.settlement",
                "text",
                N_("Town or village where the child lived"),
                max_length=200,
            ),
            Field(
                "event.category",
                "radio",
                N_("What happened to the child?"),
                required=True,
                options=CATEGORIES,
            ),
            Field(
                "event.date",
                "date",
                N_("When did it happen?"),
                N_("For example 20 October 2022. An approximate date is fine."),
            ),
            Field(
                "event.place",
                "text",
                N_("Where did it happen?"),
                N_("For example the school, the street or the checkpoint."),
                max_length=200,
            ),
            Field(
                "event.circumstances",
                "textarea",
                N_("Tell us how it happened"),
                N_("In your own words: who took the child, who was with them, what you were told."),
                max_length=5000,
            ),
        ),
    ),
    Step(
        "location",
        N_("3. Where the child may be now"),
        N_("Leave this part empty if you do not know."),
        (
            Field("last_known_location.country", "country", N_("Country")),
            Field(
                "last_known_location.region",
                "text",
                N_("Region"),
                N_("For example Krasnodar Krai, or occupied Donetsk Oblast."),
                max_length=200,
            ),
            Field("last_known_location.settlement", "text", N_("Town or village"), max_length=200),
            Field(
                "last_known_location.institution",
                "text",
                N_("Institution or family"),
                N_("The name of the camp, boarding school, hospital or family, if you know it."),
                max_length=200,
            ),
        ),
    ),
    Step(
        "reporter",
        N_("4. About you"),
        N_(
            "You may stay anonymous. We use your contact details only to ask about this "
            "child, and never share them with anyone outside the coalition."
        ),
        (
            Field(
                "reporter.name",
                "text",
                N_("Your name"),
                N_("Optional."),
                max_length=200,
            ),
            Field(
                "reporter.relationship",
                "radio",
                N_("How are you related to the child?"),
                required=True,
                options=RELATIONSHIPS,
            ),
            Field(
                "reporter.may_contact",
                "yesno",
                N_("May we contact you?"),
                N_("Choose No if a call or a text message could put you in danger."),
                required=True,
                options=YES_NO,
            ),
            Field(
                "reporter.email",
                "email",
                N_("E-mail"),
                max_length=254,
            ),
            Field(
                "reporter.phone",
                "tel",
                N_("Phone number"),
                N_("For example 050 123 45 67, or +48 512 345 678 for a number abroad."),
                max_length=32,
            ),
            Field(
                "reporter.phone_country",
                "phone_country",
                N_("Country of the phone number"),
                N_("Only if the number is not Ukrainian and does not start with +."),
            ),
            Field(
                "reporter.preferred_language",
                "select",
                N_("Language we should use with you"),
                options=LANGUAGE_CHOICES,
            ),
        ),
    ),
    Step(
        "consent",
        N_("5. Your consent"),
        N_("Answer each question. Whatever you answer, your report reaches the coalition."),
        (
            Field(
                "consent.tracing",
                "yesno",
                N_("May the coalition search for the child by comparing this report with others?"),
                N_(
                    "If you answer No, the coalition still receives your report, but does not "
                    "compare it with other reports about the same child."
                ),
                required=True,
                options=YES_NO,
            ),
            Field(
                "consent.share_with_coalition",
                "yesno",
                N_(
                    "May the coalition share this report with its member organisations that "
                    "work to return children?"
                ),
                N_("If you answer No, only the coalition's own caseworkers see the report."),
                required=True,
                options=YES_NO,
            ),
            Field(
                "consent.share_with_authorities",
                "yesno",
                N_(
                    "May the coalition share this report with Ukrainian authorities, such as "
                    "the National Police and the Ombudsman, so that they can act?"
                ),
                N_(
                    "If you answer No, the report is not passed on to the authorities; the "
                    "coalition still works on it."
                ),
                required=True,
                options=YES_NO,
            ),
            Field("consent.evidence", "yesno", EVIDENCE_LABEL, EVIDENCE_HELP, options=YES_NO),
        ),
    ),
)

# What a required field left empty asks for, in its own words (the server and form.js say
# the same); a question not listed asks to choose one of its options.
MISSING = {
    "child.family_name": N_("Enter the child's family name."),
    "child.given_name": N_("Enter the child's given name."),
    "child.sex": N_("Choose the child's sex."),
    "residence.oblast": N_("Choose the oblast where the child lived."),
    "event.category": N_("Choose what happened to the child."),
    "reporter.relationship": N_("Choose how you are related to the child."),
    "reporter.may_contact": N_("Choose whether we may contact you."),
}
FIELDS: dict[str, Field] = {f.name: f for step in STEPS for f in step.fields}
FIELDS_BY_ID = {f.id: f for f in FIELDS.values()}
FIELD_IDS = set(FIELDS_BY_ID)
# The fields in the order the page shows them: the error summary lists errors so.
FIELD_ORDER = [f.id for f in FIELDS.values()]
# Fields of the form that are no part of the report: read on the way, never sent on.
FORM_ONLY = {"reporter.phone_country"}

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
