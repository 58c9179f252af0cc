"""The whole-life test's steps through the other doors of Homeward (test_case_life.py):
the staff console over HTTP, the prosecutor's evidence package on the runner's stage, the
Telegram bot through the runner's stand-in of the Bot API, the hotline operator's page."""

from __future__ import annotations

import contextlib
import io
import re
import urllib.error
import urllib.request
import zipfile

from helpers import wait_for
from services.test_evidence_packages import rewritten

from chalicelib.domain import conversation as talk
from chalicelib.web.i18n import gettext_for
from chalicelib.web.telegram_bot import RECEIPT

SIGNING_KEY = "life-signing-key"  # the runner's, which `homeward evidence` shares
UK = gettext_for("uk")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


class ConsoleHttp:
    """The staff console over HTTP, as one demo person's browser: its session cookie and
    the form token of the page it last read. Redirects are answered, not followed."""

    def __init__(self, base: str, subject: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.statuses: list[tuple[int, str]] = []
        self.opener = urllib.request.build_opener(NoRedirect)
        assert self.send("/staff/sign-in", {"subject": subject})[0] == 303

    def send(self, path: str, fields: dict | None = None) -> tuple[int, str, str]:
        """GET `path`, or POST `fields` to it: (status, page, where it redirects)."""
        from urllib.parse import urlencode

        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if fields is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urlencode({"csrf": self.csrf, **fields}).encode()
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            response = self.opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            page = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        self.csrf = found.group(1) if found else self.csrf
        self.statuses.append((response.status, f"{request.get_method()} {path}"))
        return response.status, page, response.headers.get("Location") or ""


@contextlib.contextmanager
def on_the_stage(endpoint: str):
    """This process as a coordinator's machine with the evidence role on the runner's
    stage: its (emulated) AWS, the stack's outputs in the environment as `homeward
    evidence` wants them, and the local Time-Stamp Authority for the daily anchor."""
    import os
    from unittest import mock

    import boto3

    from chalicelib import wiring
    from infra.local import emulator

    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint)
    (stack,) = cloudformation.describe_stacks(StackName="homeward-local")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    kept = (wiring.local_tsa, wiring.local_staff, wiring.local_outbox)
    with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": endpoint}):
        emulator.configure_app(outputs, "local", HOMEWARD_SIGNING_KEY=SIGNING_KEY)
        try:
            yield wiring
        finally:
            wiring.local_tsa, wiring.local_staff, wiring.local_outbox = kept
            wiring.reset()


def homeward(argv: list[str]) -> tuple[int, str]:
    from contextlib import redirect_stdout

    from chalicelib.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


def verify(path) -> tuple[int, str]:
    return homeward(["evidence", "verify", str(path)])


def prosecutors_package(endpoint: str, reference: str, photo: bytes, folder) -> None:
    """Issue 27 on the runner's stage: the photo kept as received, its viewing by staff in
    its custody, the day's anchor; a coordinator with the evidence role builds a package
    for the Prosecutor General's Office and hands it over (`homeward evidence`); offline,
    everything holds; then one byte of the photo, one custody entry and one time stamp
    changed, and the verifier names each."""
    from chalicelib.domain.evidence import CustodyAction

    with on_the_stage(endpoint) as wiring:
        from chalicelib import handlers

        stores = wiring.stores()
        (item,) = stores.evidence.items_of(reference)
        assert wiring.evidence_files().read(item.key, item.version_id) == photo
        assert stores.evidence.chain(item)[-1].action == CustodyAction.VIEWED
        assert handlers.anchor_custody({}) == 1
        me = ["--by", "demo-olena-koval", "--agency", "UA-NIB"]
        recipient = ["--recipient", "Office of the Prosecutor General"]
        code, said = homeward(["evidence", "package", *recipient, *me, reference])
        assert code == 0 and "1 file(s) of 1 case(s)" in said, said
        package_id = said.split(":")[0]
        path = folder / "package.zip"
        code, said = homeward(["evidence", "hand-over", package_id, "--out", str(path), *me])
        assert code == 0, said
        (item,) = stores.evidence.items_of(reference)
        assert [e.action for e in stores.evidence.chain(item)[-2:]] == [
            "exported",
            "handed_over",
        ]
        assert wiring.evidence_files().held(item.key, item.version_id)

    # Offline, everything holds.
    code, said = verify(path)
    assert code == 0 and "every check holds" in said, said
    assert "RFC 3161 time stamp" in said and "FAILS" not in said

    # One byte of the photo, one custody entry, one time stamp: each is named.
    original = f"originals/{item.item}.jpg"
    custody = f"custody/{item.item}.jsonl"
    (token,) = [n for n in zipfile.ZipFile(path).namelist() if n.endswith(".tsr")]
    tampered = {
        original: (lambda d: d[:100] + bytes([d[100] ^ 1]) + d[101:], f"FAILS   {original}:"),
        custody: (
            lambda d: d.replace(b'"why": "on receipt"', b'"why": "on request"', 1),
            f"FAILS   custody entry 1 of {item.item} was changed",
        ),
        token: (lambda d: d[:-40] + bytes([d[-40] ^ 1]) + d[-39:], f"FAILS   {token}:"),
    }
    for name, (change, named) in tampered.items():
        code, said = verify(rewritten(path, name, change))
        assert code == 1 and named in said, said
        assert said.count("FAILS") == 1, said


def aloud(page: str) -> str:
    """What the hotline page asks the operator to read to the caller now."""
    import html

    return html.unescape(re.search(r'id="hotline-aloud">(.*?)</div>', page, re.S).group(1))


def question_in(words: str) -> str | None:
    """The report's question these (Ukrainian) words ask: the longest label they hold
    (one label may be inside another's help)."""
    from chalicelib.domain.answers import QUESTIONS

    found = [name for name, q in QUESTIONS.items() if UK(q.label) in words]
    return max(found, key=lambda name: len(UK(QUESTIONS[name].label)), default=None)


class TelegramChat:
    """A reporter's private chat with the bot, played on the runner's Telegram stand-in
    (infra/local/telegram.py) through its chat page, as a person does on `make run`: what
    the chat shows now, a message typed, a button pressed."""

    def __init__(self, base: str, chat_id: int) -> None:
        self.url = f"{base}/chat/{chat_id}"

    def shown(self) -> list[tuple[str, str, list[str]]]:
        """Each message the chat shows, oldest first: (whose, its text, its buttons)."""
        import html

        with urllib.request.urlopen(self.url, timeout=10) as response:
            page = response.read().decode()
        rows = re.findall(
            r'<p class="(bot|you)"><b>\w+:</b> (.*?)</p><form[^>]*>(.*?)</form>', page
        )
        return [
            (
                who,
                html.unescape(text.replace("<br>", "\n")),
                [html.unescape(v) for v in re.findall(r'name="press" value="([^"]*)"', buttons)],
            )
            for who, text, buttons in rows
        ]

    def bot_says(self) -> tuple[str, list[str]]:
        said = [(text, buttons) for who, text, buttons in self.shown() if who == "bot"]
        return said[-1] if said else ("", [])

    def send(self, how: str, value: str) -> None:
        """Type `value` ("text"), or press the button of that value ("press")."""
        from urllib.parse import urlencode

        form = urlencode({how: value}).encode()
        with urllib.request.urlopen(self.url, data=form, timeout=10):
            pass

    def answer(self, what) -> tuple[str, list[str]]:
        """What the bot says once `what(text, buttons)` holds of its newest message."""

        def said():
            text, buttons = self.bot_says()
            return (text, buttons) if what(text, buttons) else None

        return wait_for(said, seconds=30, pause=0.05)


def now_asking(text: str, buttons: list[str]) -> str | None:
    """What the bot's message asks: a question of the report, photos, or to send it."""
    if talk.SEND in buttons:
        return talk.SEND
    return talk.FILES if talk.NO_MORE_FILES in buttons else question_in(text)


def report_through_the_bot(chat: TelegramChat, answers: dict) -> tuple[str, str]:
    """A report in Ukrainian, question by question (no photo: "no more photos"), read
    back and sent; the receipt's reference and status code."""
    chat.send("text", "/start")
    asked = None
    while asked != talk.SEND:
        text, buttons = chat.answer(
            lambda text, buttons, before=asked: now_asking(text, buttons) not in (None, before)
        )
        asked = now_asking(text, buttons)
        if asked == talk.FILES:
            chat.send("press", talk.NO_MORE_FILES)
        elif asked != talk.SEND:
            chat.send(*answers[asked])
    assert "Ковальчук" in text and "2012" in text  # the answers read back
    chat.send("press", talk.SEND)
    received = UK(RECEIPT).split("%")[0]
    chat.answer(lambda text, buttons: any(received in t for _, t, _ in chat.shown()))
    (receipt,) = [t for _, t, _ in chat.shown() if received in t]
    reference = receipt.split(": ")[1].split(".")[0]
    code = receipt.split(": ")[2].split(". ")[0]
    return reference, code


def take_a_call(operator: ConsoleHttp, language: str, caller: dict) -> tuple[str, str]:
    """The hotline page as an operator uses it: a call in the caller's language, each
    question read aloud and the caller's answer recorded (`caller`: the question's name ->
    (field, value) as test_hotline.CALLER), the answers read back, then sent. What was
    read back, and the receipt's page."""
    assert operator.send("/staff/hotline?lang=en")[0] == 200
    status, text, _ = operator.send("/staff/hotline", {"language": language})
    assert status == 200
    call = re.search(r'staff/hotline/([A-Za-z0-9_-]{12})"', text).group(1)
    while UK("Here is what you told us. Please check it.") not in aloud(text):
        field, value = caller[question_in(aloud(text))]
        status, text, _ = operator.send(f"/staff/hotline/{call}", {field: value})
        assert status == 200, text
    assert operator.send(f"/staff/hotline/{call}", {"choice": talk.SEND})[0] == 303
    return aloud(text), operator.send(f"/staff/hotline/{call}")[1]
