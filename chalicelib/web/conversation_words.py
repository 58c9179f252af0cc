"""A conversation's messages (domain/conversation.py `Say`) in the reporter's language.

Every channel words them here: the Telegram bot, the hotline operator's page. Message ids
go through the form's catalogs, a check's refusal through the form's own error words
(i18n.error_message), and what the person typed is said back as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.answers import Part, Problem, Words
from chalicelib.domain.conversation import Say
from chalicelib.web import i18n


@dataclass(frozen=True)
class Rendered:
    text: str
    # (value, label) of each choice, for buttons.
    buttons: tuple[tuple[str, str], ...] = ()


def word(part: Part, language: str) -> str:
    if isinstance(part, Words):
        text = i18n.gettext_for(language)(part.msgid)
        return text % dict(part.params) if part.params else text
    if isinstance(part, Problem):
        return i18n.error_message(part.as_dict(), language)
    return part


def render(say: Say, language: str) -> Rendered:
    lines = [word(p, language) for p in say.parts]
    lines += [f"{word(line.label, language)}: {word(line.answer, language)}" for line in say.lines]
    buttons = tuple((value, word(label, language)) for value, label in say.choices)
    return Rendered(
        "\n\n".join(lines[: len(say.parts)]) + _joined(lines[len(say.parts) :]), buttons
    )


def _joined(answers: list[str]) -> str:
    # The answers read back: one a line, under the message that introduces them.
    return "\n\n" + "\n".join(answers) if answers else ""
