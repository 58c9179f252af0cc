"""Coalition contacts: the people an alert can reach, and how a list of them is read.

Which alerts reach a contact is not said here but in the routing rules (routing.py):
a contact is a person with addresses and languages, a rule decides who hears of what.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationError, model_validator

from chalicelib.domain.alerts import Channel
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.referrals import ServiceType
from chalicelib.domain.report import ContractModel, Email, Language, Oblast, Phone
from chalicelib.domain.staff import AGENCY_PATTERN

__all__ = ["Channel", "Contact", "ContactId", "read_contact_list", "write_contact_list"]
ContactId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class Contact(ContractModel):
    contact_id: ContactId
    organisation: str = Field(min_length=1, max_length=200)
    # The agency whose caseworkers work the cases routed to this contact, e.g. UA-NIB.
    agency: str = Field(pattern=AGENCY_PATTERN)
    # What the organisation is, for the disclosure policy (domain/disclosure.py). No
    # default: a contact of unknown kind must not be sent what a reporter kept back.
    kind: OrganisationKind
    # The national intake desk works every report of its country, whatever the consent.
    intake_desk: bool = False
    member_state: str = Field(pattern=r"^[A-Z]{2}$")
    name: str = Field(min_length=1, max_length=200)
    email: Email | None = None
    phone: Phone | None = None
    languages: list[Language] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    # Coordinators hear of what no rule routes, and of every alert nobody acknowledged
    # up the whole ladder: the catch-all that keeps a report from going unseen.
    coordinator: bool = False
    # Auditors hear of every break-glass access to a case (by e-mail).
    auditor: bool = False
    active: bool = True
    # A service provider's services (domain/referrals.py) and the oblasts it covers, for
    # choosing whom to refer a child to. An empty list matches anything, as a routing
    # rule's does; only a service provider has them.
    services: list[ServiceType] = Field(default_factory=list)
    oblasts: list[Oblast] = Field(default_factory=list)

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        self.channels = list(dict.fromkeys(self.channels))
        self.services = list(dict.fromkeys(self.services))
        self.oblasts = list(dict.fromkeys(self.oblasts))
        if (self.services or self.oblasts) and self.kind != OrganisationKind.SERVICE_PROVIDER:
            raise ValueError("only a service provider offers services and covers oblasts")
        if Channel.EMAIL in self.channels and not self.email:
            raise ValueError("the e-mail channel needs an e-mail address")
        if Channel.SMS in self.channels and not self.phone:
            raise ValueError("the SMS channel needs a phone number")
        return self

    @property
    def recipient(self) -> Recipient:
        return Recipient(kind=self.kind, intake_desk=self.intake_desk)

    def serves(self, service: str, oblast: str) -> bool:
        """Whether this provider's contact offers `service` where a child of `oblast` is."""
        return (
            self.kind == OrganisationKind.SERVICE_PROVIDER
            and self.active
            and (not self.services or service in self.services)
            and (not self.oblasts or oblast in self.oblasts)
        )

    def address(self, channel: str) -> str | None:
        return self.email if channel == Channel.EMAIL else self.phone

    @property
    def language(self) -> str:
        # Alerts are written in uk or en; a Russian-only reader gets English.
        for language in self.languages:
            if language in ("uk", "en"):
                return language
        return "en"


# -- a contact list as CSV, as partners keep them in spreadsheets ---------------------

CSV_COLUMNS = (
    "contact_id",
    "organisation",
    "agency",
    "kind",
    "intake_desk",
    "member_state",
    "name",
    "email",
    "phone",
    "languages",
    "channels",
    "coordinator",
    "auditor",
    "active",
    "services",
    "oblasts",
)
_REQUIRED_COLUMNS = {"contact_id", "organisation", "agency", "kind", "member_state", "name"}
_LIST_COLUMNS = {"languages", "channels", "services", "oblasts"}
_YES = {"yes", "y", "true", "1", "так", "да"}
_NO = {"no", "n", "false", "0", "ні", "нет"}


class ContactListError(ValueError):
    """The file as a whole cannot be read (wrong columns, not CSV): no row is looked at."""


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: its line in the file, so a person can find and fix it."""

    line: int
    contact_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.contact_id})" if self.contact_id else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


def _flag(value: str) -> bool | None:
    value = value.strip().lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError("say yes or no")


# What a value that does not fit its column should look like, in words: pydantic's own
# message would show the person at the spreadsheet a regular expression.
_PATTERN_WORDS = {
    "contact_id": "use 2 to 63 lower-case letters, digits and dashes, starting with a letter "
    "or digit, e.g. south-ua-ombudsman",
    "agency": "use the country's two capital letters, a dash, then capitals, digits or dashes, "
    "e.g. UA-NIB",
    "member_state": "use the two capital letters of the country, e.g. UA",
}


def _message(column: str | None, error: dict) -> str:
    if error["type"] == "string_pattern_mismatch" and column in _PATTERN_WORDS:
        return _PATTERN_WORDS[column]
    if error["type"] == "string_pattern_mismatch":
        return "not in the form this column takes"
    return error["msg"].removeprefix("Value error, ")


def _row_errors(line: int, contact_id: str | None, exc: ValidationError) -> list[RowError]:
    errors = []
    for error in exc.errors(include_url=False):
        column = ".".join(str(p) for p in error["loc"] if not isinstance(p, int)) or None
        errors.append(RowError(line, contact_id, column, _message(column, error)))
    return errors


def read_contact_list(text: str) -> tuple[list[Contact], list[RowError]]:
    """Every valid contact of a CSV file and an error for every row that is not.

    Lists (languages, channels) are separated by spaces, ';' or '|'; yes/no columns may
    be left empty for their default. A contact_id given twice is an error on the later
    row, rather than one row silently replacing another.
    """
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), restkey="_extra")
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise ContactListError("the file is empty")
    reader.fieldnames = header
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = sorted(_REQUIRED_COLUMNS - set(header))
    if unknown or missing:
        parts = [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        parts += [f"missing column(s): {', '.join(missing)}"] if missing else []
        raise ContactListError(f"{'; '.join(parts)}. The columns are: {', '.join(CSV_COLUMNS)}")
    contacts: list[Contact] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if row.get("_extra"):
            errors.append(RowError(line, None, None, "more values than columns"))
            continue
        values: dict[str, object] = {}
        problems: list[RowError] = []
        contact_id = (row.get("contact_id") or "").strip() or None
        for column, raw in row.items():
            raw = (raw or "").strip()
            if column in _LIST_COLUMNS:
                values[column] = raw.replace(";", " ").replace("|", " ").replace(",", " ").split()
            elif column in ("coordinator", "auditor", "active", "intake_desk"):
                try:
                    flag = _flag(raw)
                except ValueError as exc:
                    problems.append(RowError(line, contact_id, column, str(exc)))
                    continue
                if flag is not None:
                    values[column] = flag
            elif raw:
                values[column] = raw
        if not any(values.values()):
            continue  # a blank line
        try:
            contact = Contact.model_validate(values)
        except ValidationError as exc:
            problems += _row_errors(line, contact_id, exc)
        if problems:
            errors += problems
            continue
        if contact.contact_id in seen:
            errors.append(
                RowError(
                    line,
                    contact.contact_id,
                    "contact_id",
                    f"already given on line {seen[contact.contact_id]}",
                )
            )
            continue
        seen[contact.contact_id] = line
        contacts.append(contact)
    return contacts, errors


def write_contact_list(contacts: list[Contact]) -> str:
    """The same CSV that read_contact_list reads: export, edit, import again."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for contact in contacts:
        values = contact.model_dump(mode="json")
        row = {k: values[k] for k in CSV_COLUMNS}
        row.update(
            languages=" ".join(contact.languages),
            channels=" ".join(contact.channels),
            services=" ".join(contact.services),
            oblasts=" ".join(contact.oblasts),
            coordinator="yes" if contact.coordinator else "no",
            intake_desk="yes" if contact.intake_desk else "no",
            auditor="yes" if contact.auditor else "no",
            active="yes" if contact.active else "no",
        )
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
