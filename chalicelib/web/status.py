"""The status page: reference and status code in, a coarse stage out; and the reporter's
withdrawal of their consent, with the same two."""

from __future__ import annotations

import logging

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web import i18n, reporter_words
from chalicelib.web.http import ALL_TYPES, cross_site, request_id, source
from chalicelib.web.pages import cross_site_page, page, page_language, posted_fields, query

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")


@bp.route("/status", methods=["GET"])
def status_form() -> Response:
    return page("status.html", page_language(), stage=None, asked=False)


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
    reference, token = _asked(values)
    try:
        stage = reporter.look_up(
            reference, token, source=source(request), stores=wiring.stores(), settings=settings
        )
    except intake.TooManyRequests as exc:
        return _too_many(language, exc.retry_after)
    return page("status.html", language, 200, stage=stage, asked=True, stages=reporter_words.STAGES)


@bp.route("/status/withdraw", methods=["GET"])
def withdraw_form() -> Response:
    return page("withdraw.html", page_language(), outcome=None, reporter=reporter_words)


@bp.route("/status/withdraw", methods=["POST"], content_types=ALL_TYPES)
def withdraw() -> Response:
    """The reporter withdraws their consent, with the reference and status code, once
    they ticked that they understand what it does (the page says it above the box).

    The same checks as the status page: only Homeward's own page may ask, each source
    only so often (the status page's own limit), and a wrong reference, a wrong code and
    an unknown case get one and the same "not found". Like the status page, no answer
    carries the reference or the code back.
    """
    from chalicelib.services import reporter

    return _withdrawal(
        "withdraw.html",
        lambda reference, token, request, settings: reporter.withdraw(
            reference,
            token,
            source=source(request),
            request_id=request_id(request),
            stores=wiring.stores(),
            settings=settings,
        ),
        reporter=reporter_words,
    )


@bp.route("/status/withdraw-evidence", methods=["GET"])
def withdraw_evidence_form() -> Response:
    return page("withdraw_evidence.html", page_language(), outcome=None)


@bp.route("/status/withdraw-evidence", methods=["POST"], content_types=ALL_TYPES)
def withdraw_evidence() -> Response:
    """The reporter withdraws only their consent to the report's use as evidence: the
    same checks and answers as the whole withdrawal above (services/evidence.py)."""
    from chalicelib.services import reporter

    return _withdrawal(
        "withdraw_evidence.html",
        lambda reference, token, request, settings: reporter.withdraw_evidence(
            reference, token, source=source(request), stores=wiring.stores(), settings=settings
        ),
    )


def _withdrawal(template: str, withdraw_with, **words) -> Response:
    """A withdrawal posted from its page (`template`): refused cross-site, asked again
    until the box is ticked, limited per source; `withdraw_with(reference, token,
    request, settings)` does it and names the outcome."""
    from chalicelib.services import intake

    request = bp.current_request
    values = posted_fields((request.raw_body or b"")[:4096])
    language = i18n.pick((values.get("lang") or [query("lang") or ""])[0])
    settings = wiring.settings()
    if cross_site(request, settings.public_url):
        log.info("a cross-site withdrawal was refused")
        return cross_site_page(language, "/status")
    reference, token = _asked(values)
    if (values.get("confirm") or [""])[0] != "yes":
        # What was typed comes back (28 characters copied from paper), only to this page.
        typed = {"reference": reference, "token": token}
        return page(template, language, 422, outcome="unconfirmed", typed=typed, **words)
    try:
        outcome = withdraw_with(reference, token, request, settings)
    except intake.TooManyRequests as exc:
        return _too_many(language, exc.retry_after, template)
    return page(template, language, 200, outcome=str(outcome), **words)


def _asked(values: dict[str, list[str]]) -> tuple[str, str]:
    reference = (values.get("reference") or [""])[0].strip().upper()[:32]
    return reference, (values.get("token") or [""])[0].strip()[:64]


def _too_many(language: str, retry_after: int, template: str = "status.html") -> Response:
    response = page(
        template,
        language,
        429,
        stage=None,
        asked=False,
        outcome=None,
        wait_minutes=max(1, -(-retry_after // 60)),
        reporter=reporter_words,
    )
    response.headers["Retry-After"] = str(max(1, retry_after))
    return response


@bp.route("/report/shown", methods=["GET"])
def receipt_shown() -> Response:
    """The receipt's mark, fetched as the browser shows it: from now on a resent form
    shows the reference only. A double tap's first answer is never shown, so the second
    still shows the code."""
    from chalicelib.domain.attachments import SUBMISSION_KEY
    from chalicelib.services import intake

    key = query("key") or ""
    if SUBMISSION_KEY.match(key):
        intake.receipt_shown(wiring.stores(), key)
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})
