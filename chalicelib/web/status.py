"""The status page: reference and status code in, a coarse stage out."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web import i18n
from chalicelib.web.http import ALL_TYPES
from chalicelib.web.pages import page, posted_fields, query

bp = Blueprint(__name__)


@bp.route("/status", methods=["GET"])
def status_form() -> Response:
    return page("status.html", i18n.pick(query("lang")), stage=None, asked=False)


@bp.route("/status", methods=["POST"], content_types=ALL_TYPES)
def status() -> Response:
    """A case's coarse stage for whoever holds its reference and status token.

    A wrong reference, a wrong token and an unknown case give one and the same page. The
    token is checked (in constant time) before the table is read, so a guess costs no
    read, and guessing a 144-bit token is hopeless; the request rate is left to API
    Gateway's throttling.
    """
    from chalicelib.services import reporter

    raw = bp.current_request.raw_body or b""
    values = posted_fields(raw[:4096])
    language = i18n.pick((values.get("lang") or [query("lang") or ""])[0])
    reference = (values.get("reference") or [""])[0].strip().upper()[:32]
    token = (values.get("token") or [""])[0].strip()[:64]
    stage = reporter.stage_of(reference, token, stores=wiring.stores(), settings=wiring.settings())
    return page("status.html", language, 200, stage=stage, asked=True)
