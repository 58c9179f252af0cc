"""The Telegram Bot API, the few methods Homeward calls, over plain HTTPS (urllib).

No client library: python-telegram-bot and pyTelegramBotAPI each bring an HTTP stack
(httpx, requests) and hundreds of modules for the five methods used here (README
"Telegram" has the measured import times); the Bot API is JSON over HTTPS with official
shapes (https://core.telegram.org/bots/api), and urllib is already loaded by boto3.

Nothing here logs a message's text: it is a report about a child.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 10
# The Bot API serves files up to 20 MB; the report takes 10 MB (domain/attachments.py).
MAX_DOWNLOAD = 20 * 1024 * 1024


class TelegramError(Exception):
    """The Bot API refused a call (its error code and description), or could not be
    reached."""

    def __init__(self, method: str, code: int, description: str = "") -> None:
        super().__init__(f"{method}: {code} {description}")
        self.code = code


class TelegramBot:
    def __init__(self, api_url: str, token: str) -> None:
        self._api = api_url.rstrip("/")
        self._token = token

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the Bot API's https address (or the stand-in's)
            f"{self._api}/bot{self._token}/{method}",
            data=json.dumps(params, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read())
            except ValueError:
                raise TelegramError(method, exc.code) from None
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise TelegramError(method, 0, type(exc).__name__) from None
        if not answer.get("ok"):
            raise TelegramError(
                method, int(answer.get("error_code", 0)), str(answer.get("description", ""))
            )
        return answer["result"]

    def send_message(
        self, chat_id: int, text: str, buttons: list[tuple[str, str]] | None = None
    ) -> int:
        """Send a text (with one button a row, if any); the message's id."""
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if buttons:
            params["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": label, "callback_data": value}] for value, label in buttons
                ]
            }
        return int(self._call("sendMessage", params)["message_id"])

    def delete_message(self, chat_id: int, message_id: int) -> bool:
        """Delete a message; False when Telegram no longer lets it be deleted (older than
        48 hours, or gone already)."""
        try:
            return bool(self._call("deleteMessage", {"chat_id": chat_id, "message_id": message_id}))
        except TelegramError as exc:
            if exc.code == 400:
                return False
            raise

    def answer_callback_query(self, callback_query_id: str) -> None:
        """Stop the spinner on the button the person pressed."""
        self._call("answerCallbackQuery", {"callback_query_id": callback_query_id})

    def download(self, file_id: str, max_bytes: int) -> bytes | None:
        """A file the person sent (getFile, then the file's URL); None when it is larger
        than `max_bytes` (not downloaded at all, when Telegram says its size)."""
        found = self._call("getFile", {"file_id": file_id})
        if int(found.get("file_size") or 0) > max_bytes or "file_path" not in found:
            return None
        url = f"{self._api}/file/bot{self._token}/{found['file_path']}"
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
                data = response.read(max_bytes + 1)
        except (urllib.error.URLError, TimeoutError) as exc:
            raise TelegramError("file", 0, type(exc).__name__) from None
        return None if len(data) > max_bytes else data

    def set_webhook(self, url: str, secret_token: str) -> bool:
        """Point the bot at Homeward's webhook, with the secret Telegram will send back in
        X-Telegram-Bot-Api-Secret-Token; only the updates the bot handles."""
        return bool(
            self._call(
                "setWebhook",
                {
                    "url": url,
                    "secret_token": secret_token,
                    "allowed_updates": ["message", "callback_query"],
                    "drop_pending_updates": False,
                },
            )
        )


class TelegramQueue:
    """Updates waiting for the bot's worker (SQS FIFO: one chat's updates in order; a
    replay of one update within five minutes is dropped by SQS itself)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def enqueue(self, body: str, chat: str, update_id: int) -> None:
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=body,
            MessageGroupId=chat,
            MessageDeduplicationId=str(update_id),
        )
