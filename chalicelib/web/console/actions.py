"""What a caseworker does on a case's page: each form one call into a service.

A refused form comes back as the case's page with the reason beside the field and every
word typed still there; a case changed by someone else meanwhile says so (and keeps the
words) rather than overwriting their change. A done change answers with a redirect to
the page (post, redirect, get), which then says what was done.
"""

from __future__ import annotations

from chalice import Response

from chalicelib import wiring
from chalicelib.domain.numbers import number_or
from chalicelib.lazy import lazy_module
from chalicelib.web import urls
from chalicelib.web.console.base import WORKERS, Ctx, console_route
from chalicelib.web.console.cases import case_page

acknowledgement = lazy_module("chalicelib.services.acknowledgement")
attachment_links = lazy_module("chalicelib.services.attachment_links")
casework = lazy_module("chalicelib.services.casework")
corrections = lazy_module("chalicelib.services.corrections")
workflow = lazy_module("chalicelib.domain.workflow")
colleagues_domain = lazy_module("chalicelib.domain.colleagues")
i18n = lazy_module("chalicelib.web.i18n")

CASE = "/staff/cases/{reference}"


def _back(reference: str) -> str:
    return urls.case_url(reference)


def _version(ctx: Ctx) -> int:
    text = ctx.form.get("version", "")
    return number_or(text, 0) or 0


def _done(ctx: Ctx, reference: str, what: str) -> Response:
    return ctx.redirect(_back(reference), done=what)


def _changed_meanwhile(ctx: Ctx, reference: str, typed: dict[str, str]) -> Response:
    _ = ctx._
    return case_page(
        ctx,
        reference,
        status=409,
        errors={
            "version": _(
                "Someone changed this case while you had it open. Check the "
                "case as it is now, then send your change again."
            )
        },
        typed=typed,
    )


@console_route(f"{CASE}/status", ["POST"], roles=WORKERS, back=_back)
def move(ctx: Ctx, reference: str) -> Response:
    _ = ctx._
    note = ctx.form.get("note", "").strip()
    target = ctx.form.get("status", "")
    typed = {"note": note}
    if not note:
        errors = {"note": _("Say why: every change of status needs a note.")}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    try:
        casework.move_case(
            ctx.caller,
            reference,
            target=workflow.Status(target),
            note=note[:5000],
            version=_version(ctx),
            stores=wiring.stores(),
        )
    except casework.StaleVersion:
        return _changed_meanwhile(ctx, reference, typed)
    except (workflow.MoveNotAllowed, ValueError):
        errors = {"status": _("This case cannot move there from where it stands.")}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    return _done(ctx, reference, "status")


@console_route(f"{CASE}/assign", ["POST"], roles=WORKERS, back=_back)
def assign(ctx: Ctx, reference: str) -> Response:
    _ = ctx._
    if not ctx.form.get("assignee"):
        errors = {"assignee": _("Choose a colleague from the list.")}
        return case_page(ctx, reference, status=422, errors=errors)
    try:
        casework.assign_case(
            ctx.caller,
            reference,
            assignee=ctx.form.get("assignee", ""),
            version=_version(ctx),
            stores=wiring.stores(),
        )
    except casework.StaleVersion:
        return _changed_meanwhile(ctx, reference, {})
    except colleagues_domain.UnknownAssignee:
        errors = {"assignee": _("Choose a colleague from the list.")}
        return case_page(ctx, reference, status=422, errors=errors)
    return _done(ctx, reference, "assigned")


@console_route(f"{CASE}/notes", ["POST"], roles=WORKERS, back=_back)
def note(ctx: Ctx, reference: str) -> Response:
    _ = ctx._
    text = ctx.form.get("text", "").strip()
    if not text:
        errors = {"text": _("Write the note first.")}
        return case_page(ctx, reference, status=422, errors=errors)
    casework.add_note(ctx.caller, reference, text=text[:5000], stores=wiring.stores())
    return _done(ctx, reference, "note")


@console_route(f"{CASE}/acknowledge", ["POST"], roles=WORKERS, back=_back)
def acknowledge(ctx: Ctx, reference: str) -> Response:
    _ = ctx._
    try:
        done = acknowledgement.acknowledge_in_console(
            ctx.caller,
            reference,
            ctx.form.get("delivery_id", ""),
            stores=wiring.stores(),
            directory=wiring.directory().current(),
        )
        wiring.metrics().add(
            "AcknowledgementSeconds", done.after_seconds, unit="Seconds", channel=done.channel
        )
    except acknowledgement.NotYours:
        errors = {"acknowledge": _("This alert was acknowledged already, or it is not yours.")}
        return case_page(ctx, reference, status=409, errors=errors)
    return _done(ctx, reference, "acknowledged")


@console_route(f"{CASE}/correct", ["POST"], roles=WORKERS, back=_back)
def correct(ctx: Ctx, reference: str) -> Response:
    from pydantic import ValidationError

    _ = ctx._
    field = ctx.form.get("field", "")
    typed = {
        "value": ctx.form.get("value", ""),
        "reason": ctx.form.get("reason", ""),
        "field": field,
    }
    if not typed["reason"].strip():
        errors = {"reason": _("Say why the report is corrected.")}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    try:
        corrections.correct_case(
            ctx.caller,
            reference,
            field=field,
            value=typed["value"][:200],
            reason=typed["reason"][:500],
            version=_version(ctx),
            stores=wiring.stores(),
        )
    except casework.StaleVersion:
        return _changed_meanwhile(ctx, reference, typed)
    except corrections.NotCorrectable:
        errors = {"value": _("This value cannot be read for this field.")}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    except ValidationError as invalid:
        messages = [i18n.error_message(e, ctx.lang) for e in invalid.errors()]
        errors = {"value": " ".join(dict.fromkeys(messages))}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    return _done(ctx, reference, "corrected")


@console_route(f"{CASE}/links", ["POST"], roles=WORKERS, back=_back)
def link(ctx: Ctx, reference: str) -> Response:
    from chalicelib.web.console.cases import REFERENCE

    _ = ctx._
    other = "".join(ctx.form.get("other", "").split()).upper()
    typed = {"other": other}
    if not REFERENCE.match(other) or other == reference:
        errors = {"other": _("Give the reference of another case, e.g. HW-7K3M-Q9TX.")}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    try:
        casework.link_cases(
            ctx.caller, reference, other=other, version=_version(ctx), stores=wiring.stores()
        )
    except casework.StaleVersion:
        return _changed_meanwhile(ctx, reference, typed)
    except casework.CaseNotFound:
        # The other case: missing, or not one this person may see; said the same way.
        errors = {"other": _("There is no case with this reference that you may open.")}
        return case_page(ctx, reference, status=422, errors=errors, typed=typed)
    return _done(ctx, reference, "linked")


@console_route(f"{CASE}/files/{{sha256}}", roles=WORKERS)
def open_file(ctx: Ctx, reference: str, sha256: str) -> Response:
    url = attachment_links.open_attachment(
        ctx.caller, reference, sha256, stores=wiring.stores(), files=wiring.file_store()
    )
    response = ctx.redirect(_back(reference))
    response.headers["Location"] = url
    return response
