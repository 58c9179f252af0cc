"""Two reports that may be about one child, side by side, with matching's reasons per field;
confirmed (both cases linked, both sides alerted) or rejected, with a note on both cases."""

from __future__ import annotations

import base64

from chalice import Response

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web import urls
from chalicelib.web.console.base import WORKERS, Ctx, console_route, not_found
from chalicelib.web.console.cases import REFERENCE
from chalicelib.web.console.render import N_

attachment_links = lazy_module("chalicelib.services.attachment_links")
casework = lazy_module("chalicelib.services.casework")
matching = lazy_module("chalicelib.services.matching")
matching_domain = lazy_module("chalicelib.domain.matching")
match_review = lazy_module("chalicelib.domain.match_review")

PAIR = "/staff/cases/{reference}/matches/{other}"
# The rows of the comparison (domain/match_review.py's ROWS), by name.
ROW_NAMES = {
    "family_name": N_("Family name"),
    "given_name": N_("Given name"),
    "patronymic": N_("Patronymic"),
    "other_names": N_("Other names"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "residence": N_("Residence"),
    "event_date": N_("Date of the event"),
    "event_place": N_("Place of the event"),
    "last_known_place": N_("Last known place"),
    "institution": N_("Last known institution"),
    "marks": N_("Distinguishing marks"),
    "photos": N_("Photos"),
}


def _pair(ctx: Ctx, reference: str, other: str):
    stores = wiring.stores()
    pair = next(
        (p for p in matching.matches_of(ctx.caller, reference, stores=stores) if p.other == other),
        None,
    )
    if pair is None:
        return None
    mine = casework.read_case(ctx.caller, reference, stores=stores)
    theirs = casework.read_case(ctx.caller, other, stores=stores)
    return pair, mine, theirs


def _thumbnails(ctx: Ctx, shown) -> list[str]:
    """The case's photos, small, inside the page (the console's pages load images only
    from themselves), where the disclosure policy lets the person see them."""
    found = attachment_links.thumbnails(
        ctx.caller, shown, stores=wiring.stores(), files=wiring.file_store()
    )
    return ["data:image/jpeg;base64," + base64.b64encode(data).decode() for data in found]


def _page(ctx: Ctx, reference: str, other: str, status: int = 200, error: str = "") -> Response:
    if not (REFERENCE.match(reference) and REFERENCE.match(other)):
        return not_found(ctx)
    found = _pair(ctx, reference, other)
    if found is None:
        return not_found(ctx)
    pair, mine, theirs = found
    photos = {shown.reference: _thumbnails(ctx, shown) for shown in (mine, theirs)}
    lines = match_review.compare(
        mine.report,
        theirs.report,
        pair.explanation,
        (len(photos[mine.reference]), len(photos[theirs.reference])),
    )
    return ctx.page(
        "match.html",
        status,
        pair=pair,
        mine=mine,
        theirs=theirs,
        lines=lines,
        row_names=ROW_NAMES,
        photos=photos,
        error=error,
        typed=ctx.draft,
    )


@console_route(PAIR, roles=WORKERS)
def side_by_side(ctx: Ctx, reference: str, other: str) -> Response:
    return _page(ctx, reference, other)


@console_route(
    PAIR,
    ["POST"],
    roles=WORKERS,
    back=lambda reference, other: PAIR[1:].format(reference=reference, other=other),
)
def decide(ctx: Ctx, reference: str, other: str) -> Response:
    _ = ctx._
    decision = ctx.form.get("decision", "")
    note = ctx.form.get("note", "").strip()
    if decision not in ("confirmed", "rejected"):
        return _page(ctx, reference, other, 422, _("Choose: the same child, or not."))
    stores = wiring.stores()
    try:
        matching.review_match(
            ctx.caller,
            reference,
            other,
            decision=matching_domain.Review(decision),
            stores=stores,
            settings=wiring.settings(),
        )
    except matching.AlreadyDecided:
        return _page(ctx, reference, other, 409, _("Someone reviewed this pair already."))
    if note:
        for case, counterpart in ((reference, other), (other, reference)):
            casework.add_note(
                ctx.caller, case, text=f"{decision} — {counterpart}: {note[:4900]}", stores=stores
            )
    return ctx.redirect(urls.case_url(reference), done=f"match-{decision}")
