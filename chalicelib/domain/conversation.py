"""A report taken in a conversation: the form's questions asked one at a time.

The Telegram bot and the hotline operator's page take the same report as the public form:
the questions, their words, their choices and their checks are the form's own
(domain/questions.py, domain/form_dates.py, the contract's models in domain/report.py),
asked one after another instead of all on one page. What is new here is the order of a
conversation: "I don't know" wherever the form lets a field stay empty, a date of birth
that nobody knows asked again as a year (the contract needs at least that), the e-mail
and phone asked only of someone who may be contacted, and every answer read back to be
confirmed or corrected, one answer at a time, before anything is filed.

Pure: no storage, no channel. The state (`Conversation`) is what a store keeps between
two messages, so a pause of hours loses nothing; `hear` takes the state and one reply and
returns the next state and what to say (`Say`: message ids to translate, as the form's
are, and what the person typed, said back as typed). A channel renders the words and
sends them; services/conversations.py keeps the state and files the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.domain.answers import (
    BIRTH_YEAR,
    CHOOSE_FROM_LIST,
    DONT_KNOW,
    FILES,
    FILES_QUESTION,
    I_DONT_KNOW,
    NO_MORE_FILES,
    NO_MORE_FILES_LABEL,
    NOT_A_QUESTION,
    QUESTIONS,
    Part,
    Problem,
    Question,
    Rejected,
    Reply,
    Words,
    answer_words,
    applies,
    fold,
    models,
    options_of,
    questions,
    read_answer,
)
from chalicelib.domain.attachments import MAX_FILES
from chalicelib.domain.questions import N_

# How long an unfinished conversation is kept after its last message: a frightened person
# may stop when someone comes in and finish the next evening. Then it is gone, and nothing
# of it was ever filed.
KEPT_FOR = dt.timedelta(hours=72)

SEND = "send"
CHANGE = "change"

WELCOME = N_(
    "Homeward, of the International Coalition for the Return of Ukrainian Children, takes "
    "reports of children deported, moved by force or missing because of the war. We ask "
    "the questions of our report form one at a time. Where you do not know an answer, "
    'say "I don\'t know". You can stop at any time and come back within %(days)s days: '
    "your answers are kept until then, and nothing is sent before you confirm it."
)
FILE_RECEIVED = N_("Received: file %(number)s of %(count)s.")
TOO_MANY_FILES = N_("That is the most we can take: %(count)s files.")
REVIEW_INTRO = N_("Here is what you told us. Please check it.")
FILES_LINE = N_("Photos and documents")
BIRTH_YEAR_LABEL = N_("Year of birth")
SEND_LABEL = N_("Yes, send the report")
CHANGE_LABEL = N_("Change an answer")
WHICH_ANSWER = N_("Which answer do you want to change?")
# What the channel's service says (services/conversations.py) when there is nothing to
# continue, when filing must wait, and after filing.
NOT_STARTED = N_("To report a child, send /start.")
TRY_LATER = N_(
    "Too many reports came from here. Your answers are kept: please confirm them again in "
    "%(minutes)s minutes."
)
FAILED = N_(
    "Something went wrong on our side and the report was not sent. Your answers are kept: "
    "please confirm them again in a few minutes."
)
ALREADY_FILED = N_("Your report was sent. To report another child, send /start.")


class Phase(StrEnum):
    ASKING = "asking"
    # The answers read back, waiting for "send" or "change".
    REVIEW = "review"
    # Which answer to change.
    CHOOSING = "choosing"
    FILED = "filed"


@dataclass(frozen=True)
class Line:
    """One answer read back: the question's words and the answer."""

    label: Words
    answer: Part


@dataclass(frozen=True)
class Say:
    """One message to the person: its parts, each on a line of its own, the answers read
    back (if any), and the choices a channel may offer as buttons (value, label)."""

    parts: tuple[Part, ...] = ()
    lines: tuple[Line, ...] = ()
    choices: tuple[tuple[str, Part], ...] = ()


class Conversation(BaseModel):
    """Everything a conversation knows between two messages (what its store keeps)."""

    id: str
    language: str
    started_at: dt.datetime
    updated_at: dt.datetime
    # The report's key: its idempotency key (a replayed "send" files nothing twice) and
    # the place its files wait in (domain/form_keys.py issues it, as for a form).
    key: str
    carries_files: bool = True
    phase: Phase = Phase.ASKING
    asking: str | None = None
    # Field name -> the contract's JSON value, or DONT_KNOW.
    answers: dict[str, Any] = {}
    files: list[int] = []
    # Set when a correction is asked: the one answer to give again before the read-back.
    correcting: str | None = None
    reference: str | None = None
    # What the channel keeps for itself (the ids of the messages it may delete later).
    channel: dict[str, Any] = {}

    def expires_at(self) -> dt.datetime:
        return self.updated_at + KEPT_FOR


def _pending(conversation: Conversation) -> Question | None:
    for question in questions(conversation.carries_files):
        if applies(question, conversation.answers) and question.name not in conversation.answers:
            return question
    return None


# -- starting and hearing -----------------------------------------------------------------


def start(
    conversation_id: str,
    language: str,
    key: str,
    now: dt.datetime,
    *,
    carries_files: bool = True,
) -> tuple[Conversation, list[Say]]:
    conversation = Conversation(
        id=conversation_id,
        language=language,
        started_at=now,
        updated_at=now,
        key=key,
        carries_files=carries_files,
    )
    welcome = Say((Words(WELCOME, (("days", KEPT_FOR.days),)),))
    return _next(conversation, [welcome])


def hear(
    conversation: Conversation,
    reply: Reply,
    now: dt.datetime,
    words: Callable[[str], str] = lambda m: m,
) -> tuple[Conversation, list[Say]]:
    """The next state and what to say after one reply. `words` translates a message id
    into the conversation's language, to recognise an option typed out in words."""
    conversation = conversation.model_copy(deep=True, update={"updated_at": now})
    if reply.file_slot is not None:
        return _file(conversation, reply.file_slot)
    if conversation.phase is Phase.REVIEW:
        return _review(conversation, reply, now, words)
    if conversation.phase is Phase.CHOOSING:
        return _choose(conversation, reply)
    if conversation.phase is Phase.FILED:
        return conversation, []
    question = QUESTIONS.get(conversation.asking or "")
    if question is None:
        return _next(conversation, [])
    outcome = read_answer(question, reply, now, words, conversation.language)
    if isinstance(outcome, Rejected):
        return conversation, [Say(outcome.parts), ask(question, conversation)]
    conversation.answers[question.name] = outcome.value
    if question.name == "child.date_of_birth" and outcome.value != DONT_KNOW:
        conversation.answers.pop(BIRTH_YEAR, None)
    if conversation.correcting == question.name:
        conversation.correcting = None
    return _next(conversation, [])


def _next(conversation: Conversation, said: list[Say]) -> tuple[Conversation, list[Say]]:
    """Ask what is still open (a correction first), else read the answers back."""
    question = QUESTIONS.get(conversation.correcting or "")
    if question is None:
        # A check that joins two answers, as soon as both are given (a contact allowed,
        # and neither an e-mail nor a phone).
        problems = report_problems(conversation)
        if problems:
            name, problem = problems[0]
            conversation.answers.pop(name, None)
            if name == "reporter.may_contact":
                # Contact allowed, and neither an e-mail nor a phone: both asked again.
                conversation.answers.pop("reporter.email", None)
                conversation.answers.pop("reporter.phone", None)
            question = QUESTIONS[name]
            said.append(Say((problem,)))
        else:
            question = _pending(conversation)
    if question is None:
        conversation.phase = Phase.REVIEW
        conversation.asking = None
        return conversation, [*said, read_back(conversation)]
    conversation.phase = Phase.ASKING
    first_of_step = conversation.asking is None or (
        question.step is not None
        and question.step is not getattr(QUESTIONS.get(conversation.asking), "step", None)
    )
    conversation.asking = question.name
    return conversation, [*said, ask(question, conversation, introduce=first_of_step)]


def ask(question: Question, conversation: Conversation, *, introduce: bool = False) -> Say:
    parts: list[Part] = []
    step = question.step
    if introduce and step is not None and conversation.correcting is None:
        parts += [Words(t) for t in (step.title, step.intro) if t]
    if question.name == FILES:
        parts.append(Words(FILES_QUESTION, (("count", MAX_FILES),)))
        return Say(tuple(parts), choices=((NO_MORE_FILES, Words(NO_MORE_FILES_LABEL)),))
    parts.append(Words(question.label))
    if question.help:
        parts.append(Words(question.help))
    choices = tuple(options_of(question, conversation.language))
    if question.may_skip:
        choices += ((DONT_KNOW, Words(I_DONT_KNOW)),)
    return Say(tuple(parts), choices=choices)


# -- the files ----------------------------------------------------------------------------


def next_file_slot(conversation: Conversation) -> int | None:
    """The upload slot a new file goes to, or None when the report holds all it can."""
    if not conversation.carries_files or conversation.phase is Phase.FILED:
        return None
    free = [s for s in range(1, MAX_FILES + 1) if s not in conversation.files]
    return free[0] if free else None


def _file(conversation: Conversation, slot: int) -> tuple[Conversation, list[Say]]:
    if slot not in conversation.files:
        conversation.files.append(slot)
    said = Say((Words(FILE_RECEIVED, (("number", len(conversation.files)), ("count", MAX_FILES))),))
    if conversation.phase is Phase.REVIEW:
        return conversation, [said, read_back(conversation)]
    if conversation.phase is Phase.ASKING and conversation.asking == FILES:
        if len(conversation.files) >= MAX_FILES:
            conversation.answers[FILES] = NO_MORE_FILES
            return _next(conversation, [said])
        return conversation, [said]
    return conversation, [said]


def files_full(conversation: Conversation) -> Say:
    return Say((Words(TOO_MANY_FILES, (("count", MAX_FILES),)),))


# -- the report, the read-back and the correction -----------------------------------------


def report_body(conversation: Conversation) -> dict[str, Any]:
    """The report's JSON (the contract's) from the answers: what the person did not know
    stays out, as an empty box of the form does."""
    body: dict[str, Any] = {
        "child": {},
        "residence": {},
        "event": {},
        "reporter": {"preferred_language": conversation.language},
        "consent": {},
    }
    for question in questions(conversation.carries_files):
        value = conversation.answers.get(question.name)
        if question.name == FILES or value is None or value == DONT_KNOW:
            continue
        if not applies(question, conversation.answers):
            continue
        name = question.name
        if isinstance(value, dict) and "year" in value:
            name, value = BIRTH_YEAR, value["year"]
        section, _, key = name.rpartition(".")
        if section:
            body.setdefault(section, {})[key] = value
        else:
            body[key] = value  # urgent: the one question outside a part
    if not body.get("last_known_location"):
        body.pop("last_known_location", None)
    return body


def report_problems(conversation: Conversation) -> list[tuple[str, Part]]:
    """What the whole report's checks refuse (the checks that join two fields: a birth
    year that disagrees with the date, a contact allowed but neither e-mail nor phone),
    each with the question to ask again."""
    try:
        models()[""].model_validate(report_body(conversation))
    except ValidationError as exc:
        found = []
        for error in exc.errors(include_url=False, include_input=False):
            if error["type"] == "missing":
                continue  # not asked yet
            loc = tuple(str(p) for p in error["loc"] if not isinstance(p, int))
            name = _question_of(loc)
            if name and not _part_open(conversation, name.partition(".")[0]):
                found.append((name, Problem.of(error)))
        return found
    return []


def _part_open(conversation: Conversation, part: str) -> bool:
    """Whether a question of this part of the report is still to be asked: its checks
    that join two answers wait for all of them."""
    return any(
        q.name.startswith(part + ".")
        and applies(q, conversation.answers)
        and q.name not in conversation.answers
        for q in questions(conversation.carries_files)
    )


def _question_of(loc: tuple[str, ...]) -> str | None:
    dotted = ".".join(loc)
    if dotted in QUESTIONS:
        return dotted
    if loc[:1] == ("child",):
        return "child.date_of_birth"
    if loc[:1] == ("reporter",):
        return "reporter.may_contact"
    return None


def read_back(conversation: Conversation) -> Say:
    lines = []
    for question in questions(conversation.carries_files):
        if not applies(question, conversation.answers) or question.name not in conversation.answers:
            continue
        if question.name == BIRTH_YEAR:
            value = conversation.answers[BIRTH_YEAR]
            lines.append(Line(Words(BIRTH_YEAR_LABEL), str(value)))
            continue
        if question.name == FILES:
            lines.append(Line(Words(FILES_LINE), str(len(conversation.files))))
            continue
        value = conversation.answers[question.name]
        lines.append(
            Line(Words(question.label), answer_words(question, value, conversation.language))
        )
    return Say(
        (Words(REVIEW_INTRO),),
        lines=tuple(lines),
        choices=((SEND, Words(SEND_LABEL)), (CHANGE, Words(CHANGE_LABEL))),
    )


def correctable(conversation: Conversation) -> list[Question]:
    """The answers that may be changed, in the order they were asked."""
    return [
        q
        for q in questions(conversation.carries_files)
        if applies(q, conversation.answers) and q.name in conversation.answers and q.name != FILES
    ]


def _review(
    conversation: Conversation, reply: Reply, now: dt.datetime, words: Callable[[str], str]
) -> tuple[Conversation, list[Say]]:
    typed = fold(reply.text or "")
    choice = reply.choice or (
        SEND
        if typed == fold(words(SEND_LABEL))
        else CHANGE
        if typed == fold(words(CHANGE_LABEL))
        else None
    )
    if choice == SEND:
        # The channel's service files the report on seeing the phase (services/conversations.py).
        conversation.phase = Phase.FILED
        return conversation, []
    if choice == CHANGE:
        conversation.phase = Phase.CHOOSING
        options = tuple((q.name, Words(q.label)) for q in correctable(conversation))
        return conversation, [Say((Words(WHICH_ANSWER),), choices=options)]
    return conversation, [Say((Words(NOT_A_QUESTION),)), read_back(conversation)]


def _choose(conversation: Conversation, reply: Reply) -> tuple[Conversation, list[Say]]:
    names = [q.name for q in correctable(conversation)]
    chosen = reply.choice
    typed = (reply.text or "").strip()
    if chosen is None and typed.isdigit() and 1 <= int(typed) <= len(names):
        chosen = names[int(typed) - 1]
    if chosen not in names:
        options = tuple((q.name, Words(q.label)) for q in correctable(conversation))
        return conversation, [
            Say((Words(CHOOSE_FROM_LIST),)),
            Say((Words(WHICH_ANSWER),), choices=options),
        ]
    assert chosen is not None
    conversation.correcting = chosen
    conversation.answers.pop(chosen, None)
    return _next(conversation, [])


def fingerprint(conversation: Conversation) -> str:
    """What tells a replayed filing from another report under the same key."""
    body = {"report": report_body(conversation), "files": sorted(conversation.files)}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
