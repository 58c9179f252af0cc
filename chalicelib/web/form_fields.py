"""The report form's fields, in the order a reporter meets them, and how they become a report.

Field names are the report's own paths (`child.family_name`), so a form post turns into
the JSON API's nested dict and is validated by the same pydantic models, and a pydantic
error location leads straight back to the field that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.web.i18n import N_


@dataclass(frozen=True)
class Field:
    name: str
    # text | textarea | email | tel | date | year | names | radio | select | yesno | checkbox
    kind: str
    label: str
    help: str | None = None
    required: bool = False
    max_length: int | None = None
    # (value, label) pairs for radio and select; selects of places fill theirs at render.
    options: tuple[tuple[str, str], ...] = ()
    autocomplete: str = "off"

    @property
    def id(self) -> str:
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    intro: str | None
    fields: tuple[Field, ...] = field(default_factory=tuple)


SEX = (("female", N_("Female")), ("male", N_("Male")), ("unknown", N_("Not known")))
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

STEPS: tuple[Step, ...] = (
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
                N_("The name after the father. Leave it empty if you do not know it."),
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
                N_("If you know only the year, leave this empty and write the year below."),
            ),
            Field("child.birth_year", "year", N_("Year of birth"), N_("For example 2012.")),
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
                "event.date", "date", N_("When did it happen?"), N_("An approximate date is fine.")
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
                N_("What happened?"),
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
            "You may stay anonymous. We use your contacts only to ask about this child, "
            "and never share them with anyone outside the coalition."
        ),
        (
            Field(
                "reporter.name",
                "text",
                N_("Your name"),
                N_("Optional."),
                max_length=200,
                autocomplete="name",
            ),
            Field(
                "reporter.relationship",
                "radio",
                N_("Who are you to the child?"),
                required=True,
                options=RELATIONSHIPS,
            ),
            Field(
                "reporter.may_contact",
                "yesno",
                N_("May we contact you?"),
                N_("Choose No if a call or a message could put you in danger."),
                required=True,
            ),
            Field(
                "reporter.email",
                "email",
                N_("E-mail"),
                max_length=254,
                autocomplete="email",
            ),
            Field(
                "reporter.phone",
                "tel",
                N_("Phone number"),
                N_("With the country code, for example +380501234567."),
                max_length=32,
                autocomplete="tel",
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
        N_("Tick what you agree to. You can send the report without ticking anything."),
        (
            Field(
                "consent.tracing",
                "checkbox",
                N_("The coalition may search for the child using this report."),
            ),
            Field(
                "consent.share_with_coalition",
                "checkbox",
                N_(
                    "The coalition may share this report with its member organisations "
                    "that work to return children."
                ),
            ),
            Field(
                "consent.share_with_authorities",
                "checkbox",
                N_(
                    "The coalition may share this report with Ukrainian authorities, such as "
                    "the National Police and the Ombudsman, so that they can act."
                ),
            ),
            Field(
                "urgent",
                "checkbox",
                N_("Urgent: the child is in danger now or needs medical help."),
            ),
        ),
    ),
)

FIELDS: dict[str, Field] = {f.name: f for step in STEPS for f in step.fields}
FIELD_IDS = {f.id for f in FIELDS.values()}

# Where an error about a whole part of the report is shown: the field it is about.
PART_FIELDS = {
    "child": "child-date_of_birth",
    "residence": "residence-oblast",
    "event": "event-date",
    "last_known_location": "last_known_location-country",
    "reporter": "reporter-email",
    "consent": "consent-tracing",
}
# Phone numbers are often typed in groups; the spaces and dashes are not part of them.
PHONE_SEPARATORS = str.maketrans("", "", " -().\u00a0")


def field_id(loc: tuple[Any, ...]) -> str | None:
    """The id of the form field a pydantic error location points at, if any."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    candidate = "-".join(parts)
    if candidate in FIELD_IDS:
        return candidate
    if len(parts) == 1 and parts[0] in PART_FIELDS:
        return PART_FIELDS[parts[0]]
    return None


def _set(target: dict[str, Any], name: str, value: Any) -> None:
    *parents, last = name.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also holds for "²", which int() refuses (a 500 that lost every answer),
    # and for other scripts' digits. Anything but ASCII digits goes on as the string, and
    # validation names it next to its field with the answers kept.
    return text.isascii() and text.isdigit()


def report_body(values: dict[str, list[str]]) -> dict[str, Any]:
    """The JSON API's report built from the posted form fields (empty fields left out).

    Yes/no answers become JSON booleans and a year of ASCII digits an integer, as the
    contract's strict fields expect; everything else stays the string that was typed."""
    body: dict[str, Any] = {
        "child": {},
        "residence": {},
        "event": {},
        "reporter": {},
        "consent": {},
    }
    for name, spec in FIELDS.items():
        raw = values.get(name, [])
        first = raw[0] if raw else ""
        if spec.kind == "checkbox":
            _set(body, name, bool(raw))
        elif spec.kind == "yesno":
            if first in ("yes", "no"):
                _set(body, name, first == "yes")
        elif spec.kind == "names":
            names = [n.strip() for n in first.split(",") if n.strip()]
            if names:
                _set(body, name, names)
        elif first.strip():
            value: Any = first
            if spec.kind == "tel":
                value = first.translate(PHONE_SEPARATORS)
            elif spec.kind == "year" and _ascii_digits(first.strip()):
                value = int(first.strip())
            _set(body, name, value)
    # The whole part is optional: it exists once anything in it is filled in (and then
    # needs its country).
    location = body.pop("last_known_location", None)
    if location:
        body["last_known_location"] = location
    return body
