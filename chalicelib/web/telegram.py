"""The Telegram bot's webhook (README "Telegram"): its own Lambda function and route.

Telegram posts each update here with the secret set by setWebhook in
`X-Telegram-Bot-Api-Secret-Token`. Anything without that secret is refused before its body
is read, and nothing of it is kept. An update with it is queued (SQS FIFO, one chat's
updates in order, grouped by chat) and answered at once: Telegram waits only a few
seconds and sends again what was not answered, so the conversation itself is worked
behind the queue (chalicelib/web/telegram_bot.py).

This function imports only this: chalice, the SQS and Secrets Manager clients, json.
"""

from __future__ import annotations

import hmac
import json
import logging

from chalice import Blueprint, Response

from chalicelib import wiring

bp = Blueprint(__name__)
log = logging.getLogger("homeward.telegram")

PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header's name
# An update is a message or a button press: far smaller than this.
MAX_UPDATE_BYTES = 64 * 1024


def _answer(status: int) -> Response:
    return Response(body="", status_code=status, headers={"Cache-Control": "no-store"})


def chat_of(update: dict) -> str | None:
    """The chat an update belongs to (a message's, or the message a pressed button is on)."""
    message = update.get("message") or (update.get("callback_query") or {}).get("message") or {}
    chat = (message.get("chat") or {}).get("id")
    return str(chat) if isinstance(chat, int) else None


@bp.route(PATH, methods=["POST"], content_types=["application/json"])
def webhook() -> Response:
    request = bp.current_request
    expected = wiring.telegram_settings().webhook_secret
    given = request.headers.get(SECRET_HEADER) or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("a Telegram webhook call without the right secret was refused")
        return _answer(401)
    raw = request.raw_body or b""
    if len(raw) > MAX_UPDATE_BYTES:
        return _answer(413)
    try:
        update = json.loads(raw)
    except ValueError:
        return _answer(400)
    update_id = update.get("update_id") if isinstance(update, dict) else None
    chat = chat_of(update) if isinstance(update, dict) else None
    if not isinstance(update_id, int) or chat is None:
        # An update of a kind the bot does not take (allowed_updates says which): taken, so
        # that Telegram does not send it again, and dropped.
        return _answer(200)
    wiring.telegram_queue().enqueue(raw.decode(), chat, update_id)
    return _answer(200)
