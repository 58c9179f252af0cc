"""The console's pages of the return and the help after it: a case's return page for
caseworkers, mediation lists and closure approvals for coordinators, and a service
provider's own inbox. Each form is one call into a service; a refused one comes back
with the reason in words and what was typed still there.
"""

from __future__ import annotations

import datetime as dt

from chalice import Response

from chalicelib import wiring
from chalicelib.domain.aftercare import (
    RETURN_MOVES,
    AftercareError,
    ClosureReason,
    ReturnStage,
)
from chalicelib.domain.referrals import (
    Need,
    NeedType,
    ReferralError,
    ReferralStatus,
    ServiceType,
    Urgency,
)
from chalicelib.domain.staff import Role
from chalicelib.domain.words import month_names
from chalicelib.lazy import lazy_module
from chalicelib.web.console.aftercare_words import refused_in_words, words
from chalicelib.web.console.base import WORKERS, Ctx, console_route, not_found

aftercare = lazy_module("chalicelib.services.aftercare")
referrals = lazy_module("chalicelib.services.referrals")
mediation = lazy_module("chalicelib.services.mediation")

COORDINATORS = (Role.COORDINATOR,)
PROVIDERS = (Role.PROVIDER,)
RETURN = "/staff/cases/{reference}/return"


def _context() -> dict:
    return {
        "stores": wiring.stores(),
        "policy": wiring.settings().follow_ups,
        "now": dt.datetime.now(dt.UTC),
    }


class Unchosen(ValueError):
    """A form's choice that is not one of its list (a page of an older version, say)."""


def _one_of(kind, value: str | None):
    try:
        return kind(value or "")
    except ValueError:
        raise Unchosen() from None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


# -- a case's return page ----------------------------------------------------------------


def return_page(
    ctx: Ctx, reference: str, *, status: int = 200, problem: str | None = None
) -> Response:
    file = aftercare.read_return(ctx.caller, reference, **_context())
    record = file.record
    return ctx.page(
        "return.html",
        status,
        reference=reference,
        file=file,
        record=record,
        next_stages=sorted(RETURN_MOVES[record.stage], key=list(ReturnStage).index),
        services=list(ServiceType),
        needs=list(NeedType),
        urgencies=list(Urgency),
        reasons=list(ClosureReason),
        coordinator=ctx.caller.staff.is_coordinator,
        problem=problem,
        typed=ctx.form if status != 200 else {},
        notice=ctx.query("done"),
        today=dt.datetime.now(dt.UTC).date().isoformat(),
        **words(ctx),
    )


@console_route(RETURN, roles=WORKERS)
def return_view(ctx: Ctx, reference: str) -> Response:
    return return_page(ctx, reference)


def _back(reference: str) -> str:
    return f"staff/cases/{reference}/return"


def _act(ctx: Ctx, reference: str, action, done: str) -> Response:
    """Run one form's use case; its refusal comes back as the page with the reason."""
    _ = ctx._
    try:
        action()
    except Unchosen:
        return return_page(ctx, reference, status=422, problem=_("Choose one from the list."))
    except (AftercareError, ReferralError, ValueError) as refused:
        return return_page(ctx, reference, status=422, problem=refused_in_words(ctx, refused))
    except aftercare.RecordChanged:
        problem = _("Someone changed this record meanwhile: check it, then send again.")
        return return_page(ctx, reference, status=409, problem=problem)
    return ctx.redirect(_back(reference), done=done)


@console_route(f"{RETURN}/step", ["POST"], roles=WORKERS, back=_back)
def step(ctx: Ctx, reference: str) -> Response:
    form = ctx.form

    def act():
        on = _date(form.get("on"))
        if on is None:
            raise ValueError(ctx._("Give the day it happened."))
        aftercare.record_step(
            ctx.caller,
            reference,
            stage=_one_of(ReturnStage, form.get("stage")),
            on=on,
            how=form.get("how", "")[:5000],
            with_whom=form.get("with_whom") or None,
            **_context(),
        )

    return _act(ctx, reference, act, "step")


@console_route(f"{RETURN}/consent", ["POST"], roles=WORKERS, back=_back)
def consent(ctx: Ctx, reference: str) -> Response:
    def act():
        aftercare.record_consent(
            ctx.caller,
            reference,
            services=ctx.form.get("services") == "yes",
            disclosure=ctx.form.get("disclosure") == "yes",
            **_context(),
        )

    return _act(ctx, reference, act, "consent")


@console_route(f"{RETURN}/needs", ["POST"], roles=WORKERS, back=_back)
def needs(ctx: Ctx, reference: str) -> Response:
    def act():
        chosen = tuple(
            Need(type=need, urgency=Urgency(ctx.form[f"need-{need}"]))
            for need in NeedType
            if ctx.form.get(f"need-{need}") in set(Urgency)
        )
        now = dt.datetime.now(dt.UTC)
        aftercare.assess_needs(ctx.caller, reference, needs=chosen, on=now.date(), **_context())

    return _act(ctx, reference, act, "needs")


@console_route(f"{RETURN}/refer", ["POST"], roles=WORKERS, back=_back)
def refer(ctx: Ctx, reference: str) -> Response:
    form = ctx.form

    def act():
        due = _date(form.get("due"))
        if due is None:
            raise ValueError(ctx._("Give the day the service is due by."))
        referrals.refer(
            ctx.caller,
            reference,
            service=_one_of(ServiceType, form.get("service")),
            provider=form.get("provider", ""),
            note=form.get("note", "")[:5000],
            due=due,
            override_reason=(form.get("reason") or "").strip()[:5000] or None,
            escalate_after=wiring.settings().escalate_after,
            **_context(),
        )

    return _act(ctx, reference, act, "referred")


@console_route(f"{RETURN}/follow-up", ["POST"], roles=WORKERS, back=_back)
def follow_up(ctx: Ctx, reference: str) -> Response:
    def act():
        on = _date(ctx.form.get("on"))
        if on is None:
            raise ValueError(ctx._("Give the day of the visit."))
        aftercare.record_follow_up(
            ctx.caller, reference, on=on, note=ctx.form.get("note", "")[:5000], **_context()
        )

    return _act(ctx, reference, act, "follow-up")


@console_route(f"{RETURN}/closure", ["POST"], roles=WORKERS, back=_back)
def closure(ctx: Ctx, reference: str) -> Response:
    def act():
        aftercare.request_closure(
            ctx.caller,
            reference,
            reason=_one_of(ClosureReason, ctx.form.get("closure")),
            note=ctx.form.get("note", "")[:5000],
            **_context(),
        )

    return _act(ctx, reference, act, "closure")


# -- closures waiting for a coordinator ----------------------------------------------------


@console_route("/staff/closures", roles=COORDINATORS)
def closures(ctx: Ctx) -> Response:
    return closures_page(ctx)


def closures_page(ctx: Ctx, problem: str | None = None, status: int = 200) -> Response:
    waiting = aftercare.closures_waiting(ctx.caller, **_context())
    return ctx.page(
        "closures.html",
        status,
        waiting=waiting,
        problem=problem,
        notice=ctx.query("done"),
        **words(ctx),
    )


@console_route("/staff/closures/decide", ["POST"], roles=COORDINATORS)
def decide(ctx: Ctx) -> Response:
    reference = ctx.form.get("reference", "")
    try:
        aftercare.decide_closure(
            ctx.caller,
            reference,
            approve=ctx.form.get("decision") == "approve",
            note=(ctx.form.get("note") or "").strip()[:5000] or None,
            **_context(),
        )
    except (AftercareError, ReferralError) as refused:
        return closures_page(ctx, problem=refused_in_words(ctx, refused), status=422)
    return ctx.redirect("staff/closures", done=ctx.form.get("decision"))


# -- mediation lists -----------------------------------------------------------------------


@console_route("/staff/mediation-lists", roles=COORDINATORS)
def mediation_lists(ctx: Ctx) -> Response:
    return lists_page(ctx)


def lists_page(ctx: Ctx, problem: str | None = None, status: int = 200, export=None):
    found = mediation.lists(ctx.caller, stores=wiring.stores())
    return ctx.page(
        "mediation.html",
        status,
        lists=found,
        problem=problem,
        export=export,
        typed=ctx.form if status != 200 else {},
        notice=ctx.query("done"),
        **words(ctx),
    )


@console_route("/staff/mediation-lists", ["POST"], roles=COORDINATORS)
def new_list(ctx: Ctx) -> Response:
    context = _context()
    try:
        mediation.create_list(
            ctx.caller,
            mediator=ctx.form.get("mediator", "")[:300],
            stores=context["stores"],
            now=context["now"],
        )
    except AftercareError as refused:
        return lists_page(ctx, problem=refused_in_words(ctx, refused), status=422)
    return ctx.redirect("staff/mediation-lists", done="created")


@console_route("/staff/mediation-lists/{list_id}/children", ["POST"], roles=COORDINATORS)
def add_child(ctx: Ctx, list_id: str) -> Response:
    _ = ctx._
    reference = ctx.form.get("reference", "").strip().upper()[:20]
    try:
        mediation.add_child(ctx.caller, list_id, reference, **_context())
    except (AftercareError, ReferralError) as refused:
        return lists_page(ctx, problem=refused_in_words(ctx, refused), status=422)
    except mediation.ListNotFound:
        return lists_page(ctx, problem=_("There is no such list."), status=404)
    return ctx.redirect("staff/mediation-lists", done="added")


@console_route("/staff/mediation-lists/{list_id}/export", ["POST"], roles=COORDINATORS)
def export_list(ctx: Ctx, list_id: str) -> Response:
    _ = ctx._
    context = _context()
    try:
        made = mediation.export_list(
            ctx.caller, list_id, stores=context["stores"], now=context["now"]
        )
    except AftercareError as refused:
        return lists_page(ctx, problem=refused_in_words(ctx, refused), status=422)
    except mediation.ListNotFound:
        return lists_page(ctx, problem=_("There is no such list."), status=404)
    return lists_page(ctx, export=made)


# -- a service provider's own inbox ----------------------------------------------------------


@console_route("/staff/referrals", roles=PROVIDERS)
def inbox(ctx: Ctx) -> Response:
    return inbox_page(ctx)


def inbox_page(ctx: Ctx, problem: str | None = None, status: int = 200) -> Response:
    found = referrals.provider_inbox(ctx.caller, stores=wiring.stores())
    return ctx.page(
        "referrals.html",
        status,
        referrals=found,
        problem=problem,
        typed=ctx.form if status != 200 else {},
        notice=ctx.query("done"),
        **words(ctx),
    )


@console_route("/staff/referrals/{reference}/{referral_id}", ["POST"], roles=PROVIDERS)
def answer(ctx: Ctx, reference: str, referral_id: str) -> Response:
    chosen = ctx.form.get("status", "")
    try:
        referrals.answer_referral(
            ctx.caller,
            reference,
            referral_id,
            status=_one_of(ReferralStatus, chosen),
            reason=(ctx.form.get("reason") or "").strip()[:5000] or None,
            **_context(),
        )
    except Unchosen:
        return inbox_page(ctx, problem=ctx._("Choose one from the list."), status=422)
    except ReferralError as refused:
        return inbox_page(ctx, problem=refused_in_words(ctx, refused), status=422)
    except referrals.ReferralNotFound:
        return not_found(ctx)
    return ctx.redirect("staff/referrals", done=chosen)


# -- the return's key figures ------------------------------------------------------------


@console_route("/staff/statistics/return", roles=(Role.COORDINATOR, Role.AUDITOR))
def return_statistics(ctx: Ctx) -> Response:
    figures = aftercare.kpis(ctx.caller, **_context())
    return ctx.page(
        "return_statistics.html",
        figures=figures,
        stages=list(ReturnStage),
        month_name=lambda month: _month(month, ctx.lang),
        **words(ctx),
    )


def _month(month: str, lang: str) -> str:
    """ "2026-11" as people write it: Листопад 2026, November 2026."""
    year, number = month.split("-")
    return f"{month_names(lang)[int(number) - 1]} {year}"
