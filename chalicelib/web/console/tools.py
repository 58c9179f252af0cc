"""What the staff API could do and the console could not: exporting cases, a
coordinator's break-glass access, and a person's requests about their data.

Each page calls the service its API route calls (services/exports.py, casework.break_glass,
services/data_requests.py), so the same person is authorised the same way and the same
entries reach the audit trail; only the forms and the words are the console's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib import wiring
from chalicelib.domain import labels
from chalicelib.domain.casefile import Filters
from chalicelib.domain.dates import NotADate, read_date
from chalicelib.domain.places import OBLASTS
from chalicelib.domain.staff import Role
from chalicelib.domain.workflow import Status
from chalicelib.lazy import lazy_module
from chalicelib.web import urls
from chalicelib.web.console.base import WORKERS, Ctx, console_route, headers, message, not_found
from chalicelib.web.console.cases import REFERENCE
from chalicelib.web.console.render import category_choices, named, oblast_choices

casework = lazy_module("chalicelib.services.casework")
data_requests = lazy_module("chalicelib.services.data_requests")
exports = lazy_module("chalicelib.services.exports")

COORDINATORS = (Role.COORDINATOR,)
FORMATS = ("csv", "xlsx")


def _download(ctx: Ctx, body: str | bytes, kind: str, name: str) -> Response:
    """A file the browser saves (never shown, never cached), with the page's headers."""
    return Response(
        body=body,
        status_code=200,
        headers={
            **headers(ctx),
            "Content-Type": kind,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


# -- exports -------------------------------------------------------------------------------


def _export_form(ctx: Ctx) -> tuple[dict[str, str], Filters | None, dict[str, str]]:
    """What was chosen (as typed, to show again), the filters it makes, and what is wrong."""
    form = ctx.form
    typed = {
        k: form.get(k, "").strip()[:40]
        for k in ("format", "status", "oblast", "category", "urgent", "since", "until")
    }
    errors: dict[str, str] = {}
    dates: dict[str, dt.date | None] = {"since": None, "until": None}
    for name in dates:
        if typed[name]:
            try:
                dates[name] = read_date(typed[name])
            except NotADate:
                errors[name] = ctx._("Write a date as day, month and year, e.g. 14.03.2026.")
    if errors:
        return typed, None, errors
    return (
        typed,
        Filters(
            status=Status(typed["status"]) if typed["status"] in set(Status) else None,
            oblast=typed["oblast"] if typed["oblast"] in OBLASTS else None,
            category=typed["category"] if typed["category"] in labels.CATEGORY else None,
            urgent={"yes": True, "no": False}.get(typed["urgent"]),
            received_from=dates["since"],
            received_to=dates["until"],
        ),
        errors,
    )


def _exports_page(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    _, lang = ctx._, ctx.lang
    context.setdefault("typed", {"format": "csv"})
    context.setdefault("errors", {})
    options = {
        "status": [(s, named(labels.STATUS, s, lang)) for s in Status],
        "oblast": oblast_choices(lang),
        "category": category_choices(lang),
        "urgent": [("yes", _("Urgent only")), ("no", _("Not urgent"))],
    }
    result = context.pop("result", None)
    return ctx.page("exports.html", status, result=result, options=options, **context)


@console_route("/staff/exports", roles=WORKERS)
def export_form(ctx: Ctx) -> Response:
    return _exports_page(ctx)


@console_route("/staff/exports", ["POST"], roles=WORKERS)
def export(ctx: Ctx) -> Response:
    _ = ctx._
    typed, filters, errors = _export_form(ctx)
    if filters is None:
        return _exports_page(ctx, 422, typed=typed, errors=errors)
    fmt = typed["format"] if typed["format"] in FORMATS else "csv"
    now = dt.datetime.now(dt.UTC)
    try:
        done = exports.export_cases(
            ctx.caller, filters, fmt, stores=wiring.stores(), files=wiring.file_store(), now=now
        )
    except exports.ExportUnavailable:
        return message(
            ctx,
            409,
            _("Not exported"),
            _("This export is too large to send at once, and this stage cannot keep it."),
        )
    if done.content is not None:
        name = f"homeward-cases-{now:%Y%m%d-%H%M}.csv"
        return _download(ctx, done.content, "text/csv; charset=utf-8", name)
    return _exports_page(ctx, typed=typed, result=done)


# -- break-glass ---------------------------------------------------------------------------


def _break_glass_page(ctx: Ctx, reference: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("typed", {})
    context.setdefault("errors", {})
    return ctx.page(
        "break_glass.html",
        status,
        reference=reference,
        reasons=list(labels.BREAK_GLASS_REASON),
        reason_words=lambda r: labels.heading(labels.word(labels.BREAK_GLASS_REASON, r, ctx.lang)),
        **context,
    )


@console_route("/staff/cases/{reference}/break-glass", roles=COORDINATORS)
def break_glass_form(ctx: Ctx, reference: str) -> Response:
    if not REFERENCE.match(reference):
        return not_found(ctx)
    # Only a case the coordinator may know of: the same "not found" as its page.
    casework.read_case(ctx.caller, reference, stores=wiring.stores())
    return _break_glass_page(ctx, reference)


@console_route("/staff/cases/{reference}/break-glass", ["POST"], roles=COORDINATORS)
def break_glass(ctx: Ctx, reference: str) -> Response:
    from pydantic import ValidationError

    from chalicelib.web.schemas import BreakGlass

    _ = ctx._
    if not REFERENCE.match(reference):
        return not_found(ctx)
    typed = {k: ctx.form.get(k, "") for k in ("reason", "explanation")}
    try:
        asked = BreakGlass.model_validate(typed)
    except ValidationError as invalid:
        where = {str(e["loc"][0]) for e in invalid.errors() if e["loc"]}
        errors = {}
        if "reason" in where:
            errors["reason"] = _("Choose why you must see what is withheld.")
        if "explanation" in where:
            errors["explanation"] = _("Say why in your own words: 10 to 500 characters.")
        return _break_glass_page(ctx, reference, 422, typed=typed, errors=errors)
    casework.break_glass(
        ctx.caller,
        reference,
        reason=asked.reason,
        explanation=asked.explanation,
        stores=wiring.stores(),
    )
    return ctx.redirect(urls.case_url(reference), done="break-glass")


# -- a person's requests about their data ----------------------------------------------


def _person(typed: str) -> Any:
    """Whom the coordinator means: a case's reference, an e-mail address, or a phone number
    as people write it (read as the report form reads it); None if it is none of them."""
    from chalicelib.domain.report import phone_in_e164

    compact = "".join(typed.split()).upper()
    if REFERENCE.match(compact):
        return data_requests.Person(reference=compact)
    if "@" in typed:
        return data_requests.Person(email=typed.strip())
    phone = phone_in_e164(typed)
    return data_requests.Person(phone=phone) if phone else None


def _requests_page(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    context.setdefault("typed", "")
    context.setdefault("errors", {})
    context.setdefault("nothing", None)
    context.setdefault("erased", None)
    return ctx.page("data_requests.html", status, **context)


@console_route("/staff/data-requests", roles=COORDINATORS)
def data_requests_form(ctx: Ctx) -> Response:
    return _requests_page(ctx)


def _unknown(ctx: Ctx) -> dict[str, str]:
    return {
        "person": ctx._(
            "Write the e-mail address or phone number the person reported with, or a case's "
            "reference such as HW-7K3M-Q9TX."
        )
    }


def _answer(ctx: Ctx, service: Callable[..., Any], errors: dict[str, str]) -> tuple[str, Any]:
    """What was typed, and the service's answer about that person: None, with `errors`
    filled, when there was something wrong with the form or nobody to ask about."""
    from chalicelib.domain.erasure import NotAnAddress

    typed = ctx.form.get("person", "").strip()[:254]
    person = _person(typed) if typed else None
    if person is None:
        errors.update(_unknown(ctx))
    if errors:
        return typed, None
    try:
        found = service(ctx.caller, person, stores=wiring.stores(), settings=wiring.settings())
    except NotAnAddress:
        errors.update(_unknown(ctx))
        return typed, None
    return typed, found


@console_route("/staff/data-requests/export", ["POST"], roles=COORDINATORS)
def data_export(ctx: Ctx) -> Response:
    from chalicelib.web.schemas import DataExport

    errors: dict[str, str] = {}
    typed, held = _answer(ctx, data_requests.export, errors)
    if errors:
        return _requests_page(ctx, 422, typed=typed, errors=errors)
    if not held:
        return _requests_page(ctx, typed=typed, nothing="export")
    # What the API answers, as a file to hand to the person.
    body = DataExport.of(held).model_dump_json(indent=2)
    name = f"homeward-data-request-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.json"
    return _download(ctx, body, "application/json; charset=utf-8", name)


@console_route("/staff/data-requests/erase", ["POST"], roles=COORDINATORS)
def data_erase(ctx: Ctx) -> Response:
    errors = {}
    if ctx.form.get("confirm") != "yes":
        errors["confirm"] = ctx._("Tick that the person asked to be forgotten.")
    typed, done = _answer(ctx, data_requests.erase, errors)
    if errors:
        return _requests_page(ctx, 422, typed=typed, errors=errors)
    if not (done.erased or done.nothing_left):
        return _requests_page(ctx, typed=typed, nothing="erase")
    return _requests_page(ctx, erased=done)
