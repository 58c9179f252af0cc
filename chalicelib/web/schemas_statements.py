"""Shapes of the staff API's witness statements (domain/statements.py): what a taker
sends, and a statement as its reader may see it (its words only where the disclosure
policy allows: services/statements.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StringConstraints

from chalicelib.domain.case import iso
from chalicelib.domain.statements import (
    MAX_WHY,
    MAX_WORDS,
    StatementLanguage,
    StatementRefused,
    TakenHow,
    TakerRole,
    WitnessRelation,
)
from chalicelib.services.statements import NewStatement as Taken
from chalicelib.services.statements import ShownStatement, StatementWithdrawn
from chalicelib.web.schemas import Strict

Account = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_WORDS)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class NewStatement(Strict):
    witness: WitnessRelation = Field(description="Who the witness is to the child")
    witness_name: Short | None = Field(None, description="Optional; personal data, sealed")
    adult_confirmed: StrictBool = Field(
        description="The taker confirms the witness is 18 or over: Homeward never asks a "
        "child to testify, and a statement without this is refused"
    )
    given_at: AwareDatetime = Field(description="When the witness gave it")
    language: StatementLanguage
    other_language: Short | None = Field(None, description="Named when language is other")
    saw: Account = Field("", description="What the witness saw themselves, in their words")
    heard: Account = Field("", description="What they heard from others, in their words")
    taker_role: TakerRole
    taken_how: TakenHow
    evidence_consent: StrictBool = Field(
        description="The witness's own consent to its use by prosecutors: without it the "
        "statement is kept but never goes into a package"
    )
    adds_to: Short | None = Field(None, description="The statement this one corrects or adds to")

    def taken(self) -> Taken:
        return Taken(
            relation=self.witness,
            given_at=self.given_at,
            language=self.language,
            saw=self.saw,
            heard=self.heard,
            taker_role=self.taker_role,
            taken_how=self.taken_how,
            adult_confirmed=self.adult_confirmed,
            evidence_consent=self.evidence_consent,
            witness_name=self.witness_name,
            other_language=self.other_language,
            adds_to=self.adds_to,
        )


class StatementRecord(BaseModel):
    statement_id: str
    reference: str
    witness: WitnessRelation
    given_at: str
    language: StatementLanguage
    other_language: str | None
    taker_role: TakerRole
    taken_how: TakenHow
    taken_by: str
    taker_name: str | None
    recorded_at: str
    evidence_consent: bool
    adds_to: str | None
    sha256: str = Field(description="SHA-256 of the sealed record (canonical JSON)")
    words_shown: bool = Field(description="Whether the witness and account are shown")
    witness_name: str | None = None
    saw: str | None = None
    heard: str | None = None
    consent_withdrawn_at: str | None = Field(
        None, description="When the witness withdrew the consent to its use by prosecutors"
    )
    consent_withdrawn_why: str | None = Field(
        None, description="How the witness asked to withdraw it (with the words only)"
    )

    @classmethod
    def of(cls, shown: ShownStatement) -> StatementRecord:
        s = shown.statement
        words = (
            {"witness_name": s.witness_name, "saw": s.saw, "heard": s.heard}
            if shown.words_shown
            else {}
        )
        if shown.words_shown and shown.withdrawal is not None:
            words["consent_withdrawn_why"] = shown.withdrawal.why
        return cls(
            statement_id=s.statement_id,
            reference=s.reference,
            witness=s.relation,
            given_at=iso(s.given_at),
            language=s.language,
            other_language=s.other_language,
            taker_role=s.taker_role,
            taken_how=s.taken_how,
            taken_by=s.taken_by,
            taker_name=s.taker_name,
            recorded_at=iso(s.recorded_at),
            evidence_consent=s.evidence_consent,
            adds_to=s.adds_to,
            sha256=s.sha256,
            words_shown=shown.words_shown,
            consent_withdrawn_at=iso(shown.withdrawal.at) if shown.withdrawal else None,
            **words,
        )


class ConsentWithdrawn(Strict):
    why: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_WHY)] = Field(
        description="How the witness asked to withdraw it (by phone, in person...): required; "
        "sealed, never in the statement's chain of custody"
    )


class StatementWithdrawal(BaseModel):
    statement_id: str
    withdrawn_at: str
    withdrawn_by: str = Field(description="The staff member who recorded it")
    taken_out_of: list[str] = Field(
        description="The packages not yet handed over the statement was taken out of"
    )
    handed_over_to: list[str] = Field(
        description="Recipients who already hold it in a package handed over: Homeward "
        "cannot take it back, they must be told"
    )
    notice: str | None = Field(None, description="What to do now, in words, when any")

    @classmethod
    def of(cls, done: StatementWithdrawn) -> StatementWithdrawal:
        notice = None
        if done.handed_over_to:
            notice = (
                "The statement was already handed over to "
                + ", ".join(done.handed_over_to)
                + ". It is with the recipient: the withdrawal is recorded in its chain of "
                "custody, and the recipient must be told that the witness withdrew the consent."
            )
        return cls(
            statement_id=done.withdrawal.statement_id,
            withdrawn_at=iso(done.withdrawal.at),
            withdrawn_by=done.withdrawal.taken_by,
            taken_out_of=list(done.taken_out_of),
            handed_over_to=list(done.handed_over_to),
            notice=notice,
        )


class StatementList(BaseModel):
    statements: list[StatementRecord]
    # Their hashes and chains of custody are kept (the evidence routes show them).
    erased: list[int] = Field(
        default_factory=list,
        description="The numbers of the statements whose words were erased when the case's "
        "retention ran out",
    )

    @classmethod
    def of(cls, listed: tuple[list[ShownStatement], list[int]]) -> StatementList:
        shown, erased = listed
        return cls(statements=[StatementRecord.of(s) for s in shown], erased=erased)


def refused_as_invalid(refused: StatementRefused):
    """The domain's refusal as the API answers any invalid body: a 422 naming the field,
    in the domain's words (web/problems.py's ValidationError)."""
    from pydantic_core import ValidationError

    fields = {"relation": "witness", "adult_confirmed": "adult_confirmed"}
    return ValidationError.from_exception_data(
        "NewStatement",
        [
            {
                "type": "value_error",
                "loc": (fields.get(refused.field, refused.field),),
                "input": None,
                "ctx": {"error": refused},
            }
        ],
    )
