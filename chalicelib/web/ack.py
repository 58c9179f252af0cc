"""Acknowledgement links: `/ack/{token}` from an alert's e-mail or SMS.

Opening the link only asks (mail scanners and link previews open links too); the button
on the page records the acknowledgement (services/acknowledgement.py says what an e-mail
and an SMS link each do). A forged, expired, used or unknown link gets one and the same
page, on GET as on POST, which says nothing about the case.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain.intake import RateLimit
from chalicelib.domain.keyring import Purpose
from chalicelib.lazy import lazy_module
from chalicelib.web import urls
from chalicelib.web.http import API_HEADERS, request_id, source

acknowledgement = lazy_module("chalicelib.services.acknowledgement")
intake = lazy_module("chalicelib.services.intake")

bp = Blueprint(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
# Far more than anyone acknowledging alerts needs; few enough that guessing links is slow.
ACK_LIMIT = RateLimit(limit=30, per_seconds=600)


@cache
def _template():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return environment.get_template("ack.html")


def _kyiv(moment: dt.datetime) -> dict[str, str]:
    """The moment in words, for the page's Ukrainian and English paragraphs."""
    from chalicelib.domain.messages import kyiv_time

    return {"uk": kyiv_time(moment, "uk"), "en": kyiv_time(moment, "en")}


def _page(status: int, state: str, **context: object) -> Response:
    from chalicelib.web.pages import root, security_headers, static_url

    context.setdefault("reference", "")
    context.setdefault("at", {"uk": "", "en": ""})
    context.setdefault("channel", "")
    # On to the case in the staff console (which asks the person to sign in first).
    console = root() + urls.case_url(context["reference"])
    body = _template().render(
        state=state, stylesheet=static_url("form.css", root()), console=console, **context
    )
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **API_HEADERS, **security_headers()},
    )


def _refused() -> Response:
    return _page(404, "refused")


def _limited(request) -> Response | None:
    try:
        intake.admit(
            "ack", source(request), ACK_LIMIT, stores=wiring.stores(), settings=wiring.settings()
        )
    except intake.TooManyRequests as exc:
        response = _page(429, "refused")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return None


@bp.route("/ack/{token}", methods=["GET"])
def ask(token: str) -> Response:
    limited = _limited(bp.current_request)
    if limited:
        return limited
    found = acknowledgement.pending(
        token, stores=wiring.stores(), keys=wiring.settings().keyring(Purpose.ACK_LINKS)
    )
    if found is None:
        return _refused()
    return _page(200, "ask", reference=found.reference, channel=str(found.delivery.channel))


@bp.route("/ack/{token}", methods=["POST"], content_types=["*/*"])
def acknowledge(token: str) -> Response:
    request = bp.current_request
    limited = _limited(request)
    if limited:
        return limited
    done = acknowledgement.acknowledge(
        token,
        stores=wiring.stores(),
        keys=wiring.settings().keyring(Purpose.ACK_LINKS),
        request_id=request_id(request),
    )
    if done is None:
        return _refused()
    wiring.metrics().add(
        "AcknowledgementSeconds", done.after_seconds, unit="Seconds", channel=done.channel
    )
    return _page(
        200,
        "handled" if done.handled else "seen" if done.owner else "noted",
        reference=done.reference,
        at=_kyiv(done.at),
    )
