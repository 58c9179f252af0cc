"""Mediation lists: the verified children a coordinator hands to a named mediator.

A mediator (a state that negotiates returns: Qatar received a list of 561 children) gets
exactly what the disclosure policy releases for mediation (domain/disclosure.py,
Release.MEDIATION), for children whose reporters' consent allows it; each export is a new
version of the list, recorded with who made it and when.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.aftercare import AftercareError, ReturnStage
from chalicelib.domain.referrals import Why


class ListExport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    at: dt.datetime
    by: str
    children: int
    # The children as the export listed them, in its order: the mediator answers by line
    # (an anonymised child's place is kept, empty, so the lines stay true).
    references: tuple[str, ...] = ()


class MediatorAnswer(StrEnum):
    """What the other side says of one child on the list."""

    CONFIRMED = "confirmed"  # located and confirmed, no more yet
    BEING_RETURNED = "being_returned"
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # the other side refuses to return the child


# Where each answer takes a child who is on a mediation list (None: the pathway stays).
# Not found or refused, the child goes back to verified, ready for another list.
ANSWER_MOVES: dict[MediatorAnswer, ReturnStage | None] = {
    MediatorAnswer.CONFIRMED: None,
    MediatorAnswer.BEING_RETURNED: ReturnStage.IN_TRANSIT,
    MediatorAnswer.NOT_FOUND: ReturnStage.VERIFIED,
    MediatorAnswer.REFUSED: ReturnStage.VERIFIED,
}


class AnswerLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    answer: MediatorAnswer
    note: str = ""


class RecordedAnswer(BaseModel):
    """One child's answer, as it was imported: against which export, when, by whom."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    line: int
    reference: str
    answer: MediatorAnswer
    at: dt.datetime
    by: str


class AnswerRefused(AftercareError):
    """A mediator's answer with lines that cannot be taken: none of it was taken."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {line}: {why}" for line, why in problems)
        super().__init__(Why.ANSWER_REFUSED, lines=lines)


class MediationList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    list_id: str
    mediator: str
    created_by: str
    created_at: dt.datetime
    references: tuple[str, ...] = ()
    exports: tuple[ListExport, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()
    version: int = 0

    def with_child(self, reference: str) -> MediationList:
        if reference in self.references:
            raise AftercareError(Why.ALREADY_LISTED)
        return self.model_copy(update={"references": (*self.references, reference)})

    def without_child(self, reference: str) -> MediationList:
        """The list with a child's entry gone (their case was anonymised); the exports
        made keep their counts, which name nobody."""
        kept = tuple(r for r in self.references if r != reference)
        exports = tuple(
            e.model_copy(
                update={"references": tuple("" if r == reference else r for r in e.references)}
            )
            for e in self.exports
        )
        answers = tuple(a for a in self.answers if a.reference != reference)
        return self.model_copy(update={"references": kept, "exports": exports, "answers": answers})

    def exported(
        self, *, by: str, now: dt.datetime, references: tuple[str, ...] | None = None
    ) -> MediationList:
        """A new version, of `references` (those whose consent still allows it), in order."""
        if not self.references:
            raise AftercareError(Why.EMPTY_LIST)
        listed = self.references if references is None else references
        export = ListExport(
            version=len(self.exports) + 1, at=now, by=by, children=len(listed), references=listed
        )
        return self.model_copy(update={"exports": (*self.exports, export)})

    def answer_lines(
        self, version: int, lines: list[AnswerLine], stages: dict[str, ReturnStage | None]
    ) -> list[tuple[AnswerLine, str]]:
        """Each line of a mediator's answer to export `version` with its child's reference,
        or AnswerRefused with every line that cannot be taken (and then none is).

        `stages`: where each child of that export is on the pathway now. A line that
        would move a child who is no longer on a mediation list is refused: the answer
        was overtaken (the child came home another way, say)."""
        export = next((e for e in self.exports if e.version == version), None)
        if export is None:
            raise AnswerRefused([(0, f"this list has no export version {version}")])
        problems: list[tuple[int, str]] = []
        taken: list[tuple[AnswerLine, str]] = []
        seen: set[int] = set()
        for line in lines:
            if line.line in seen:
                problems.append((line.line, "answered twice"))
                continue
            seen.add(line.line)
            if not 1 <= line.line <= len(export.references):
                problems.append((line.line, f"export {version} has {len(export.references)} lines"))
                continue
            reference = export.references[line.line - 1]
            if any(
                (a.version, a.line, a.answer) == (version, line.line, line.answer)
                for a in self.answers
            ):
                continue  # the same answer imported again: taken once
            if not reference or reference not in self.references:
                problems.append((line.line, "the child is no longer on this list"))
                continue
            moves_to = ANSWER_MOVES[line.answer]
            if moves_to is not None and stages.get(reference) != ReturnStage.ON_MEDIATION_LIST:
                problems.append((line.line, "the child is no longer waiting on a mediation list"))
                continue
            taken.append((line, reference))
        if problems or not lines:
            raise AnswerRefused(problems or [(0, "the answer has no lines")])
        return taken

    def answered(self, answers: list[RecordedAnswer]) -> MediationList:
        return self.model_copy(update={"answers": (*self.answers, *answers)})
