"""A report taken on the hotline: an operator asks a caller the report's questions (the
conversation engine's, domain/conversation.py, the form's own) and reads them aloud.

The case records that it came by the hotline and who took it, and the caller's consent
as what it is: answers to the consent questions, given orally to that operator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.conversation import Conversation, Say

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.questions import N_

# The report's source on the case, and the prefix of the engine's conversation ids.
HOTLINE = "hotline"

# What the operator reads to the caller once the report is filed (the caller's language).
RECEIPT = N_(
    "Your report has been received. Its number is %(reference)s. The code to check its "
    "status is %(code)s. Write them on paper, not in your phone, and keep them where others "
    "will not look."
)
URGENT_NOW = N_("The caseworkers on duty are being alerted now.")


@dataclass(frozen=True)
class TakenByPhone:
    """Who took a report for a caller: the operator (staff subject) and their name."""

    operator: str
    operator_name: str
    # The operator's role and agency, for the audit trail's entry of the report taken.
    role: str = ""
    agency: str = ""
    channel: str = HOTLINE

    @property
    def consent(self) -> str:
        """How the caller's consent was given, as the case records it."""
        return f"given orally to {self.operator_name}"

    def as_record(self) -> dict[str, str]:
        return {
            "channel": self.channel,
            "operator": self.operator,
            "operator_name": self.operator_name,
            "role": self.role,
            "agency": self.agency,
            "consent": self.consent,
        }

    @classmethod
    def of_record(cls, values: dict[str, str]) -> TakenByPhone:
        return cls(
            values["operator"],
            values["operator_name"],
            values.get("role", ""),
            values.get("agency", ""),
            values.get("channel", HOTLINE),
        )

    def audit_entry(self, reference: str, at: dt.datetime) -> AuditEntry:
        """The report taken, in the case's audit trail as the operator's act."""
        return AuditEntry(
            reference=reference,
            actor=self.operator,
            role=self.role,
            agency=self.agency,
            action="take-report",
            at=at,
            request_id=f"{self.channel}:{reference}",
            detail=f"on the {self.channel}; the caller's consent {self.consent}",
        )


def conversation_id(operator: str, token: str) -> str:
    """One call's conversation: the operator's own (nobody else continues it)."""
    return f"{HOTLINE}:{operator}:{token}"


def operator_of(conversation_id: str) -> str | None:
    prefix, _, rest = conversation_id.partition(":")
    operator, _, token = rest.rpartition(":")
    return operator if prefix == HOTLINE and operator and token else None


def now_asking(conversation: Conversation) -> Say | None:
    """What the operator reads aloud now: the open question, the answers read back, or
    which answer to change; None once the report is filed."""
    # The engine is imported on use: a case read (which carries TakenByPhone) needs none.
    from chalicelib.domain.answers import QUESTIONS
    from chalicelib.domain.conversation import (
        WHICH_ANSWER,
        Phase,
        Say,
        Words,
        ask,
        correctable,
        read_back,
    )

    if conversation.phase is Phase.REVIEW:
        return read_back(conversation)
    if conversation.phase is Phase.CHOOSING:
        options = tuple((q.name, Words(q.label)) for q in correctable(conversation))
        return Say((Words(WHICH_ANSWER),), choices=options)
    question = QUESTIONS.get(conversation.asking or "")
    if conversation.phase is Phase.ASKING and question is not None:
        return ask(question, conversation)
    return None
