"""The public report form, its confirmation and status pages, and their static files.

Server-rendered and complete without JavaScript: families in occupied territory report
from old phones on slow, watched connections. JavaScript (static/form.js) only adds
checks as they type, a draft that survives a reload, and photo uploads.

Nothing here sets a cookie, and no page puts a reference or token into a URL, so browser
history shows no more than that the form was opened.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.logs import describe
from chalicelib.web import i18n
from chalicelib.web.form_fields import STEPS, field_id, report_body
from chalicelib.web.http import (
    ALL_TYPES,
    MAX_BODY_BYTES,
    json_response,
    parse_json,
    request_id,
    source,
)
from chalicelib.web.problems import problem

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")

STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {
    "form.css": "text/css; charset=utf-8",
    "form.js": "text/javascript; charset=utf-8",
}
# A form post percent-encodes every byte of Cyrillic text (one byte becomes three), so the
# same 64 KiB of report the JSON API accepts arrives as up to three times as many bytes.
MAX_FORM_BYTES = 3 * MAX_BODY_BYTES
FORM_TYPE = "application/x-www-form-urlencoded"
HONEYPOT = "website"


# -- responses ------------------------------------------------------------------------


def _upload_origin() -> str:
    store = wiring.file_store()
    if store is None:
        return ""
    try:
        return " " + store.upload_origin()
    except Exception as exc:  # no uploads is better than no form
        log.warning("upload origin unavailable: %s", describe(exc))
        return ""


def security_headers(*, uploads: bool = False) -> dict[str, str]:
    connect = "'self'" + (_upload_origin() if uploads else "")
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; object-src 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def _page(
    template: str, language: str, status: int = 200, *, uploads: bool = False, **context: Any
) -> Response:
    body = i18n.render(
        template,
        language,
        languages=i18n.LANGUAGE_NAMES,
        static=static_url,
        **context,
    )
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            # Pages can hold what a reporter typed: no cache, no back-forward copy.
            "Cache-Control": "no-store",
            "Content-Language": language,
            **security_headers(uploads=uploads),
        },
    )


def _query(name: str) -> str | None:
    return (bp.current_request.query_params or {}).get(name)


# -- static files ---------------------------------------------------------------------


@cache
def _static_file(name: str) -> tuple[str, str]:
    text = (STATIC / name).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A file's URL with its content hash, so it can be cached for good."""
    return f"/static/{name}?v={_static_file(name)[1]}"


@bp.route("/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    if name not in STATIC_TYPES:
        return Response(body="", status_code=404, headers={"Cache-Control": "no-store"})
    text, version = _static_file(name)
    etag = f'"{version}"'
    headers = {
        "Content-Type": STATIC_TYPES[name],
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # Versioned URLs never change content; an unversioned one is checked again soon.
        "Cache-Control": "public, max-age=31536000, immutable"
        if _query("v") == version
        else "public, max-age=300",
    }
    if bp.current_request.headers.get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers=headers)


# -- the form -------------------------------------------------------------------------


def _places(language: str) -> dict[str, list[tuple[str, str]]]:
    from chalicelib.domain.places import OBLASTS

    oblasts = sorted(((c, n[language]) for c, n in OBLASTS.items()), key=lambda o: o[1])
    names = _countries()
    # Where deported children are most often taken (and Ukraine, for transfers inside
    # occupied territory) come first; then every country by its name.
    first = ["RU", "BY", "UA"]
    rest = sorted((c for c in names if c not in first), key=lambda c: names[c][language])
    countries = [(c, names[c][language]) for c in first + rest]
    return {"oblast": oblasts, "country": countries}


@cache
def _countries() -> dict[str, dict[str, str]]:
    return json.loads((Path(__file__).resolve().parent / "countries.json").read_text("utf-8"))


def _uploads_enabled() -> bool:
    return wiring.file_store() is not None


def _form(
    language: str,
    *,
    status: int = 200,
    values: dict[str, list[str]] | None = None,
    errors: dict[str, str] | None = None,
    submission_key: str | None = None,
    notice: str | None = None,
) -> Response:
    from chalicelib.domain.attachments import ACCEPTED_TYPES, MAX_BYTES, MAX_FILES

    uploads = _uploads_enabled()
    fresh = values is None
    values = values or {"reporter.preferred_language": [language]}
    return _page(
        "form.html",
        language,
        status,
        uploads=uploads,
        steps=STEPS,
        labels={f.id: f.label for step in STEPS for f in step.fields},
        values=values,
        errors=errors or {},
        places=_places(language),
        submission_key=submission_key or secrets.token_urlsafe(24),
        fresh=fresh,
        notice=notice,
        uploads_enabled=uploads,
        upload_slots=[int(s) for s in values.get("upload", []) if s in {"1", "2", "3", "4", "5"}],
        max_files=MAX_FILES,
        max_megabytes=MAX_BYTES // (1024 * 1024),
        accepted_types=",".join(ACCEPTED_TYPES),
    )


@bp.route("/", methods=["GET"])
def form() -> Response:
    return _form(i18n.pick(_query("lang")))


def _posted_fields(raw: bytes) -> dict[str, list[str]]:
    # Invalid UTF-8 becomes U+FFFD instead of a 500: the rest of the report still counts.
    return parse_qs(
        raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200
    )


def _message_page(language: str, status: int, title: str, text: str, **headers: str) -> Response:
    response = _page("message.html", language, status, title=title, text=text)
    response.headers.update(headers)
    return response


@bp.route("/report", methods=["POST"], content_types=ALL_TYPES)
def submit_form() -> Response:
    """The form's own error boundary: whatever goes wrong, the person gets the form back
    with every answer they typed, and can send it again."""
    request = bp.current_request
    language = i18n.pick(_query("lang"))
    values: dict[str, list[str]] | None = None
    try:
        values = _posted_fields(request.raw_body or b"")
        return _submit_form(request, language, values)
    except Exception as exc:
        log.error("the form failed: %s (request %s)", describe(exc), request_id(request))
        _ = i18n.gettext_for(language)
        values = values or {}
        return _form(
            i18n.pick((values.get("lang") or [language])[0]),
            status=500,
            values=values,
            submission_key=(values.get("submission_key") or [None])[0],
            notice=_(
                "Something went wrong on our side and the report was not sent. Your "
                "answers are still here: please send it again in a few minutes."
            ),
        )


def _submit_form(request, language: str, values: dict[str, list[str]]) -> Response:
    raw = request.raw_body or b""
    _ = i18n.gettext_for(language)
    if len(raw) > MAX_FORM_BYTES:
        return _message_page(
            language,
            413,
            _("The report is too long"),
            _("Please shorten the longest answers and send the report again."),
        )
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        return _message_page(
            language,
            415,
            _("The report could not be read"),
            _("Please open the form again and send it from there."),
        )
    language = i18n.pick((values.get("lang") or [language])[0])
    _ = i18n.gettext_for(language)
    key = (values.get("submission_key") or [""])[0]

    from chalicelib.domain.attachments import SUBMISSION_KEY

    if not SUBMISSION_KEY.match(key):
        return _form(
            language,
            status=400,
            values=values,
            notice=_("This form had expired. Please check your answers and send it again."),
        )
    if (values.get(HONEYPOT) or [""])[0]:
        return _decoy_receipt(language)
    return _accept_form(language, values, key, source(request))


def _decoy_receipt(language: str) -> Response:
    """What a bot that filled the hidden field sees: a receipt, with nothing stored.

    It looks like any other receipt so the bot learns nothing; the reference exists
    nowhere, and the status page answers for it as for any unknown case.
    """
    import datetime as dt

    from chalicelib.domain.case import iso, new_reference, status_token

    reference = new_reference()
    return _page(
        "received.html",
        language,
        201,
        reference=reference,
        status_token=status_token(secrets.token_bytes(32), reference),
        received_at=iso(dt.datetime.now(dt.UTC)),
    )


def _accept_form(language: str, values: dict[str, list[str]], key: str, source: str) -> Response:
    from pydantic import ValidationError

    from chalicelib.domain.attachments import FileRefused
    from chalicelib.domain.case import fingerprint
    from chalicelib.domain.report import Report
    from chalicelib.services import attachments as files
    from chalicelib.services import intake

    _ = i18n.gettext_for(language)
    body = report_body(values)
    errors: dict[str, str] = {}
    try:
        report = Report.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            target = field_id(tuple(error["loc"])) or "form"
            # The first problem with a field is the one to fix first.
            errors.setdefault(target, i18n.error_message(error, language))
        report = None

    found: list = []
    slots = sorted({int(s) for s in values.get("upload", []) if s in {"1", "2", "3", "4", "5"}})
    store = wiring.file_store() if slots else None
    if store is not None and not errors:
        try:
            found = files.verify(store, key, slots)
        except FileRefused as refused:
            values["upload"] = [s for s in values.get("upload", []) if s != str(refused.slot)]
            errors["uploads"] = {
                "missing": _("A file did not finish uploading. Please add it again."),
                "too_large": _("A file is larger than 10 MB and was removed."),
                "wrong_type": _(
                    "A file is not a photo (JPEG, PNG, HEIC) or a PDF document and was removed."
                ),
            }[refused.reason]
    if errors or report is None:
        return _form(language, status=422, values=values, errors=errors, submission_key=key)

    submission = intake.Submission(
        report=report,
        # A refresh of the receipt posts the same answers and files again: same
        # fingerprint, same receipt. Other answers under one key are another report.
        fingerprint=fingerprint({"report": body, "files": [a.sha256 for a in found]}),
        idempotency_key=key,
        source=source,
        attachments=tuple(found),
        scope=intake.FORM_SCOPE,
    )
    try:
        receipt, created = intake.submit(
            submission, stores=wiring.stores(), settings=wiring.settings()
        )
    except intake.IdempotencyKeyReused:
        return _message_page(
            language,
            409,
            _("This report was already sent"),
            _(
                "This form was sent before with other answers, and that first report was "
                "received. To report something new, open a new form."
            ),
        )
    except intake.TooManyRequests as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        return _message_page(
            language,
            429,
            _("Too many reports"),
            _(
                "Too many reports were sent from your connection. Please try again in "
                "%(minutes)s minutes. Your answers are still in the form: go back to it."
            )
            % {"minutes": minutes},
            **{"Retry-After": str(max(1, exc.retry_after))},
        )
    if created:
        log.info("report accepted from the form as %s (%d files)", receipt.reference, len(found))
    return _page(
        "received.html",
        language,
        201 if created else 200,
        reference=receipt.reference,
        status_token=receipt.status_token,
        received_at=receipt.received_at,
    )


# -- uploads --------------------------------------------------------------------------


@bp.route("/report/uploads", methods=["POST"], content_types=ALL_TYPES)
def request_upload() -> Response:
    """A presigned POST for one file: {submission_key, slot, content_type, size}."""
    from chalicelib.services import attachments as files

    store = wiring.file_store()
    if store is None:
        return problem(404, "not-found", "Uploads are not available")
    raw = bp.current_request.raw_body or b""
    if len(raw) > 4096:
        return problem(413, "body-too-large", "Request too large")
    try:
        asked = parse_json(raw)
        grant = files.issue_upload(
            store,
            str(asked["submission_key"]),
            int(asked["slot"]),
            str(asked["content_type"]),
            int(asked["size"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, files.UploadRefused) else "invalid"
        return problem(422, "upload-refused", "This file cannot be uploaded", reason)
    return json_response(200, grant)


# -- status ---------------------------------------------------------------------------


@bp.route("/status", methods=["GET"])
def status_form() -> Response:
    return _page("status.html", i18n.pick(_query("lang")), stage=None, asked=False)


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
    values = _posted_fields(raw[:4096])
    language = i18n.pick((values.get("lang") or [_query("lang") or ""])[0])
    reference = (values.get("reference") or [""])[0].strip().upper()[:32]
    token = (values.get("token") or [""])[0].strip()[:64]
    stage = reporter.stage_of(reference, token, stores=wiring.stores(), settings=wiring.settings())
    return _page("status.html", language, 200, stage=stage, asked=True)
