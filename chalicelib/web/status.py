"""The status page: reference and status code in, a coarse stage out."""

from __future__ import annotations

import logging

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web import i18n
from chalicelib.web.http import ALL_TYPES, cross_site, source
from chalicelib.web.pages import cross_site_page, page, posted_fields, query

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")


@bp.route("/status", methods=["GET"])
def status_form() -> Response:
    return page("status.html", i18n.pick(query("lang")), stage=None, asked=False)


@bp.route("/status", methods=["POST"], content_types=ALL_TYPES)
def status() -> Response:
    """A case's coarse stage for whoever holds its reference and status token.

    A wrong reference, a wrong token and an unknown case give one and the same page. The
    token is checked (in constant time) before the table is read, and guessing an 80-bit
    token is hopeless; each source may still look up only so often (429 past it), so the
    page is no free way to make the table work. Only Homeward's own page may ask.
    """
    from chalicelib.services import intake, reporter

    request = bp.current_request
    raw = request.raw_body or b""
    values = posted_fields(raw[:4096])
    language = i18n.pick((values.get("lang") or [query("lang") or ""])[0])
    settings = wiring.settings()
    if cross_site(request, settings.public_url):
        log.info("a cross-site status lookup was refused")
        return cross_site_page(language, "/status")
    reference = (values.get("reference") or [""])[0].strip().upper()[:32]
    token = (values.get("token") or [""])[0].strip()[:64]
    try:
        stage = reporter.look_up(
            reference, token, source=source(request), stores=wiring.stores(), settings=settings
        )
    except intake.TooManyRequests as exc:
        response = page(
            "status.html",
            language,
            429,
            stage=None,
            asked=False,
            wait_minutes=max(1, -(-exc.retry_after // 60)),
        )
        response.headers["Retry-After"] = str(max(1, exc.retry_after))
        return response
    return page("status.html", language, 200, stage=stage, asked=True)
