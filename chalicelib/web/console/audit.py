"""Auditors' pages: who saw and changed a case, and the directory. No case content: the
trail names people, actions and times, and the services refuse auditors any case."""

from __future__ import annotations

from chalice import Response

from chalicelib import wiring
from chalicelib.domain.dates import NotADate, read_date
from chalicelib.domain.staff import Role
from chalicelib.lazy import lazy_module
from chalicelib.web.console import trail as trail_words
from chalicelib.web.console.base import Ctx, console_route
from chalicelib.web.console.cases import REFERENCE

casework = lazy_module("chalicelib.services.casework")
directory = lazy_module("chalicelib.services.directory")
data_requests = lazy_module("chalicelib.services.data_requests")

AUDITORS = (Role.AUDITOR,)


def _filters(ctx: Ctx) -> tuple[dict[str, str], dict[str, object], dict[str, str]]:
    """What the auditor chose (as typed, to show again), as the trail reads it, and why a
    typed date was not read."""
    typed = {k: (ctx.query(k) or "").strip()[:40] for k in ("person", "action", "since", "until")}
    chosen: dict[str, object] = {"person": typed["person"] or None}
    chosen["action"] = typed["action"] if typed["action"] in trail_words.ACTION_NAMES else None
    errors: dict[str, str] = {}
    for name in ("since", "until"):
        chosen[name] = None
        if typed[name]:
            try:
                chosen[name] = read_date(typed[name])
            except NotADate:
                errors[name] = ctx._("Write a date as day, month and year, e.g. 14.03.2026.")
    return typed, chosen, errors


def _page(ctx: Ctx, trail: list | None, *, reference: str, missing: bool, subject: str):
    typed, chosen, errors = _filters(ctx)
    people = wiring.staff_names().current()
    current = wiring.directory().current()
    days = None
    if trail is not None:
        days = trail_words.read_trail(
            trail, ctx._, ctx.lang, people, current.organisation_of, **chosen
        )
    return ctx.page(
        "audit.html",
        reference=reference,
        days=days,
        missing=missing,
        subject=subject,
        typed=typed,
        errors=errors,
        persons=trail_words.people_in(trail or [], people),
        actions=sorted({e.action for e in trail or [] if e.action in trail_words.ACTION_NAMES}),
        action_names=trail_words.ACTION_NAMES,
    )


@console_route("/staff/audit", roles=AUDITORS)
def audit(ctx: Ctx) -> Response:
    reference = "".join((ctx.query("reference") or "").split()).upper()
    trail = None
    missing = False
    if reference:
        if REFERENCE.match(reference):
            try:
                trail = casework.audit_trail(ctx.caller, reference, stores=wiring.stores())
            except casework.CaseNotFound:
                missing = True
        else:
            missing = True
    return _page(ctx, trail, reference=reference, missing=missing, subject="case")


@console_route("/staff/audit/directory", roles=AUDITORS)
def directory_audit(ctx: Ctx) -> Response:
    trail = directory.audit_trail(ctx.caller, stores=wiring.stores())
    return _page(ctx, trail, reference="", missing=False, subject="directory")


@console_route("/staff/audit/data-requests", roles=AUDITORS)
def data_requests_audit(ctx: Ctx) -> Response:
    trail = data_requests.audit_trail(ctx.caller, stores=wiring.stores())
    return _page(ctx, trail, reference="", missing=False, subject="data-requests")
