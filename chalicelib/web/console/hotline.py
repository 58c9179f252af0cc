"""The hotline operator's intake: a report taken for a caller on the phone.

The questions are the conversation engine's (services/conversations.py: the form's own,
one at a time, "I don't know" where the form allows it, the answers read back), shown
in the caller's language as the words to read aloud, the operator's page around them
in the operator's. The report is filed through the form's intake (an urgent one alerts
the duty caseworkers at once), its source the hotline, with who took it and the caller's
consent recorded as given orally to them (domain/hotline.py). The reference and the
status code are then read back to the caller.

A call's conversation is the operator's own: its id holds their staff subject, so no one
else can continue it, and its page's address holds only a random token.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from chalice import Response

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.console.base import WORKERS, Ctx, console_route, message

conversations = lazy_module("chalicelib.services.conversations")
conversation_words = lazy_module("chalicelib.web.conversation_words")
hotline = lazy_module("chalicelib.domain.hotline")
answers = lazy_module("chalicelib.domain.answers")
i18n = lazy_module("chalicelib.web.i18n")
case_domain = lazy_module("chalicelib.domain.case")

START = "/staff/hotline"
CALL = "/staff/hotline/{call}"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{12}$")
# The caller's language: the form's three.
LANGUAGES = (("uk", "Українська"), ("ru", "Русский"), ("en", "English"))


def _call_id(ctx: Ctx, call: str) -> str:
    return hotline.conversation_id(ctx.caller.staff.subject, call)


def _operator(ctx: Ctx):
    staff = ctx.caller.staff
    return hotline.TakenByPhone(
        staff.subject, staff.name or staff.email or staff.subject, staff.role, staff.agency
    )


def _page(ctx: Ctx, call: str, conversation, says, status: int = 200) -> Response:
    rendered = [conversation_words.render(say, conversation.language) for say in says]
    # Choices are the last message's (the question asked now); the rest only read aloud.
    choices = rendered[-1].buttons if rendered else ()
    return ctx.page(
        "hotline.html",
        status,
        call=call,
        rendered=rendered,
        choices=choices,
        caller_language=dict(LANGUAGES)[conversation.language],
        caller_lang=conversation.language,
        operator=_operator(ctx),
    )


@console_route(START, roles=WORKERS)
def start_page(ctx: Ctx) -> Response:
    return ctx.page("hotline.html", call=None, caller_languages=LANGUAGES, operator=_operator(ctx))


@console_route(START, ["POST"], roles=WORKERS)
def start(ctx: Ctx) -> Response:
    language = ctx.form.get("language", "uk")
    if language not in dict(LANGUAGES):
        language = "uk"
    call = secrets.token_urlsafe(9)
    heard = conversations.begin(
        wiring.conversations(),
        _call_id(ctx, call),
        language,
        dt.datetime.now(dt.UTC),
        settings=wiring.settings(),
        carries_files=False,
    )
    return _page(ctx, call, heard.conversation, heard.says)


@console_route(CALL, roles=WORKERS)
def call_page(ctx: Ctx, call: str) -> Response:
    found = _TOKEN.match(call) and wiring.conversations().get(
        _call_id(ctx, call), dt.datetime.now(dt.UTC)
    )
    if not found:
        return _gone(ctx)
    if found.reference:
        return _receipt(ctx, found)
    now_asking = hotline.now_asking(found)
    return _page(ctx, call, found, [now_asking] if now_asking else [])


@console_route(CALL, ["POST"], roles=WORKERS, back=lambda call: CALL[1:].format(call=call))
def answer(ctx: Ctx, call: str) -> Response:
    if not _TOKEN.match(call):
        return _gone(ctx)
    store = wiring.conversations()
    now = dt.datetime.now(dt.UTC)
    current = store.get(_call_id(ctx, call), now)
    if current is None:
        return _gone(ctx)
    if current.reference:
        # Filed already (a second press of "send"): its receipt, not the engine's words
        # for a reporter who writes again.
        return ctx.redirect(CALL[1:].format(call=call))
    choice = ctx.form.get("choice") or None
    typed = ctx.form.get("answer", "").strip()
    reply = answers.Reply(choice=choice) if choice else answers.Reply(text=typed)
    heard = conversations.hear(
        store,
        _call_id(ctx, call),
        reply,
        now,
        intake_with=conversations.Intake(
            wiring.stores(),
            wiring.settings(),
            None,
            # Charged to the operator (the form charges a caller's address).
            source=f"{hotline.HOTLINE}:{ctx.caller.staff.subject}",
            taken_by=_operator(ctx),
        ),
        words=i18n.gettext_for(current.language),
    )
    if heard.receipt is not None:
        return ctx.redirect(CALL[1:].format(call=call))
    return _page(ctx, call, heard.conversation or current, heard.says)


def _receipt(ctx: Ctx, conversation) -> Response:
    """The report filed: its reference and status code, to read back to the caller."""
    reference = conversation.reference
    code = case_domain.status_token(wiring.settings().signing_key, reference)
    case = wiring.stores().cases.get(reference)
    urgent = bool(case and case.urgent)
    words = i18n.gettext_for(conversation.language)
    aloud = [words(hotline.RECEIPT) % {"reference": reference, "code": code}]
    if urgent:
        aloud.insert(0, words(hotline.URGENT_NOW))
    return ctx.page(
        "hotline.html",
        call=None,
        filed=reference,
        status_code=code,
        urgent=urgent,
        aloud=aloud,
        caller_language=dict(LANGUAGES)[conversation.language],
        caller_lang=conversation.language,
        operator=_operator(ctx),
    )


def _gone(ctx: Ctx) -> Response:
    _ = ctx._
    return message(
        ctx,
        404,
        _("No such call"),
        _(
            "This call's report is not here: it was never started by you, or it was left "
            "unfinished for more than three days. Start a new report."
        ),
    )
