"""Taking a report in a conversation, whatever the channel (Telegram now, the hotline's
operator, Viber next): the state kept between messages, files taken through the form's
upload checks, and the report filed through the form's own intake.

A channel adapter is thin. It turns what arrived into a `Reply` (a text, a button's
value, a file's bytes), calls `begin` / `hear` / `add_file` here with the conversation's
id (its own, e.g. "telegram:<chat id>"), and renders the `Say`s it gets back in the
reporter's language (chalicelib/web/conversation_words.py). When the person confirms
the read-back, `hear` files the report exactly as the form does
(services/attachments.py file_report: the case, its alert and ladder, matching, its
files) and returns the receipt.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.config import Settings
from chalicelib.domain import conversation as talk
from chalicelib.domain import form_keys
from chalicelib.domain.attachments import FileRefused, slot_key
from chalicelib.domain.conversation import (
    ALREADY_FILED,
    FAILED,
    NOT_STARTED,
    TRY_LATER,
    Conversation,
    Phase,
    Reply,
    Say,
    Words,
)
from chalicelib.domain.hotline import TakenByPhone
from chalicelib.domain.questions import FILE_REFUSED
from chalicelib.domain.report import Receipt
from chalicelib.logs import describe
from chalicelib.services import attachments, intake
from chalicelib.services.conversation_ports import ConversationStore
from chalicelib.services.outside_ports import FileStore
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.conversations")


@dataclass
class Heard:
    """What to say, the state now (None: there is none), and the receipt when this reply
    filed the report."""

    says: list[Say] = field(default_factory=list)
    conversation: Conversation | None = None
    receipt: Receipt | None = None
    # Whether the report filed is urgent (its receipt says whom to call at once).
    urgent: bool = False


@dataclass(frozen=True)
class Intake:
    """What filing needs: the stores, the settings, the uploads bucket (None: a channel
    without files, or a stage without uploads), and the source charged for the report."""

    stores: Stores
    settings: Settings
    files: FileStore | None
    source: str
    # A hotline operator's call: who took the report (the case records it).
    taken_by: TakenByPhone | None = None


def begin(
    store: ConversationStore,
    conversation_id: str,
    language: str,
    now: dt.datetime,
    *,
    settings: Settings,
    carries_files: bool = True,
) -> Heard:
    """A new conversation (replacing any unfinished one of the same id)."""
    key = form_keys.issue(settings.signing_key, now)
    conversation, says = talk.start(
        conversation_id, language, key, now, carries_files=carries_files
    )
    store.save(conversation)
    return Heard(says, conversation)


def hear(
    store: ConversationStore,
    conversation_id: str,
    reply: Reply,
    now: dt.datetime,
    *,
    intake_with: Intake,
    words: Callable[[str], str] = lambda m: m,
) -> Heard:
    """One reply heard; the report filed once the person confirms it."""
    conversation = store.get(conversation_id, now)
    if conversation is None:
        return Heard([Say((Words(NOT_STARTED),))])
    if conversation.phase is Phase.FILED:
        return Heard([Say((Words(ALREADY_FILED),))], conversation)
    conversation, says = talk.hear(conversation, reply, now, words)
    if conversation.phase is Phase.FILED:
        return _file(store, conversation, intake_with, now)
    store.save(conversation)
    return Heard(says, conversation)


def add_file(
    store: ConversationStore,
    conversation_id: str,
    data: bytes,
    content_type: str,
    now: dt.datetime,
    *,
    files: FileStore,
) -> Heard:
    """A photo or document the person sent: put in the conversation's next upload slot and
    checked at once with the form's checks (type by its first bytes, size, a photo
    re-encoded), so that a refused file is said at once and deleted."""
    conversation = store.get(conversation_id, now)
    if conversation is None:
        return Heard([Say((Words(NOT_STARTED),))])
    slot = talk.next_file_slot(conversation)
    if slot is None:
        return Heard([talk.files_full(conversation)], conversation)
    files.put_once(slot_key(conversation.key, slot), data, content_type)
    try:
        attachments.verify(files, conversation.key, [slot])
    except FileRefused as refused:
        return Heard([Say((Words(FILE_REFUSED[refused.reason]),))], conversation)
    conversation, says = talk.hear(conversation, Reply(file_slot=slot), now)
    store.save(conversation)
    return Heard(says, conversation)


def _file(
    store: ConversationStore, conversation: Conversation, how: Intake, now: dt.datetime
) -> Heard:
    from chalicelib.domain.report import Report

    report = Report.model_validate(talk.report_body(conversation))
    uploads = (
        attachments.verify(how.files, conversation.key, sorted(conversation.files))
        if how.files is not None and conversation.files
        else []
    )
    submission = intake.Submission(
        report=report,
        fingerprint=talk.fingerprint(conversation),
        idempotency_key=conversation.key,
        source=how.source,
        # The key is one the server issued (domain/form_keys.py), as a form's is.
        scope=intake.FORM_SCOPE,
        taken_by=how.taken_by,
    )
    reviewing = conversation.model_copy(update={"phase": Phase.REVIEW})
    try:
        receipt, _created = attachments.file_report(
            submission, uploads, store=how.files, stores=how.stores, settings=how.settings, now=now
        )
    except intake.TooManyRequests as exc:
        store.save(reviewing)
        minutes = max(1, -(-exc.retry_after // 60))
        return Heard([Say((Words(TRY_LATER, (("minutes", minutes),)),))], reviewing)
    except Exception as exc:
        log.error("a conversation's report was not filed: %s", describe(exc))
        store.save(reviewing)
        return Heard([Say((Words(FAILED),))], reviewing)
    # Filed: the answers are the case's now, and nothing of them stays here.
    conversation.reference = receipt.reference
    conversation.answers = {}
    store.save(conversation)
    return Heard([], conversation, receipt, urgent=report.urgent)


def forget(store: ConversationStore, conversation_id: str) -> None:
    store.forget(conversation_id)


# -- what a chat channel keeps to delete the conversation later ------------------------------

MESSAGES = "messages"
TIDY_AT = "tidy_at"


def note_messages(
    store: ConversationStore, conversation_id: str, message_ids: list[int], now: dt.datetime
) -> None:
    """Remember the chat's messages of a conversation (the person's and the channel's),
    to delete them later; nothing when there is no conversation."""
    conversation = store.get(conversation_id, now)
    if conversation is None or not message_ids:
        return
    conversation.channel.setdefault(MESSAGES, []).extend(message_ids)
    store.save(conversation)


def plan_tidy(store: ConversationStore, conversation_id: str, due: dt.datetime) -> None:
    """Delete the conversation from its chat at `due`, unless the person says no."""
    conversation = store.get(conversation_id, due - dt.timedelta(seconds=1))
    if conversation is None:
        return
    conversation.channel[TIDY_AT] = due.isoformat()
    store.save(conversation)
    store.plan_tidy(conversation_id, due)


def cancel_tidy(store: ConversationStore, conversation_id: str, now: dt.datetime) -> None:
    """The person keeps the conversation: nothing is deleted, and nothing more noted."""
    conversation = store.get(conversation_id, now)
    if conversation is None:
        return
    due = conversation.channel.pop(TIDY_AT, None)
    if due:
        store.drop_tidy(conversation_id, dt.datetime.fromisoformat(due))
    conversation.channel[MESSAGES] = []
    store.save(conversation)


def take_tidy(
    store: ConversationStore, conversation_id: str, now: dt.datetime, due: dt.datetime | None = None
) -> list[int]:
    """The messages to delete now (the plan dropped, the conversation forgotten)."""
    conversation = store.get(conversation_id, now)
    planned = conversation.channel.get(TIDY_AT) if conversation else None
    for at in {due, dt.datetime.fromisoformat(planned) if planned else None} - {None}:
        store.drop_tidy(conversation_id, at)
    store.forget(conversation_id)
    return list(conversation.channel.get(MESSAGES, [])) if conversation else []


def tidies_due(store: ConversationStore, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    return store.tidies_due(now)
