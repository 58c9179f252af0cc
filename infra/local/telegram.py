"""A local stand-in of the Telegram Bot API, for `make run` and the tests.

It answers the methods Homeward calls (sendMessage, deleteMessage, answerCallbackQuery,
getFile and the file download, setWebhook, getWebhookInfo) with the Bot API's official
shapes (https://core.telegram.org/bots/api), under /bot<token>/<method> as Telegram does,
and plays the people on the other side: `send_text`, `send_photo` and `press` build
real-shaped updates and post them to the webhook that setWebhook set, with the secret
header Telegram sends, as Telegram would. It keeps each chat as its people see it
(messages the bot deleted are gone), and a small page at /chat/<id> lets a person play a
whole conversation in a browser during `make run`.

Like Telegram, it refuses a wrong token (401), a message that does not exist or is older
than 48 hours to delete (400), and a file it does not have.
"""

from __future__ import annotations

import html
import itertools
import json
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_ID = 7000000001
DELETABLE_SECONDS = 48 * 3600


@dataclass
class Chat:
    chat_id: int
    language: str = "uk"
    # message id -> the message as the Bot API shapes it; deleted ones are removed.
    messages: dict[int, dict] = field(default_factory=dict)


class TelegramStandIn:
    def __init__(
        self,
        token: str = "123456:local-stand-in-token",  # noqa: S107 - a stand-in's, for local runs
        *,
        deliver: Callable[[bytes, dict[str, str]], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.webhook_url = ""
        self.webhook_secret = ""
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, bytes] = {}
        self.calls: list[tuple[str, dict]] = []
        # How updates reach the webhook: over HTTP by default; a test may hand them to
        # chalice's test client instead.
        self._deliver = deliver or self._post
        self._clock = clock
        self._ids = itertools.count(1)
        self._updates = itertools.count(100001)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- the Bot API ------------------------------------------------------------------------

    def call(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict]:
        """One Bot API call: (HTTP status, the JSON answer)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        with self._lock:
            self.calls.append((method, params))
            try:
                return 200, {"ok": True, "result": handler(params)}
            except BadRequest as exc:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: {exc}",
                }

    def _chat(self, chat_id: Any) -> Chat:
        try:
            return self.chats[int(chat_id)]
        except (KeyError, TypeError, ValueError):
            raise BadRequest("chat not found") from None

    def _m_sendMessage(self, params: dict) -> dict:
        chat = self._chat(params.get("chat_id"))
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("message text is empty")
        if len(text) > 4096:
            raise BadRequest("message is too long")
        message = {
            "message_id": next(self._ids),
            "from": {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Homeward",
                "username": "homeward_bot",
            },
            "chat": {"id": chat.chat_id, "type": "private"},
            "date": int(self._clock()),
            "text": text,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        chat.messages[message["message_id"]] = message
        return message

    def _m_deleteMessage(self, params: dict) -> bool:
        chat = self._chat(params.get("chat_id"))
        message = chat.messages.get(int(params.get("message_id") or 0))
        if message is None:
            raise BadRequest("message to delete not found")
        if self._clock() - message["date"] > DELETABLE_SECONDS:
            raise BadRequest("message can't be deleted")
        del chat.messages[message["message_id"]]
        return True

    def _m_answerCallbackQuery(self, params: dict) -> bool:
        return True

    def _m_getFile(self, params: dict) -> dict:
        file_id = str(params.get("file_id") or "")
        if file_id not in self.files:
            raise BadRequest("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id[-8:],
            "file_size": len(self.files[file_id]),
            "file_path": f"photos/{file_id}.jpg",
        }

    def _m_setWebhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise BadRequest("bad webhook: HTTPS url must be provided for webhook")
        self.webhook_url, self.webhook_secret = url, str(params.get("secret_token") or "")
        return True

    def _m_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}

    def file(self, token: str, path: str) -> bytes | None:
        if token != self.token:
            return None
        file_id = path.rsplit("/", 1)[-1].removesuffix(".jpg")
        return self.files.get(file_id)

    # -- the people on the other side ----------------------------------------------------------

    def _person(self, chat_id: int, language: str) -> dict:
        return {"id": chat_id, "is_bot": False, "first_name": "Reporter", "language_code": language}

    def _incoming(self, chat_id: int, language: str, **content: Any) -> dict:
        with self._lock:
            chat = self.chats.setdefault(chat_id, Chat(chat_id, language))
            message = {
                "message_id": next(self._ids),
                "from": self._person(chat_id, chat.language),
                "chat": {"id": chat_id, "type": "private", "first_name": "Reporter"},
                "date": int(self._clock()),
                **content,
            }
            chat.messages[message["message_id"]] = message
            return {"update_id": next(self._updates), "message": message}

    def send_text(self, chat_id: int, text: str, language: str = "uk") -> dict:
        """A person writes to the bot; the update as delivered to the webhook."""
        update = self._incoming(chat_id, language, text=text)
        self.deliver(update)
        return update

    def send_photo(self, chat_id: int, data: bytes, language: str = "uk") -> dict:
        file_id = "AgAC" + secrets.token_hex(12)
        self.files[file_id] = data
        sizes = [
            {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "width": 1280,
                "height": 960,
                "file_size": len(data),
            }
        ]
        update = self._incoming(chat_id, language, photo=sizes)
        self.deliver(update)
        return update

    def press(self, chat_id: int, value: str) -> dict:
        """A person presses the button `value` of the newest bot message that has it."""
        with self._lock:
            chat = self.chats[chat_id]
            message = next(
                m
                for m in reversed(chat.messages.values())
                if any(
                    b.get("callback_data") == value
                    for row in m.get("reply_markup", {}).get("inline_keyboard", [])
                    for b in row
                )
            )
            update = {
                "update_id": next(self._updates),
                "callback_query": {
                    "id": str(next(self._ids)),
                    "from": self._person(chat_id, chat.language),
                    "message": message,
                    "chat_instance": str(chat_id),
                    "data": value,
                },
            }
        self.deliver(update)
        return update

    def buttons(self, chat_id: int) -> list[str]:
        """The buttons (callback data) of the bot's newest message."""
        for message in reversed(self.chats[chat_id].messages.values()):
            if message["from"]["is_bot"]:
                rows = message.get("reply_markup", {}).get("inline_keyboard", [])
                return [b["callback_data"] for row in rows for b in row]
        return []

    def texts(self, chat_id: int, *, of_bot: bool = True) -> list[str]:
        """What the chat shows now, oldest first (the bot's messages, or everyone's)."""
        return [
            m.get("text", "[photo]")
            for m in self.chats[chat_id].messages.values()
            if not of_bot or m["from"]["is_bot"]
        ]

    def deliver(self, update: dict) -> int:
        """Post one update to the webhook, as Telegram does (again, for a replay)."""
        headers = {"Content-Type": "application/json"}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        return self._deliver(json.dumps(update, ensure_ascii=False).encode(), headers)

    def _post(self, body: bytes, headers: dict[str, str]) -> int:
        if not self.webhook_url:
            return 0
        request = urllib.request.Request(  # noqa: S310 - the local webhook
            self.webhook_url, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local webhook
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    # -- serving -----------------------------------------------------------------------------

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the Bot API in a thread; its base URL (what HOMEWARD_TELEGRAM_API_URL is)."""
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the texts are reports
                pass

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith("/file/bot"):
                    token, _, rest = path[len("/file/bot") :].partition("/")
                    data = stand_in.file(token, rest)
                    if data is None:
                        self._answer(404, b'{"ok":false,"error_code":404}', "application/json")
                    else:
                        self._answer(200, data, "application/octet-stream")
                elif path.startswith("/chat/"):
                    self._answer(200, stand_in.page(int(path[6:] or 0)), "text/html; charset=utf-8")
                elif path.startswith("/bot"):
                    self._api(path, {})
                else:
                    self._answer(404, b"", "text/plain")

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if path.startswith("/chat/"):
                    stand_in.played(int(path[6:] or 0), parse_qs(raw.decode()))
                    self.send_response(303)
                    self.send_header("Location", path)
                    self.end_headers()
                    return
                try:
                    params = json.loads(raw or b"{}")
                except ValueError:
                    params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                self._api(path, params)

            def _api(self, path: str, params: dict) -> None:
                token, _, method = path[len("/bot") :].partition("/")
                status, answer = stand_in.call(token, method, params)
                self._answer(
                    status, json.dumps(answer, ensure_ascii=False).encode(), "application/json"
                )

        self._server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self._server.serve_forever, name="telegram", daemon=True).start()
        return f"http://{host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the page to play a conversation on (make run) ------------------------------------------

    def page(self, chat_id: int) -> bytes:
        chat = self.chats.get(chat_id)
        rows = []
        for message in chat.messages.values() if chat else []:
            who = "bot" if message["from"]["is_bot"] else "you"
            text = html.escape(message.get("text", "[photo]")).replace("\n", "<br>")
            buttons = "".join(
                f'<button name="press" value="{html.escape(b["callback_data"])}">'
                f"{html.escape(b['text'])}</button>"
                for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
            )
            rows.append(
                f'<p class="{who}"><b>{who}:</b> {text}</p><form method="post">{buttons}</form>'
            )
        return (
            "<!doctype html><meta charset=utf-8><title>Telegram stand-in</title>"
            "<style>body{font:16px sans-serif;max-width:40em;margin:auto}.you{text-align:right}"
            "button{margin:2px}</style><h1>Chat with the Homeward bot (local stand-in)</h1>"
            + "".join(rows)
            + '<form method="post"><input name="text" autofocus size="40">'
            "<button>Send</button></form><p>Start with /start. Refresh to see answers.</p>"
        ).encode()

    def played(self, chat_id: int, form: dict[str, list[str]]) -> None:
        if form.get("press"):
            self.press(chat_id, form["press"][0])
        elif (form.get("text") or [""])[0].strip():
            self.send_text(chat_id, form["text"][0])


class BadRequest(Exception):
    pass
