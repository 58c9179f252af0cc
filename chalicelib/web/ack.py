"""Acknowledgement links: `/ack/{token}` from an alert's e-mail or SMS.

Opening the link only asks (mail scanners and link previews open links too); the button
on the page records who acknowledged and when. A forged, expired or reused link gets
one and the same page, which says nothing about the case.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib import config, wiring

bp = Blueprint(__name__)
log = logging.getLogger("homeward.ack")
TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def _template():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return environment.get_template("ack.html")


def _page(status: int, state: str, reference: str = "", at: str = "") -> Response:
    from chalicelib.web.form import security_headers, static_url

    body = _template().render(
        state=state, reference=reference, at=at, stylesheet=static_url("form.css")
    )
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            **security_headers(),
        },
    )


def _claim(token: str, now: dt.datetime):
    from chalicelib.domain.acknowledgement import InvalidAcknowledgement, read_ack_token

    try:
        return read_ack_token(config.settings().signing_key, token, now)
    except InvalidAcknowledgement:
        return None


@bp.route("/ack/{token}", methods=["GET"])
def ask(token: str) -> Response:
    claim = _claim(token, dt.datetime.now(dt.UTC))
    if claim is None:
        return _page(404, "refused")
    return _page(200, "ask", claim.reference)


@bp.route("/ack/{token}", methods=["POST"], content_types=["*/*"])
def acknowledge(token: str) -> Response:
    now = dt.datetime.now(dt.UTC)
    claim = _claim(token, now)
    recorded = (
        wiring.repository().acknowledge(claim.reference, claim.delivery_hash, now)
        if claim
        else None
    )
    if recorded is None:
        return _page(404, "refused")
    log.info("alert of %s acknowledged by %s", recorded["reference"], recorded["contact_id"])
    return _page(200, "done", recorded["reference"], recorded["at"])
