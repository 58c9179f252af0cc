"""Reading one answer of a conversation (domain/conversation.py): the form's questions, in
the form's order, and each answer in the contract's JSON, checked by the form's checks.

An answer is read as the form reads its box: a date as form_dates reads it, a phone number
as people write it, an option by its button, its number or its words, an oblast or a
country by its name in any of the three languages; then the contract's model of its part
(domain/report.py) checks that one field, so a conversation refuses what the form refuses,
in the same words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.domain import form_dates
from chalicelib.domain.questions import COMMON_COUNTRIES, FORM_ONLY, N_, STEPS, YES_NO, Field, Step

# What an answer holds when the person said they do not know (or left an optional
# question): the field stays out of the report, as an empty box on the form does.
DONT_KNOW = "dont_know"
SEND = "send"
CHANGE = "change"
NO_MORE_FILES = "no_more_files"
# The pseudo-questions of a conversation: the year of birth when the date is not known,
# and the photos and documents (a channel that carries files).
BIRTH_YEAR = "child.birth_year"
FILES = "files"
# Asked from the conversation's own language, never as a question.
LANGUAGE_FIELD = "reporter.preferred_language"

I_DONT_KNOW = N_("I don't know")
BIRTH_YEAR_QUESTION = N_(
    "Do you know the year of birth, or how old the child is? An approximate answer is fine."
)
BIRTH_YEAR_NEEDED = N_(
    "We need at least an approximate year of birth to look for the child. Write the year "
    "(for example 2012) or the child's age (for example 11)."
)
FILES_QUESTION = N_(
    "You may send photos of the child or documents, up to %(count)s files. Send them now, "
    'or press "No more photos".'
)
NO_MORE_FILES_LABEL = N_("No more photos")
CHOOSE_FROM_LIST = N_("Choose one of the options.")
NOT_A_QUESTION = N_("Please answer the question, or choose one of the buttons.")


@dataclass(frozen=True)
class Words:
    """A message id to translate (the form's catalogs) and its parameters."""

    msgid: str
    params: tuple[tuple[str, str | int], ...] = ()


# Something a pydantic check said about an answer (an error dict without the input): the
# channel words it as the form does (chalicelib/web/i18n.py error_message).
@dataclass(frozen=True)
class Problem:
    error: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, error: dict) -> Problem:
        kept = {k: error[k] for k in ("type", "msg", "ctx", "loc") if k in error}
        if "ctx" in kept:
            kept["ctx"] = {k: v for k, v in kept["ctx"].items() if k == "max_length"}
        return cls(tuple(sorted(kept.items())))

    def as_dict(self) -> dict:
        return dict(self.error)


# A part of a message: words to translate, a problem to word, or text said as it is (what
# the person typed, read back, or the name of a place).
Part = Words | Problem | str


@dataclass(frozen=True)
class Reply:
    """What the person sent: a text, the value of a button, or a file (a channel that
    carries files stores it first and says so with `file_slot`)."""

    text: str | None = None
    choice: str | None = None
    file_slot: int | None = None


# -- the questions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    help: str | None = None
    kind: str = "text"
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    year_only: bool = False
    step: Step | None = None
    form_field: Field | None = field(default=None, compare=False)

    @property
    def may_skip(self) -> bool:
        """Whether "I don't know" is an answer: where the form lets the field stay empty,
        and the date of birth (then the year is asked)."""
        return not self.required or self.name == "child.date_of_birth"


def _question(step: Step, spec: Field) -> Question:
    return Question(
        name=spec.name,
        label=spec.label,
        help=spec.help,
        kind=spec.kind,
        required=spec.required,
        options=spec.options,
        year_only=spec.year_only,
        step=step,
        form_field=spec,
    )


def questions(carries_files: bool) -> tuple[Question, ...]:
    """The form's questions in the form's order, with the conversation's own two."""
    asked: list[Question] = []
    for step in STEPS:
        for spec in step.fields:
            if spec.name in FORM_ONLY or spec.name == LANGUAGE_FIELD:
                continue
            asked.append(_question(step, spec))
            if spec.name == "child.date_of_birth":
                asked.append(
                    Question(BIRTH_YEAR, BIRTH_YEAR_QUESTION, kind="year", required=True, step=step)
                )
        if step.key == "child" and carries_files:
            asked.append(Question(FILES, FILES_QUESTION, kind="files", step=step))
    return tuple(asked)


QUESTIONS = {q.name: q for q in questions(True)}


def applies(question: Question, answers: dict[str, Any]) -> bool:
    """Whether a question is asked, given the answers so far."""
    if question.name == BIRTH_YEAR:
        return answers.get("child.date_of_birth") == DONT_KNOW
    if question.name in ("reporter.email", "reporter.phone"):
        return answers.get("reporter.may_contact") is True
    return True


def options_of(question: Question, language: str) -> list[tuple[str, Part]]:
    """The choices of a question, as buttons: the form's options; the oblasts; the
    countries deported children are most often taken to (others are typed)."""
    from chalicelib.domain.places import OBLASTS, country_names, in_order

    if question.kind == "oblast":
        return [(code, OBLASTS[code][language]) for code in in_order("oblasts", language)]
    if question.kind == "country":
        names = country_names()
        return [(code, names[code][language]) for code in COMMON_COUNTRIES]
    return [(value, Words(label)) for value, label in question.options]


# -- reading one answer -------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    value: Any


@dataclass(frozen=True)
class Rejected:
    parts: tuple[Part, ...]


def fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def read_answer(
    question: Question,
    reply: Reply,
    now: dt.datetime,
    words: Callable[[str], str],
    language: str,
) -> Accepted | Rejected:
    """One answer in the contract's JSON form, checked by the form's own checks."""
    typed = (reply.text or "").strip()
    choice = reply.choice
    if choice is None and typed and fold(typed) == fold(words(I_DONT_KNOW)):
        choice = DONT_KNOW
    if choice == DONT_KNOW:
        if question.may_skip:
            return Accepted(DONT_KNOW)
        if question.name == BIRTH_YEAR:
            return Rejected((Words(BIRTH_YEAR_NEEDED),))
    if question.kind == "files":
        if choice == NO_MORE_FILES or (typed and fold(typed) == fold(words(NO_MORE_FILES_LABEL))):
            return Accepted(NO_MORE_FILES)
        return Rejected((Words(NOT_A_QUESTION),))
    if question.kind in ("radio", "yesno", "select", "oblast", "country"):
        return _chosen(question, choice, typed, words, language)
    if choice is not None or not typed:
        if question.required:
            return Rejected((Words(_missing(question)),))
        return Rejected((Words(NOT_A_QUESTION),))
    if question.kind == "year":
        return _year(typed, now)
    if question.kind == "date":
        return _date(question, typed)
    if question.kind == "names":
        value: Any = [n.strip() for n in typed.split(",") if n.strip()]
    elif question.kind == "tel":
        from chalicelib.domain.report import phone_in_e164

        value = phone_in_e164(typed) or typed
    else:
        value = typed
    return _checked(question.name, value)


def _missing(question: Question) -> str:
    from chalicelib.domain.questions import MISSING

    return MISSING.get(question.name, "Please fill in this field.")


def _chosen(
    question: Question,
    choice: str | None,
    typed: str,
    words: Callable[[str], str],
    language: str,
) -> Accepted | Rejected:
    options = options_of(question, language)
    values = {value for value, _label in options}
    if choice is None and typed:
        choice = _recognised(question, typed, options, words)
    if choice is None or (choice not in values and question.kind != "country"):
        return Rejected((Words(CHOOSE_FROM_LIST),))
    if question.kind == "yesno":
        return Accepted(choice == "yes")
    return _checked(question.name, choice)


def _recognised(
    question: Question, typed: str, options: list[tuple[str, Part]], words: Callable[[str], str]
) -> str | None:
    """The option a person typed out: its number in the list, its words, or (an oblast, a
    country) its name in any of the three languages."""
    from chalicelib.domain.places import OBLASTS, country_names

    folded = fold(typed)
    if folded.isdigit() and 1 <= int(folded) <= len(options):
        return options[int(folded) - 1][0]
    for value, label in options:
        said = words(label.msgid) if isinstance(label, Words) else label
        if folded in (fold(said), value.casefold()):
            return value
    names: dict[str, dict[str, str]] = {}
    if question.kind == "oblast":
        names = OBLASTS
    elif question.kind == "country":
        names = country_names()
    for code, by_language in names.items():
        if any(fold(name) == folded for name in by_language.values()):
            return code
    if question.kind == "oblast":
        # "Херсонська" for "Херсонська область": one oblast whose name begins so.
        found = [c for c, n in names.items() if any(fold(x).startswith(folded) for x in n.values())]
        if len(found) == 1:
            return found[0]
    return None


def _year(typed: str, now: dt.datetime) -> Accepted | Rejected:
    digits = typed.strip().rstrip(".")
    if digits.isascii() and digits.isdigit():
        number = int(digits)
        year = number if len(digits) == 4 else now.year - number if number < 40 else None
        if year is not None:
            return _checked(BIRTH_YEAR, year)
    return Rejected((Words(BIRTH_YEAR_NEEDED),))


def _date(question: Question, typed: str) -> Accepted | Rejected:
    year_alone = typed.isascii() and typed.isdigit() and len(typed) == 4
    assembled = (
        form_dates.assemble("", "", typed, year_only=question.year_only)
        if year_alone
        else form_dates.assemble(typed, "", "", year_only=question.year_only)
    )
    if assembled.error:
        return Rejected((Words(assembled.error),))
    if isinstance(assembled.value, int):
        return _checked(BIRTH_YEAR, assembled.value, as_name=question.name)
    assert assembled.value is not None
    return _checked(question.name, assembled.value.isoformat())


def models() -> dict[str, type[BaseModel]]:
    from chalicelib.domain.report import (
        Child,
        Consent,
        Event,
        LastKnownLocation,
        Report,
        Reporter,
        Residence,
    )

    return {
        "child": Child,
        "residence": Residence,
        "event": Event,
        "last_known_location": LastKnownLocation,
        "reporter": Reporter,
        "consent": Consent,
        "": Report,
    }


def _checked(name: str, value: Any, *, as_name: str | None = None) -> Accepted | Rejected:
    """The value, if the contract's model of its part accepts it: that model's own checks
    of that one field (other fields missing from the part are not this answer's problem)."""
    section, _, key = name.rpartition(".")
    model = models()[section]
    try:
        model.model_validate({key: value})
    except ValidationError as exc:
        mine = [
            e for e in exc.errors(include_url=False, include_input=False) if e["loc"][:1] == (key,)
        ]
        if mine:
            return Rejected((Problem.of(mine[0]),))
    if as_name is not None:
        return Accepted({"year": value})
    return Accepted(value)


def answer_words(question: Question, value: Any, language: str) -> Part:
    """An answer as the person reads it back: their own words, an option's words, a date
    in words."""
    from chalicelib.domain.words import date_in_words

    if value == DONT_KNOW:
        return Words(I_DONT_KNOW)
    if isinstance(value, bool):
        return Words(dict(YES_NO)["yes" if value else "no"])
    if isinstance(value, dict) and "year" in value:
        return str(value["year"])
    if question.kind == "date":
        return date_in_words(value, language)
    if isinstance(value, list):
        return ", ".join(value)
    for option, label in options_of(question, language):
        if option == value:
            return label
    if question.kind == "country":
        from chalicelib.domain.places import country_name

        return country_name(value, language)
    return str(value)
