"""What a conversation (domain/conversation.py) needs from storage: its state between two
messages, kept until it expires, and a memory of the channel's updates already handled.

The DynamoDB adapter is adapters/dynamo/conversations.py (the state sealed at rest, and
removed by the table's TTL), the fake tests/fakes.py; tests/adapters runs the same
contract tests on both.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from chalicelib.domain.conversation import Conversation


class ConversationStore(Protocol):
    def get(self, conversation_id: str, now: dt.datetime) -> Conversation | None:
        """The conversation, unless there is none or it expired (however late the table's
        TTL removes the item)."""
        ...

    def save(self, conversation: Conversation) -> None:
        """Keep the state until `conversation.expires_at()`."""
        ...

    def forget(self, conversation_id: str) -> None: ...

    def first_time(self, update: str, now: dt.datetime, keep: dt.timedelta) -> bool:
        """Record a channel's update (its id) as handled; False when it was already: a
        replay, to be ignored."""
        ...

    def plan_tidy(self, conversation_id: str, due: dt.datetime) -> None:
        """Remember to delete a conversation's messages from its chat at `due`."""
        ...

    def tidies_due(self, now: dt.datetime, limit: int = 50) -> list[tuple[str, dt.datetime]]:
        """(conversation id, due) of the deletions whose time came, oldest first."""
        ...

    def drop_tidy(self, conversation_id: str, due: dt.datetime) -> None: ...
