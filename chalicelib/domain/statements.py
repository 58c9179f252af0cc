"""Witness statements: an adult's account, in their own words, sealed as it was given.

A statement is taken by a staff member or a hotline operator from an adult who knows
something of what happened to a child: who they are to the child (a parent, a
neighbour, a teacher...), when and in which language they gave it, and their account,
with what they saw themselves kept apart from what they heard from others (a court
weighs the two differently). The taker confirms the witness is 18 or over: Homeward
never asks a child to testify (the Eurojust/ICC guidelines: do not re-interview
children), and refuses a statement from a child with words that say so.

Sealed: the record's canonical JSON (domain/evidence.py `canonical`) and its SHA-256,
which covers every field, the witness's name and consent too. A statement is never edited: a
correction is a new statement that names the one it adds to. It is an evidence item
with a chain of custody of its own ("received", "hashed", then "viewed" each time its
words are read, "exported" and "handed over" with a package). The witness's own consent
to its use by prosecutors is part of the record: without it the statement is kept, for
the case, but never goes into a prosecutor's package.

That consent is withdrawable, as every consent in Homeward is: the witness asks a staff
member (by phone, in person), who records it. The sealed record is never edited (the
seal covers the consent as it was given): the withdrawal is a record of its own
(`ConsentWithdrawal`: when, who recorded it, why), and what the consent now is comes
from both (domain/disclosure.py `may_package_statement`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain.evidence import HOMEWARD, CustodyAction, Step, canonical

# A statement's slot among its case's evidence items: files take the first slots, each
# statement one from here up (statement n is slot FIRST_SLOT + n), so their chains share
# the evidence partition, the daily anchor and the packages without a second scheme.
FIRST_SLOT = 1000
# Its content type in a package: the sealed record itself.
CONTENT_TYPE = "application/json"
ADULT_AGE = 18
MAX_WORDS = 20_000  # characters of each part of an account; longer is a document to file
MAX_WHY = 500  # characters of why a withdrawal was recorded: a line, not an account
# A statement's "withdrawn" custody entry says this, never the staff member's words: a
# chain goes to prosecutors with its packages, and carries no personal data.
WITHDRAWN_WHY = "the witness withdrew the consent to its use by prosecutors"


class WitnessRelation(StrEnum):
    """Who the witness is, to the child or in the child's life."""

    PARENT = "parent"
    RELATIVE = "relative"
    NEIGHBOUR = "neighbour"
    TEACHER = "teacher"
    CAREGIVER = "caregiver"  # a carer or educator of an institution the child was in
    OTHER_ADULT = "other_adult"


class StatementLanguage(StrEnum):
    """The language the account was given in (another one is named in `other_language`)."""

    UK = "uk"
    RU = "ru"
    EN = "en"
    OTHER = "other"


class TakerRole(StrEnum):
    STAFF = "staff"  # a staff member of the coalition
    HOTLINE = "hotline_operator"  # an operator of the hotline


class TakenHow(StrEnum):
    IN_PERSON = "in_person"
    BY_PHONE = "by_phone"
    IN_WRITING = "in_writing"


class StatementRefused(ValueError):
    """What is missing or wrong in a statement, said to the taker against the field it
    concerns; nothing was kept."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ChildWitness(StatementRefused):
    """A statement from a child (or one whose witness is not confirmed an adult)."""

    def __init__(self) -> None:
        super().__init__(
            "adult_confirmed",
            "Homeward never asks a child to testify: a statement is taken only from an "
            "adult (18 or over), and the taker confirms it",
        )


def statement_id(reference: str, number: int) -> str:
    """A statement's name: its case's reference and its number on the case (S1, S2...)."""
    return f"{reference}-S{number}"


def slot_of(number: int) -> int:
    return FIRST_SLOT + number


def is_statement_slot(slot: int) -> bool:
    return slot > FIRST_SLOT


@dataclass(frozen=True)
class Statement:
    """One witness statement, as it was given; `sha256` covers every other field."""

    statement_id: str
    reference: str
    number: int
    relation: WitnessRelation
    given_at: dt.datetime
    language: StatementLanguage
    saw: str  # what the witness saw themselves, in their own words
    heard: str  # what they heard from others, in their own words
    taken_by: str  # the taker's staff id (the subject: who the custody log names)
    taker_name: str | None
    taker_role: TakerRole
    taken_how: TakenHow
    adult_confirmed: bool
    evidence_consent: bool  # the witness's own: may prosecutors use it
    recorded_at: dt.datetime
    witness_name: str | None = None  # personal data: sealed like the report's fields
    other_language: str | None = None
    adds_to: str | None = None  # the statement this one corrects or completes
    sha256: str = field(default="")

    def body(self) -> dict[str, object]:
        """What the seal covers: every field but the hash."""
        return {
            "statement": self.statement_id,
            "case": self.reference,
            "number": self.number,
            "witness": {
                "relation": str(self.relation),
                "name": self.witness_name,
                "adult_confirmed": self.adult_confirmed,
            },
            "given_at": _iso(self.given_at),
            "language": str(self.language),
            "other_language": self.other_language,
            "account": {"saw": self.saw, "heard": self.heard},
            "taken": {
                "by": self.taken_by,
                "taker_name": self.taker_name,
                "taker_role": str(self.taker_role),
                "how": str(self.taken_how),
                "recorded_at": _iso(self.recorded_at),
            },
            "evidence_consent": self.evidence_consent,
            "adds_to": self.adds_to,
        }

    def sealed(self) -> bytes:
        """The record as it is kept and packaged (canonical JSON): `sha256` is its hash,
        so a package's verifier checks a statement exactly as it checks a file."""
        return canonical(self.body())

    def computed_hash(self) -> str:
        return hashlib.sha256(self.sealed()).hexdigest()

    @classmethod
    def from_sealed(cls, data: bytes | str, sha256: str) -> Statement:
        import json

        record = json.loads(data)
        witness, taken, account = record["witness"], record["taken"], record["account"]
        return cls(
            statement_id=record["statement"],
            reference=record["case"],
            number=int(record["number"]),
            relation=WitnessRelation(witness["relation"]),
            given_at=dt.datetime.fromisoformat(record["given_at"]),
            language=StatementLanguage(record["language"]),
            saw=account["saw"],
            heard=account["heard"],
            taken_by=taken["by"],
            taker_name=taken["taker_name"],
            taker_role=TakerRole(taken["taker_role"]),
            taken_how=TakenHow(taken["how"]),
            adult_confirmed=bool(witness["adult_confirmed"]),
            evidence_consent=bool(record["evidence_consent"]),
            recorded_at=dt.datetime.fromisoformat(taken["recorded_at"]),
            witness_name=witness["name"],
            other_language=record["other_language"],
            adds_to=record["adds_to"],
            sha256=sha256,
        )


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def _text(value: str | None) -> str:
    return (value or "").strip()


def seal(
    *,
    reference: str,
    number: int,
    relation: WitnessRelation,
    given_at: dt.datetime,
    language: StatementLanguage,
    saw: str,
    heard: str,
    taken_by: str,
    taker_name: str | None,
    taker_role: TakerRole,
    taken_how: TakenHow,
    adult_confirmed: bool,
    evidence_consent: bool,
    now: dt.datetime,
    witness_name: str | None = None,
    other_language: str | None = None,
    adds_to: str | None = None,
) -> Statement:
    """A new statement, checked and sealed; refused (ChildWitness, StatementRefused)
    with what is wrong, before anything is kept."""
    if not adult_confirmed:
        raise ChildWitness()
    saw, heard = _text(saw), _text(heard)
    if not saw and not heard:
        raise StatementRefused(
            "saw", "write down what the witness saw, or what they heard, or both"
        )
    if max(len(saw), len(heard)) > MAX_WORDS:
        raise StatementRefused("saw", f"each part of the account is at most {MAX_WORDS} characters")
    other = _text(other_language) or None
    if language == StatementLanguage.OTHER and not other:
        raise StatementRefused("other_language", "name the language the statement was given in")
    if given_at.tzinfo is None:
        raise StatementRefused("given_at", "when the statement was given needs its time zone")
    try:
        given_at = given_at.astimezone(dt.UTC).replace(microsecond=0)
    except OverflowError:  # the year 1 a minute east of Greenwich: no moment anyone gave it
        raise StatementRefused("given_at", "write when the statement was given") from None
    if given_at > now + dt.timedelta(minutes=5):
        raise StatementRefused("given_at", "a statement cannot be given in the future")
    statement = Statement(
        statement_id=statement_id(reference, number),
        reference=reference,
        number=number,
        relation=WitnessRelation(relation),
        given_at=given_at,
        language=StatementLanguage(language),
        saw=saw,
        heard=heard,
        taken_by=taken_by,
        taker_name=_text(taker_name) or None,
        taker_role=TakerRole(taker_role),
        taken_how=TakenHow(taken_how),
        adult_confirmed=True,
        evidence_consent=bool(evidence_consent),
        recorded_at=now.astimezone(dt.UTC).replace(microsecond=0),
        witness_name=_text(witness_name) or None,
        other_language=other if language == StatementLanguage.OTHER else None,
        adds_to=_text(adds_to) or None,
    )
    return Statement(**{**statement.__dict__, "sha256": statement.computed_hash()})


@dataclass(frozen=True)
class ConsentWithdrawal:
    """The witness took back the consent to a statement's use by prosecutors: kept apart
    from the statement, whose seal it never touches."""

    statement_id: str
    at: dt.datetime
    taken_by: str  # the staff member who recorded it (the witness asked them)
    # In that staff member's words, how the witness asked: sealed like the statement's
    # words, opened only to be read (None: not opened, or erased at the case's retention).
    why: str | None = None


class NothingToWithdraw(Exception):
    """The statement's consent cannot be withdrawn: never given, or withdrawn already."""

    def __init__(self, message: str, *, withdrawn_at: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.withdrawn_at = withdrawn_at


def withdraw(
    statement: Statement,
    withdrawn: ConsentWithdrawal | None,
    *,
    taken_by: str,
    why: str,
    now: dt.datetime,
) -> ConsentWithdrawal:
    """The witness's withdrawal of the consent, checked: a reason is required (how the
    witness asked), and there must be a consent to withdraw."""
    why = " ".join((why or "").split())
    if not why:
        raise StatementRefused(
            "why", "say how the witness asked to withdraw it (by phone, in person...)"
        )
    if len(why) > MAX_WHY:
        raise StatementRefused("why", f"the reason is at most {MAX_WHY} characters")
    if withdrawn is not None:
        raise NothingToWithdraw(
            "The witness withdrew this consent before: it is recorded once.",
            withdrawn_at=withdrawn.at,
        )
    if not statement.evidence_consent:
        raise NothingToWithdraw(
            "The witness never agreed to this statement's use by prosecutors: there is "
            "nothing to withdraw."
        )
    return ConsentWithdrawal(
        statement.statement_id, now.astimezone(dt.UTC).replace(microsecond=0), taken_by, why
    )


def sealed_problem(statement: Statement) -> str | None:
    """What does not hold in a kept statement (None: it is as it was sealed)."""
    if statement.computed_hash() != statement.sha256:
        return f"statement {statement.statement_id} was changed after it was sealed"
    return None


def intake_steps(statement: Statement) -> list[Step]:
    """A statement's first custody entries: taken from the witness, sealed."""
    size = len(statement.sealed())
    return [
        Step(CustodyAction.RECEIVED, statement.taken_by, "statement taken", f"{size} bytes"),
        Step(CustodyAction.HASHED, HOMEWARD, "sealed on receipt", f"sha256 {statement.sha256}"),
    ]
