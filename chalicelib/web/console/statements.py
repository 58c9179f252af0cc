"""Witness statements on a case's page: the list in words and the form to take one.
(Their words are read through the staff API by the evidence role: services/statements.py.)

The form says before anything is typed that Homeward never asks a child to testify; a
refused statement comes back on the case's page with the reason beside its field and
every word typed still there (services/statements.py keeps it, sealed).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from chalice import Response

from chalicelib import wiring
from chalicelib.domain.dates import NotADate, read_date
from chalicelib.domain.statements import (
    NothingToWithdraw,
    StatementLanguage,
    StatementRefused,
    TakenHow,
    TakerRole,
    WitnessRelation,
)
from chalicelib.domain.words import KYIV
from chalicelib.lazy import lazy_module
from chalicelib.web import urls
from chalicelib.web.console.base import WORKERS, Ctx, console_route
from chalicelib.web.console.cases import case_page

statements = lazy_module("chalicelib.services.statements")

CASE = "/staff/cases/{reference}"
# The form's fields, apart from the case page's other forms' (a refused form keeps them).
TYPED = ("st_witness", "st_name", "st_day", "st_time", "st_language", "st_other_language",
         "st_saw", "st_heard", "st_taker", "st_how", "st_consent", "st_adds_to")  # fmt: skip
_TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def _back(reference: str) -> str:
    return urls.case_url(reference)


def _given_at(ctx: Ctx, typed: dict[str, str], errors: dict[str, str]) -> dt.datetime | None:
    _ = ctx._
    try:
        day = read_date(typed["st_day"])
    except NotADate:
        errors["st_day"] = _("Write a date as day, month and year, e.g. 14.03.2026.")
        return None
    time = _TIME.fullmatch(typed["st_time"])
    if not time:
        errors["st_time"] = _("Write the time as hours and minutes, e.g. 14:30.")
        return None
    local = dt.datetime.combine(day, dt.time(int(time[1]), int(time[2])), ZoneInfo(KYIV))
    return local.astimezone(dt.UTC)


# What the domain's refusal names, as the form's field.
_FIELDS = {"saw": "st_saw", "other_language": "st_other_language", "given_at": "st_day",
           "adds_to": "st_adds_to", "adult_confirmed": "st_adult"}  # fmt: skip


@console_route(f"{CASE}/statements", ["POST"], roles=WORKERS, back=_back)
def take(ctx: Ctx, reference: str) -> Response:
    _ = ctx._
    typed = {name: ctx.form.get(name, "").strip() for name in TYPED}
    errors: dict[str, str] = {}
    given_at = _given_at(ctx, typed, errors)
    picked = {}
    for name, enum in (
        ("st_witness", WitnessRelation),
        ("st_language", StatementLanguage),
        ("st_taker", TakerRole),
        ("st_how", TakenHow),
    ):
        try:
            picked[name] = enum(typed[name])
        except ValueError:
            errors[name] = _("Choose one of the list.")
    if typed["st_consent"] not in ("yes", "no"):
        errors["st_consent"] = _("Ask the witness, and say what they answered.")
    if ctx.form.get("st_adult") != "yes":
        errors["st_adult"] = _(
            "Homeward never asks a child to testify: take a statement only from an adult "
            "(18 or over), and confirm it."
        )
    if errors or given_at is None:
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    new = statements.NewStatement(
        relation=picked["st_witness"],
        given_at=given_at,
        language=picked["st_language"],
        saw=typed["st_saw"],
        heard=typed["st_heard"],
        taker_role=picked["st_taker"],
        taken_how=picked["st_how"],
        adult_confirmed=True,
        evidence_consent=typed["st_consent"] == "yes",
        witness_name=typed["st_name"][:200] or None,
        other_language=typed["st_other_language"][:200] or None,
        adds_to=typed["st_adds_to"] or None,
    )
    try:
        statements.take(
            ctx.caller, reference, new, stores=wiring.stores(), now=dt.datetime.now(dt.UTC)
        )
    except StatementRefused as refused:
        errors = {_FIELDS.get(refused.field, "st_saw"): _refusal(ctx, refused)}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    return ctx.redirect(_back(reference), done="statement")


def _refusal(ctx: Ctx, refused: StatementRefused) -> str:
    _ = ctx._
    return {
        "saw": _("Write down what the witness saw, or what they heard, or both."),
        "other_language": _("Name the language the statement was given in."),
        "given_at": _("A statement cannot be given in the future."),
        "adds_to": _("Choose a statement of this case."),
    }.get(refused.field, _("The statement could not be kept as written."))


@console_route(
    f"{CASE}/statements/{{statement_id}}/consent-withdrawal", ["POST"], roles=WORKERS, back=_back
)
def withdraw_consent(ctx: Ctx, reference: str, statement_id: str) -> Response:
    """The witness withdrew the consent to the statement's use by prosecutors: recorded,
    with how they asked (required); refused, the page says why and keeps what was typed."""
    _ = ctx._
    number = statement_id.rpartition("-S")[2]
    field = f"sw_why-{number}"
    why = ctx.form.get("sw_why", "").strip()
    try:
        statements.withdraw_consent(
            ctx.caller, reference, statement_id, why, stores=wiring.stores(), now=_now()
        )
    except StatementRefused:
        error = _("Say how the witness asked to withdraw it (by phone, in person...).")
        return case_page(ctx, reference, status=422, errors={field: error}, typed={field: why})
    except NothingToWithdraw as refused:
        error = (
            _("The witness withdrew this consent before: it is recorded once.")
            if refused.withdrawn_at
            else _("The witness never agreed to its use by prosecutors: nothing to withdraw.")
        )
        return case_page(ctx, reference, status=409, errors={field: error}, typed={field: why})
    return ctx.redirect(_back(reference), done="statement-withdrawn")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
