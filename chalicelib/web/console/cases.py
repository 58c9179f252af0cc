"""The inbox, search, and a case's page: what a caseworker opens all day.

Each page is the staff API's services (the list, search, the case, its matches) and the
domain's rules (which workflow moves a case may take, whom it may be assigned to, which
alerts are the person's own to acknowledge), written out for people.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from chalice import Response

from chalicelib import wiring
from chalicelib.domain import labels
from chalicelib.domain.casefile import Filters, InvalidCursor
from chalicelib.domain.corrections import CORRECTABLE, value_of
from chalicelib.domain.dates import NotADate, read_date
from chalicelib.domain.list_filters import FLAGS, MAX_AGE, ChildFilters
from chalicelib.domain.numbers import number_or
from chalicelib.domain.places import OBLASTS
from chalicelib.domain.references import REFERENCE_PATTERN
from chalicelib.domain.staff import Role
from chalicelib.domain.workflow import ALLOWED_MOVES, Status
from chalicelib.lazy import lazy_module
from chalicelib.web import urls
from chalicelib.web.console import render
from chalicelib.web.console.base import EVERYONE, WORKERS, Ctx, console_route, not_found
from chalicelib.web.console.base import headers as base_headers
from chalicelib.web.console.evidence import section as evidence_section
from chalicelib.web.console.timeline import timeline

acknowledgement = lazy_module("chalicelib.services.acknowledgement")
bulk = lazy_module("chalicelib.services.bulk")
exports = lazy_module("chalicelib.services.exports")
casework = lazy_module("chalicelib.services.casework")
colleagues = lazy_module("chalicelib.services.colleagues")
inbox_service = lazy_module("chalicelib.services.inbox")
matching = lazy_module("chalicelib.services.matching")
search_service = lazy_module("chalicelib.services.search")
witness_statements = lazy_module("chalicelib.web.console.statement_words")

REFERENCE = re.compile(REFERENCE_PATTERN)
PAGE = 25


def _filters(ctx: Ctx, errors: dict[str, str]) -> tuple[Filters, dict[str, str]]:
    """The inbox's filters from its query, each kept only if it is one of ours; a date
    that is not one is said in `errors` (and not applied)."""
    chosen: dict[str, str] = {}
    status = ctx.query("status")
    if status in set(Status):
        chosen["status"] = status
    oblast = ctx.query("oblast")
    if oblast in OBLASTS:
        chosen["oblast"] = oblast
    category = ctx.query("category")
    if category in labels.CATEGORY:
        chosen["category"] = category
    urgent = ctx.query("urgent")
    if urgent in ("yes", "no"):
        chosen["urgent"] = urgent
    assignee = ctx.query("assignee") or ""
    if assignee == "mine" or re.fullmatch(r"[A-Za-z0-9_.@:-]{1,128}", assignee):
        chosen["assignee"] = assignee
    subject = ctx.caller.staff.subject if assignee == "mine" else chosen.get("assignee")
    received: dict[str, dt.date | None] = {"since": None, "until": None}
    for name in received:
        typed = (ctx.query(name) or "").strip()[:40]
        if typed:
            chosen[name] = typed
            try:
                received[name] = read_date(typed)
            except NotADate:
                errors[name] = ctx._("Write a date as day, month and year, e.g. 14.03.2026.")
    return (
        Filters(
            status=Status(status) if "status" in chosen else None,
            oblast=chosen.get("oblast"),
            category=chosen.get("category"),
            urgent={"yes": True, "no": False}.get(urgent or ""),
            received_from=received["since"],
            received_to=received["until"],
            assignee=subject,
        ),
        chosen,
    )


def _child_filters(ctx: Ctx, chosen: dict[str, str]) -> ChildFilters:
    """The inbox's filters on what the report says (the child's sex and age) and flags."""
    sex = ctx.query("sex")
    if sex in ("female", "male"):
        chosen["sex"] = sex
    ages = {}
    for name in ("age_from", "age_to"):
        years = number_or((ctx.query(name) or "").strip())
        if years is not None and years <= MAX_AGE:
            chosen[name] = str(years)
            ages[name] = years
    flags = [f for f in FLAGS if ctx.query(f) == "yes"]
    chosen.update(dict.fromkeys(flags, "yes"))
    return ChildFilters(
        sex=chosen.get("sex"),
        age_from=ages.get("age_from"),
        age_to=ages.get("age_to"),
        flags=frozenset(flags),
    )


@console_route("/staff", roles=(*EVERYONE, Role.PROVIDER))
def home(ctx: Ctx) -> Response:
    if ctx.caller.staff.reads_audit:
        return ctx.redirect("staff/audit")
    if ctx.caller.staff.provides_services:
        return ctx.redirect("staff/referrals")
    errors: dict[str, str] = {}
    notice, warns = _inbox_notice(ctx)
    filters, chosen = _filters(ctx, errors)
    child = _child_filters(ctx, chosen)
    cursor = ctx.query("cursor")
    try:
        found = inbox_service.inbox(
            ctx.caller, filters, stores=wiring.stores(), limit=PAGE, cursor=cursor, child=child
        )
    except InvalidCursor:
        return ctx.redirect("staff", **chosen)
    people = wiring.staff_names().current()
    workers = [p for p in people.people if p.role in WORKERS]
    if not ctx.caller.staff.is_coordinator:
        workers = [p for p in workers if p.agency == ctx.caller.staff.agency]
    return ctx.page(
        "inbox.html",
        inbox=found,
        chosen=chosen,
        assignees=sorted(workers, key=lambda p: p.shown.casefold()),
        first_page=cursor is None,
        errors=errors,
        flags=FLAGS,
        max_age=MAX_AGE,
        notice=notice,
        notice_warns=warns,
    )


def _inbox_notice(ctx: Ctx) -> tuple[str, bool]:
    """What the list says after work on ticked cases: how many were done, how many not."""
    _ = ctx._
    ngettext = render.translations(ctx.lang).ngettext
    if ctx.query("done") == "tick-first":
        return _("Tick at least one case, and choose a colleague to assign them to."), True
    done, refused = number_or(ctx.query("assigned") or ""), number_or(ctx.query("refused") or "")
    if done is None and refused is None:
        return "", False
    said = ngettext("%(num)s case assigned.", "%(num)s cases assigned.", done or 0) % {
        "num": done or 0
    }
    if refused:
        said += " " + ngettext(
            "%(num)s case could not be assigned: you may not change it, or the colleague may "
            "not work it.",
            "%(num)s cases could not be assigned: you may not change them, or the colleague "
            "may not work them.",
            refused,
        ) % {"num": refused}
    return said, bool(refused)


# Ticked on the list: assigned to one colleague, or exported, each case by its own rules.
@console_route("/staff/cases/chosen", ["POST"], roles=WORKERS, back=lambda: "staff")
def chosen_cases(ctx: Ctx) -> Response:
    ticked = [r for r in ctx.fields.get("case", []) if REFERENCE.match(r)]
    action = ctx.form.get("action")
    assignee = ctx.form.get("assignee", "")
    if not ticked or (action == "assign" and not assignee):
        return ctx.redirect("staff", done="tick-first")
    stores = wiring.stores()
    if action == "export":
        found = exports.export_chosen(
            ctx.caller, ticked, "csv", stores=stores, files=wiring.file_store()
        )
        return Response(
            body=found.content or "",
            status_code=200,
            headers={
                **base_headers(ctx),
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": 'attachment; filename="homeward-cases.csv"',
            },
        )
    result = bulk.assign_cases(ctx.caller, ticked, assignee=assignee, stores=stores)
    return ctx.redirect("staff", assigned=str(len(result.done)), refused=str(len(result.refused)))


@console_route("/staff/search", roles=WORKERS)
def search_form(ctx: Ctx) -> Response:
    return ctx.page("search.html", q="", found=None)


# Posted, not in the URL: a child's name must not be kept by access logs and history.
@console_route("/staff/search", ["POST"], roles=WORKERS)
def search(ctx: Ctx) -> Response:
    text = ctx.form.get("q", "").strip()[:200]
    found = None
    if text:
        found = search_service.search(ctx.caller, text, stores=wiring.stores())
        if [c.summary.reference for c in found.cases] == [found.query.reference]:
            return ctx.redirect(urls.case_url(found.cases[0].summary.reference))
    return ctx.page("search.html", q=text, found=found)


def case_page(
    ctx: Ctx,
    reference: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The case as the person may see it, with every form; `errors` beside their fields
    and `typed` in them when a form was refused."""
    if not REFERENCE.match(reference):
        return not_found(ctx)
    stores = wiring.stores()
    shown = casework.read_case(ctx.caller, reference, stores=stores)
    pairs = matching.matches_of(ctx.caller, reference, stores=stores)
    people = wiring.staff_names().current()
    directory = wiring.directory().current()
    mine = acknowledgement.addressed_to(ctx.caller.staff.email, shown.file.deliveries, directory)
    report = shown.report
    return ctx.page(
        "case.html",
        status,
        case=shown,
        report=report,
        pairs=pairs,
        entries=timeline(shown, pairs, people, directory),
        mine=_mine(mine, directory, ctx.lang),
        waiting=_alert_standing(shown.file.deliveries),
        moves=[m for m in render.MOVE_NAMES if m in ALLOWED_MOVES[shown.status]],
        assignable=colleagues.assignable(ctx.caller, shown.file.agencies, people),
        assignee=people.name_of(shown.file.assignee) or shown.file.assignee,
        organisation=lambda agency: directory.organisation_of(agency) or agency,
        correctable=[(f, _current(report, f)) for f in CORRECTABLE] if report else [],
        errors=errors or {},
        typed={**ctx.draft, **(typed or {})},
        kept=bool(ctx.draft),
        notice=notice or ctx.query("done") or ctx.query("notice"),
        evidence=evidence_section(ctx, reference),
        statements=witness_statements.lines(ctx, reference) if report else [],
        statement_choices=witness_statements.choices(ctx.lang),
    )


def _current(report: Any, field: str) -> str:
    value = value_of(report, field)
    return "" if value is None else str(value)


def _alert_standing(deliveries: tuple) -> dict[str, Any]:
    """How the report's alerts stand, for the top of its page: acknowledged by the desk
    that owns the case (and when), or still waiting since it was first sent, or none sent."""
    if not deliveries:
        return {"state": None}
    acknowledged = [d.acknowledged_at for d in deliveries if d.acknowledged_at]
    if acknowledged:
        return {"state": "acknowledged", "at": min(acknowledged)}
    sent = [d.sent_at for d in deliveries if d.sent_at]
    return {"state": "waiting", "at": min(sent) if sent else None}


def _mine(deliveries: list, directory: Any, language: str) -> list[dict[str, str]]:
    """The person's own alerts on this case, one per alert (its e-mail, else its SMS)."""
    chosen: dict[str, dict[str, str]] = {}
    for stored in sorted(deliveries, key=lambda d: d.delivery.channel):
        alert = stored.delivery.alert
        chosen.setdefault(
            alert.root,
            {
                "delivery_id": stored.delivery_id,
                "level": str(alert.level),
                "kind": alert.kind,
                "sent_at": render.kyiv(stored.sent_at, language),
            },
        )
    return list(chosen.values())


@console_route("/staff/cases/{reference}", roles=WORKERS)
def case(ctx: Ctx, reference: str) -> Response:
    return case_page(ctx, reference)


__all__ = ["EVERYONE", "case_page"]
