"""The Telegram bot's worker: each queued update (chalicelib/web/telegram.py) turned into a
step of the conversation (services/conversations.py), and the answers sent back.

A thin channel: the questions, checks and filing are the conversation engine's, the words
the form's catalogs' (web/conversation_words.py). What is Telegram's own is here: the
commands (/start, /status, /withdraw), buttons as inline keyboards, photos and documents
fetched with getFile into the form's upload checks, and safety. After the receipt the bot
offers to delete the conversation from the chat, and does so after a while unless the
reporter says no (a bot may delete its own messages and, in a private chat, the
person's, for 48 hours); the receipt alone stays. Nothing the bot sends names the child
unless it is the read-back of the reporter's own answers, which is deleted with the rest.
No phone number is ever asked of Telegram: the reporter gives one only if they want to be
contacted, as on the form.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from chalicelib import wiring
from chalicelib.domain.attachments import ACCEPTED_TYPES, MAX_BYTES
from chalicelib.domain.conversation import Reply, Say
from chalicelib.logs import describe
from chalicelib.web import i18n
from chalicelib.web.conversation_words import render
from chalicelib.web.i18n import N_
from chalicelib.web.reporter_words import STAGES, WITHDRAWALS

log = logging.getLogger("homeward.telegram")

CHANNEL = "telegram"
# How long an update id is remembered: Telegram gives up sending one long before.
REPLAYS_KEPT = dt.timedelta(days=2)
TIDY_NOW = "tidy:now"
TIDY_KEEP = "tidy:keep"
WITHDRAW = "withdraw:"

RECEIPT = N_(
    "Your report was received. Its number: %(reference)s. Its code: %(code)s. Write both "
    "down somewhere safe, away from this phone. With them you can check the report's "
    "status (send /status, the number and the code) or withdraw your consent (send "
    "/withdraw, the number and the code)."
)
URGENT_CALL = N_("Call %(name)s now as well, and give the number of your report:")
TIDY_OFFER = N_(
    "For your safety, this conversation will be deleted from this chat in %(minutes)s "
    "minutes, all but the message with the number and the code. Keep it only if nobody "
    "else can read this phone."
)
TIDY_NOW_LABEL = N_("Delete it now")
TIDY_KEEP_LABEL = N_("Keep the conversation")
KEPT = N_("The conversation stays in this chat. You can delete it in Telegram at any time.")
STATUS_HOW = N_(
    "Send /status, the number of your report and its code, for example: "
    "/status HW-7K3M-Q9TX ABCD-EFGH-JKMN-PQRS"
)
WITHDRAW_HOW = N_(
    "Send /withdraw, the number of your report and its code, for example: "
    "/withdraw HW-7K3M-Q9TX ABCD-EFGH-JKMN-PQRS"
)
WITHDRAW_CONFIRM = N_("Withdraw your consent")
TOO_MANY = N_(
    "Too many checks were made from your connection. Please try again in %(minutes)s minutes."
)
FILE_TOO_LARGE = N_("A file is larger than 10 MB and was removed.")


# Telegram takes at most 4096 characters a message; a read-back of long answers is more.
MAX_MESSAGE = 4096


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """A text in parts of at most `limit` characters, cut at line ends where it can be."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text]


def language_of(person: dict) -> str:
    """The reporter's language: their Telegram app's, if it is one of ours."""
    return i18n.pick((person.get("language_code") or "").split("-")[0])


def handle_updates(event: Any) -> dict[str, list]:
    """An SQS batch of updates (one chat's in order: a FIFO queue). A failed update is
    retried on its own, and the chat's later ones wait for it."""
    failures: list[dict[str, str]] = []
    for record in event:
        if failures:
            failures.append({"itemIdentifier": record.message_id})
            continue
        try:
            handle(json.loads(record.body), now=dt.datetime.now(dt.UTC))
        except Exception as exc:
            log.error("a Telegram update was not handled: %s", describe(exc))
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


class Chat:
    """One chat being answered: who, in which language, and what was said to them."""

    def __init__(self, chat_id: int, language: str, now: dt.datetime) -> None:
        self.chat_id = chat_id
        self.id = f"{CHANNEL}:{chat_id}"
        self.language = language
        self.now = now
        self.sent: list[int] = []
        # When the conversation is to be deleted, planned once this exchange's messages
        # are noted: a deletion that ran before would leave them in the chat.
        self.tidy_at: dt.datetime | None = None
        self.bot = wiring.telegram_bot()

    def words(self, msgid: str, **params: Any) -> str:
        text = i18n.gettext_for(self.language)(msgid)
        return text % params if params else text

    def send(self, text: str, buttons: tuple[tuple[str, str], ...] = ()) -> int:
        """Send a text (in parts, if it is longer than Telegram takes), the buttons under
        its last part; the last part's id."""
        parts = split_text(text)
        for number, part in enumerate(parts, 1):
            message_id = self.bot.send_message(
                self.chat_id, part, list(buttons) if number == len(parts) else None
            )
            self.sent.append(message_id)
        return message_id

    def say(self, says: list[Say]) -> None:
        for say in says:
            rendered = render(say, self.language)
            self.send(rendered.text, rendered.buttons)


def handle(update: dict, *, now: dt.datetime) -> None:
    store = wiring.conversations()
    if not store.first_time(f"{CHANNEL}#{update['update_id']}", now, REPLAYS_KEPT):
        return  # a replay: handled before
    callback = update.get("callback_query")
    message = update.get("message") or (callback or {}).get("message") or {}
    person = (callback or message).get("from") or {}
    chat_id = (message.get("chat") or {}).get("id")
    if not isinstance(chat_id, int) or (message.get("chat") or {}).get("type") != "private":
        return  # the bot takes reports in private chats only
    existing = store.get(f"{CHANNEL}:{chat_id}", now)
    chat = Chat(chat_id, existing.language if existing else language_of(person), now)
    theirs = [] if callback else [message["message_id"]]
    if callback:
        chat.bot.answer_callback_query(callback["id"])
        _pressed(chat, str(callback.get("data") or ""))
    elif message.get("photo") or message.get("document"):
        _file(chat, message)
    else:
        _text(chat, (message.get("text") or "").strip(), person)
    _remember(chat, theirs)
    if chat.tidy_at is not None:
        from chalicelib.services import conversations

        conversations.plan_tidy(store, chat.id, chat.tidy_at)


def _remember(chat: Chat, theirs: list[int]) -> None:
    """The messages of this exchange, to delete with the conversation later."""
    from chalicelib.services import conversations

    conversations.note_messages(wiring.conversations(), chat.id, theirs + chat.sent, chat.now)


def _intake(chat: Chat):
    from chalicelib.services import conversations

    return conversations.Intake(
        wiring.stores(), wiring.settings(), wiring.file_store(), f"{CHANNEL}:{chat.chat_id}"
    )


def _text(chat: Chat, text: str, person: dict) -> None:
    from chalicelib.services import conversations

    command, _, rest = text.partition(" ")
    command = command.split("@")[0].lower()
    if command == "/start":
        chat.language = language_of(person)
        heard = conversations.begin(
            wiring.conversations(), chat.id, chat.language, chat.now, settings=wiring.settings()
        )
        chat.say(heard.says)
    elif command == "/status":
        _status(chat, rest.split())
    elif command == "/withdraw":
        _withdraw(chat, rest.split())
    else:
        _heard(chat, Reply(text=text))


def _pressed(chat: Chat, value: str) -> None:
    if value in (TIDY_NOW, TIDY_KEEP):
        _tidy_choice(chat, value)
    elif value.startswith(WITHDRAW):
        _withdraw_confirmed(chat, value.removeprefix(WITHDRAW))
    else:
        _heard(chat, Reply(choice=value))


def _heard(chat: Chat, reply: Reply) -> None:
    from chalicelib.services import conversations

    heard = conversations.hear(
        wiring.conversations(),
        chat.id,
        reply,
        chat.now,
        intake_with=_intake(chat),
        words=i18n.gettext_for(chat.language),
    )
    chat.say(heard.says)
    if heard.receipt is not None:
        _receipt(chat, heard.receipt, urgent=heard.urgent)


def _file(chat: Chat, message: dict) -> None:
    from chalicelib.services import conversations

    if message.get("photo"):
        # The largest size Telegram made of the photo (a JPEG).
        biggest = max(message["photo"], key=lambda p: p.get("file_size") or 0)
        file_id, content_type = biggest["file_id"], "image/jpeg"
    else:
        document = message["document"]
        file_id = document["file_id"]
        content_type = document.get("mime_type") or "application/octet-stream"
    files = wiring.file_store()
    data = chat.bot.download(file_id, MAX_BYTES) if files is not None else None
    if files is None:
        return
    if data is None:
        chat.send(chat.words(FILE_TOO_LARGE))
        return
    heard = conversations.add_file(
        wiring.conversations(),
        chat.id,
        data,
        content_type if content_type in ACCEPTED_TYPES else "application/octet-stream",
        chat.now,
        files=files,
    )
    chat.say(heard.says)


# -- the receipt and the deletion of the conversation -------------------------------------


def _receipt(chat: Chat, receipt, *, urgent: bool) -> None:
    text = chat.words(RECEIPT, reference=receipt.reference, code=receipt.status_token)
    help_line = wiring.settings().help_line_in(chat.language) if urgent else None
    if help_line is not None:
        text += "\n\n" + chat.words(URGENT_CALL, name=help_line.name) + f" {help_line.shown}"
    kept = chat.send(text)
    chat.sent.remove(kept)  # the receipt stays when the rest goes
    minutes = max(1, wiring.telegram_settings().tidy_after_seconds // 60)
    chat.send(
        chat.words(TIDY_OFFER, minutes=minutes),
        ((TIDY_NOW, chat.words(TIDY_NOW_LABEL)), (TIDY_KEEP, chat.words(TIDY_KEEP_LABEL))),
    )
    chat.tidy_at = chat.now + dt.timedelta(seconds=wiring.telegram_settings().tidy_after_seconds)


def _tidy_choice(chat: Chat, value: str) -> None:
    from chalicelib.services import conversations

    store = wiring.conversations()
    if value == TIDY_KEEP:
        conversations.cancel_tidy(store, chat.id, chat.now)
        chat.send(chat.words(KEPT))
    else:
        tidy(chat.id, chat.now)


def tidy(conversation_id: str, now: dt.datetime, due: dt.datetime | None = None) -> int:
    """Delete a conversation's messages from its chat (all but the receipt) and forget it;
    how many were deleted."""
    from chalicelib.services import conversations

    messages = conversations.take_tidy(wiring.conversations(), conversation_id, now, due)
    chat_id = int(conversation_id.split(":", 1)[1])
    bot = wiring.telegram_bot()
    return sum(bot.delete_message(chat_id, m) for m in messages)


def tidy_due(now: dt.datetime | None = None) -> int:
    """The schedule: every conversation whose time to be deleted came, deleted."""
    from chalicelib.services import conversations

    now = now or dt.datetime.now(dt.UTC)
    done = 0
    for conversation_id, due in conversations.tidies_due(wiring.conversations(), now):
        try:
            tidy(conversation_id, now, due)
            done += 1
        except Exception as exc:  # the next run tries again
            log.error("a Telegram conversation was not deleted: %s", describe(exc))
    return done


# -- status and withdrawal ----------------------------------------------------------------


def _status(chat: Chat, words: list[str]) -> None:
    from chalicelib.services import intake, reporter

    if len(words) != 2:
        chat.send(chat.words(STATUS_HOW))
        return
    try:
        stage = reporter.look_up(
            words[0].upper(),
            words[1],
            source=f"{CHANNEL}:{chat.chat_id}",
            stores=wiring.stores(),
            settings=wiring.settings(),
        )
    except intake.TooManyRequests as exc:
        chat.send(chat.words(TOO_MANY, minutes=max(1, -(-exc.retry_after // 60))))
        return
    title, text = STAGES.get(stage or "", STAGES[None])
    chat.send(f"{chat.words(title)}\n\n{chat.words(text)}")


def _withdraw(chat: Chat, words: list[str]) -> None:
    from chalicelib.web.reporter_words import WITHDRAW_EFFECTS

    if len(words) != 2:
        chat.send(chat.words(WITHDRAW_HOW))
        return
    text = "\n".join(
        [chat.words(WITHDRAW_EFFECTS[0])] + [f"• {chat.words(e)}" for e in WITHDRAW_EFFECTS[1:]]
    )
    chat.send(text, ((f"{WITHDRAW}{words[0].upper()} {words[1]}", chat.words(WITHDRAW_CONFIRM)),))


def _withdraw_confirmed(chat: Chat, asked: str) -> None:
    from chalicelib.services import intake, reporter

    reference, _, token = asked.partition(" ")
    try:
        outcome = reporter.withdraw(
            reference,
            token,
            source=f"{CHANNEL}:{chat.chat_id}",
            request_id=f"telegram-{chat.chat_id}-{int(chat.now.timestamp())}",
            stores=wiring.stores(),
            settings=wiring.settings(),
            now=chat.now,
        )
    except intake.TooManyRequests as exc:
        chat.send(chat.words(TOO_MANY, minutes=max(1, -(-exc.retry_after // 60))))
        return
    chat.send("\n\n".join(chat.words(p) for p in WITHDRAWALS[str(outcome)]))
