"""The on-call view: every alert that waits to be acknowledged, who was paged, and for
how long (services/on_call.py decides what a person sees and may acknowledge)."""

from __future__ import annotations

from chalice import Response

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.console.base import WORKERS, Ctx, console_route, message
from chalicelib.web.console.render import N_

on_call = lazy_module("chalicelib.services.on_call")
acknowledgement = lazy_module("chalicelib.services.acknowledgement")

WHAT = {
    "new_report": N_("New report"),
    "escalation": N_("Escalation"),
    "match_confirmed": N_("Match confirmed"),
    "import_batch": N_("Report from an import batch"),
}
STATES = {
    "pending": N_("queued"),
    "sending": N_("being sent"),
    "sent": N_("sent"),
    "failed": N_("not delivered"),
    "acknowledged": N_("seen"),
}
FILTERS = {"all": N_("All waiting alerts"), "me": N_("Sent to me"), "desk": N_("My desk's")}


def left(ctx: Ctx, seconds: float) -> str:
    """Time to the next rung, in words."""
    _ = ctx._
    minutes = round(abs(seconds) / 60)
    hours, rest = divmod(minutes, 60)
    span = (
        _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
        if hours
        else _("%(minutes)s min") % {"minutes": minutes}
    )
    return (_("overdue by %(span)s") if seconds < 0 else _("in %(span)s")) % {"span": span}


@console_route("/staff/alerts", roles=WORKERS)
def waiting(ctx: Ctx) -> Response:
    chosen = ctx.query("show") or "all"
    if chosen not in FILTERS:
        chosen = "all"
    try:
        page = int(ctx.query("page") or "1")
    except ValueError:
        page = 1
    found = on_call.on_call(
        ctx.caller,
        stores=wiring.stores(),
        directory=wiring.directory().current(),
        narrowed=on_call.Narrowed(chosen),
        page=page,
    )
    return ctx.page(
        "on_call.html",
        found=found,
        chosen=chosen,
        filters=FILTERS,
        what=WHAT,
        states=STATES,
        left=lambda seconds: left(ctx, seconds),
        notice=ctx.query("done"),
    )


@console_route("/staff/alerts/acknowledge", ["POST"], roles=WORKERS)
def acknowledge(ctx: Ctx) -> Response:
    _ = ctx._
    try:
        done = acknowledgement.acknowledge_in_console(
            ctx.caller,
            ctx.form.get("reference", ""),
            ctx.form.get("delivery_id", ""),
            stores=wiring.stores(),
            directory=wiring.directory().current(),
        )
    except acknowledgement.NotYours:
        return message(
            ctx,
            409,
            _("Not acknowledged"),
            _("This alert was acknowledged already, or it is not yours."),
        )
    wiring.metrics().add(
        "AcknowledgementSeconds", done.after_seconds, unit="Seconds", channel=done.channel
    )
    return ctx.redirect("staff/alerts", done="acknowledged", show=ctx.form.get("show"))
