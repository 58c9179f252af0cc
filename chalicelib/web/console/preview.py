"""Who a report would reach: the routing itself, rung by rung, each rung with the time it
is alerted at if nobody acknowledged before (the escalation schedule's own waits)."""

from __future__ import annotations

from chalice import Response

from chalicelib import wiring
from chalicelib.domain import labels
from chalicelib.domain.places import OBLASTS
from chalicelib.lazy import lazy_module
from chalicelib.web.console.base import Ctx, console_route
from chalicelib.web.console.coordination import COORDINATORS
from chalicelib.web.console.statistics import duration

directory = lazy_module("chalicelib.services.directory")


@console_route("/staff/directory/preview", roles=COORDINATORS)
def preview(ctx: Ctx) -> Response:
    oblast = ctx.query("oblast")
    category = ctx.query("category")
    urgent = ctx.query("urgent") == "yes"
    rungs = None
    if oblast in OBLASTS and category in labels.CATEGORY:
        settings = wiring.settings()
        rungs = directory.preview(
            ctx.caller,
            oblast=oblast,
            category=category,
            urgent=urgent,
            stores=wiring.stores(),
            waits=(settings.escalate_urgent_after, settings.escalate_normal_after),
        )
    current = wiring.directory().current()
    return ctx.page(
        "preview.html",
        chosen_oblast=oblast or "",
        chosen_category=category or "",
        urgent=urgent,
        rungs=rungs,
        contact=current.contact,
        duration=lambda wait: duration(ctx, wait.total_seconds()),
    )
