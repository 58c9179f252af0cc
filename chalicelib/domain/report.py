"""The report as CONTRACT.md defines it: what a family, witness, NGO or official submits.

These models are the contract. The JSON API and the web form both validate through them,
and the OpenAPI document is generated from them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from chalicelib.domain.numbers import digits_of
from chalicelib.domain.places import COUNTRIES, OBLASTS

if TYPE_CHECKING:
    from chalicelib.domain.matching import ChildIdentity

Sex = Literal["female", "male", "unknown"]
Category = Literal[
    "deported",
    "forcibly_transferred",
    "missing",
    "held_in_facility",
    "adopted_or_placed",
    "other",
]
Relationship = Literal[
    "parent", "guardian", "relative", "witness", "ngo", "official", "self", "other"
]
Language = Literal["uk", "en", "ru"]

# The earliest dates a report can sensibly carry: Russia's aggression began in February
# 2014, and a child deported then could have been born no earlier than the mid-1990s.
EARLIEST_EVENT = dt.date(2014, 1, 1)
EARLIEST_BIRTH = dt.date(1990, 1, 1)


# Reading a report back from storage: it was checked when it was accepted, and a rule
# tightened since (or fields sealed or erased since) must not make it unreadable.
STORED = {"stored": True}


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


def _unless_stored(check):
    """An intake check that is skipped when a stored report is read back."""

    def checked(value, info: ValidationInfo):
        return value if _stored(info) else check(value)

    checked.__name__ = check.__name__
    return checked


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _not_in_future(value: dt.date | None) -> dt.date | None:
    # A day of slack: the reporter may be a time zone ahead of UTC.
    if value is not None and value > today() + dt.timedelta(days=1):
        raise ValueError("date is in the future")
    return value


# Checks of one field are field validators, not a model's: pydantic runs a model's own
# checks only once all its fields are valid, so a form would learn of them in rounds.
def _born_since_1990(value: dt.date | None) -> dt.date | None:
    if value is not None and value < EARLIEST_BIRTH:
        raise ValueError(f"date of birth before {EARLIEST_BIRTH.isoformat()}")
    return value


def _year_not_in_future(value: int | None) -> int | None:
    if value is not None and value > today().year:
        raise ValueError("year of birth is in the future")
    return value


def _event_since_2014(value: dt.date | None) -> dt.date | None:
    if value is not None and value < EARLIEST_EVENT:
        raise ValueError(f"event date before {EARLIEST_EVENT.isoformat()}")
    return value


def _oblast(value: str) -> str:
    code = value.strip().upper()
    if code not in OBLASTS:
        raise ValueError("not an ISO 3166-2:UA oblast code such as UA-65")
    return code


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code such as RU")
    return code


def phone_in_e164(text: str, region: str = "UA") -> str | None:
    """A phone number as people write it ("050 123 45 67", "0501234567", "380501234567",
    "+380 50 123 45 67", "00380..."), in E.164; None if it is no valid number.

    National numbers are read as numbers of `region` (Ukraine unless the reporter named
    another country). A number of 12 digits starting with 380 is Ukrainian written without
    its "+", as people copy it from messengers; other bare international numbers are not
    guessed at. The form reads numbers so; the JSON contract takes E.164 only.
    """
    import phonenumbers

    digits = digits_of(text)
    if text.strip().startswith("00"):
        text = "+" + digits[2:]
    elif not text.strip().startswith("+") and len(digits) == 12 and digits.startswith("380"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(value: str) -> str:
    import phonenumbers  # imported on use: cold starts of handlers that never see a phone

    if not value.startswith("+"):
        raise ValueError("phone number must be in international E.164 form, e.g. +380501234567")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number in E.164 form, e.g. +380501234567") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str:
    import email_validator

    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address: {exc}") from exc


# C0 and C1 controls (category Cc) less the line break and tab a long text may hold. They
# are invisible or act on a terminal, a log or a mail client; nobody types them on purpose.
_CONTROLS_IN_LONG_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A name or a short text is one line: every control character, and the Unicode line and
# paragraph separators, which start a new line as well as "\n" does.
_CONTROLS_IN_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# The messages below never quote the value: it may be personal data.
def _long_text(value: str) -> str:
    if _CONTROLS_IN_LONG_TEXT.search(value):
        raise ValueError("contains a control character other than a line break or a tab")
    return value


def _one_line(value: str) -> str:
    if _CONTROLS_IN_ONE_LINE.search(value):
        raise ValueError("contains a control character or a line break")
    return value


def _name(value: str) -> str:
    _one_line(value)
    # Zero-width spaces and joiners, direction marks, soft hyphens: a name made of them,
    # or padded with them, looks like another name (or none) and defeats matching.
    if any(unicodedata.category(c) == "Cf" for c in value):
        raise ValueError("contains an invisible formatting character")
    if not any(c.isalpha() for c in value):
        raise ValueError("a name must contain at least one letter")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_unless_stored(_name)),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_unless_stored(_one_line)),
]
# Free text on several lines: what the alerts show as quoted material (domain/messages.py).
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5000),
    AfterValidator(_unless_stored(_long_text)),
]
PastDate = Annotated[dt.date, AfterValidator(_unless_stored(_not_in_future))]
BirthDate = Annotated[PastDate, AfterValidator(_unless_stored(_born_since_1990))]
EventDate = Annotated[PastDate, AfterValidator(_unless_stored(_event_since_2014))]
Oblast = Annotated[str, AfterValidator(_unless_stored(_oblast))]
Country = Annotated[str, AfterValidator(_unless_stored(_country))]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_unless_stored(_phone))
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254),
    AfterValidator(_unless_stored(_email)),
]


class ContractModel(BaseModel):
    # Unknown fields are rejected: a typo in a partner's integration must not silently
    # drop what they meant to tell us.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Child(ContractModel):
    family_name: Name
    given_name: Name
    patronymic: Name | None = None
    other_names: list[Name] = Field(default_factory=list, max_length=10)
    sex: Sex
    date_of_birth: BirthDate | None = None
    # A JSON integer, as the contract types it: the string "2012" is refused, not read.
    birth_year: Annotated[StrictInt, AfterValidator(_unless_stored(_year_not_in_future))] | None = (
        Field(default=None, ge=EARLIEST_BIRTH.year, le=2100)
    )
    distinguishing_marks: LongText | None = None
    medical_needs: LongText | None = None

    @model_validator(mode="after")
    def _birth_known(self, info: ValidationInfo) -> Child:
        if _stored(info):
            return self
        problem = _birth_problem(self.model_dump(include={"date_of_birth", "birth_year"}))
        if problem:
            raise ValueError(problem)
        return self


class Residence(ContractModel):
    oblast: Oblast
    settlement: ShortText | None = None


class Event(ContractModel):
    category: Category
    date: EventDate | None = None
    place: ShortText | None = None
    circumstances: LongText | None = None


class LastKnownLocation(ContractModel):
    # Any part may be unknown: a camp's region told by a neighbour, with no country, is
    # still worth having.
    country: Country | None = None
    region: ShortText | None = None
    settlement: ShortText | None = None
    institution: ShortText | None = None


class Reporter(ContractModel):
    # A witness may stay anonymous: a name is welcome, never required.
    name: ShortText | None = None
    relationship: Relationship
    email: Email | None = None
    phone: Phone | None = None
    preferred_language: Language = "uk"
    may_contact: StrictBool

    @model_validator(mode="after")
    def _reachable(self, info: ValidationInfo) -> Reporter:
        # Stored, its contact details may be sealed apart, or erased.
        if _stored(info):
            return self
        problem = _contact_problem(self.model_dump(include={"may_contact", "email", "phone"}))
        if problem:
            raise ValueError(problem)
        return self


class Consent(ContractModel):
    # JSON booleans only: "false" or "no" must not pass for consent (or refusal) by
    # pydantic's coercion of strings.
    tracing: StrictBool
    share_with_coalition: StrictBool
    share_with_authorities: StrictBool
    # "May be used as evidence by prosecutors" (national and international): a consent
    # of its own, false unless given (domain/evidence.py).
    evidence: StrictBool = False


class Report(ContractModel):
    """A report of a child, as submitted (POST /api/v1/reports)."""

    child: Child
    residence: Residence
    event: Event
    last_known_location: LastKnownLocation | None = None
    reporter: Reporter
    consent: Consent
    urgent: StrictBool = False


# -- the checks that join two fields ------------------------------------------------------


def _birth_problem(child: dict) -> str | None:
    born, year = child.get("date_of_birth"), child.get("birth_year")
    if born is None and year is None:
        return "give the date of birth or at least the year of birth"
    if isinstance(born, dt.date) and isinstance(year, int) and born.year != year:
        return "birth year and date of birth disagree"
    return None


def _contact_problem(reporter: dict) -> str | None:
    if reporter.get("may_contact") is True and not (reporter.get("email") or reporter.get("phone")):
        return "give an e-mail address or a phone number, or say not to contact"
    return None


def problems_across_fields(body: dict) -> dict[tuple[str, ...], str]:
    """The model checks that join two fields, run on a report's JSON however invalid the
    rest of it is, with the locations and messages the models give them.

    Pydantic runs a model's own check only once every field of it is valid: alone, a
    form would report a missing sex first and the missing birth date after the next
    submit. The form adds these to the field errors, so that all come at once.
    """
    found: dict[tuple[str, ...], str] = {}
    child = body.get("child") if isinstance(body.get("child"), dict) else {}
    problem = _birth_problem(
        {
            "date_of_birth": _as_date(child.get("date_of_birth")),
            "birth_year": child.get("birth_year"),
        }
    )
    if problem:
        found[("child",)] = problem
    reporter = body.get("reporter") if isinstance(body.get("reporter"), dict) else {}
    problem = _contact_problem(reporter)
    if problem:
        found[("reporter",)] = problem
    return found


def _as_date(value: object) -> object:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # given, if not valid: its own field says so
    return value


class Receipt(ContractModel):
    """What the reporter gets back: the reference to quote and a token for the status page."""

    reference: str = Field(examples=["HW-7K3M-Q9TX"])
    status_token: str
    received_at: str = Field(examples=["2026-11-28T09:15:02Z"])


def identity_of(report: Report) -> ChildIdentity:
    """What matching compares: the child's names, birth, sex and home, nothing else."""
    from chalicelib.domain.matching import ChildIdentity

    child = report.child
    return ChildIdentity(
        family_name=child.family_name,
        given_name=child.given_name,
        patronymic=child.patronymic,
        other_names=tuple(child.other_names),
        sex=child.sex,
        date_of_birth=child.date_of_birth,
        birth_year=child.birth_year,
        oblast=report.residence.oblast,
        settlement=report.residence.settlement,
    )


# What is sealed apart when a report is stored (adapters/sealing.py), in groups that are
# sealed separately under the case's one data key, so that one group can be erased (its
# attribute removed: nothing left to decrypt) while the other stays: the reporter's
# contact details go when the reporter withdraws or asks to be forgotten, the child's most
# sensitive details stay for the child's case until it is anonymised. The rest (names,
# dates, places) is what staff lists, matching and routing read, and stays in the clear.
REPORTER_GROUP = "reporter"
CHILD_GROUP = "child"
SEALED_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    REPORTER_GROUP: (("reporter", "name"), ("reporter", "email"), ("reporter", "phone")),
    CHILD_GROUP: (
        ("child", "medical_needs"),
        ("child", "distinguishing_marks"),
        ("event", "circumstances"),
    ),
}
SEALED_FIELDS: tuple[tuple[str, str], ...] = tuple(
    field for fields in SEALED_GROUPS.values() for field in fields
)


def split_sealed(report: dict) -> tuple[dict, dict[str, dict]]:
    """A report's JSON without its sealed fields, and those fields apart, by group (a group
    with nothing in it is left out)."""
    open_part = {
        section: dict(values) if isinstance(values, dict) else values
        for section, values in report.items()
    }
    groups: dict[str, dict] = {}
    for group, fields in SEALED_GROUPS.items():
        for section, name in fields:
            value = open_part.get(section, {}).pop(name, None)
            if value is not None:
                groups.setdefault(group, {}).setdefault(section, {})[name] = value
    return open_part, groups


def join_sealed(open_part: dict, *sealed: dict) -> dict:
    """The open part with sealed fields put back (each argument: {section: {name: value}})."""
    joined = {
        section: dict(values) if isinstance(values, dict) else values
        for section, values in open_part.items()
    }
    for fields in sealed:
        for section, values in fields.items():
            joined.setdefault(section, {}).update(values)
    return joined
