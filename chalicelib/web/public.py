"""Public routes: anyone may call them, so they reveal nothing about other reports."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import config, wiring
from chalicelib.web.problems import field_errors, problem

if TYPE_CHECKING:
    from chalicelib.domain.report import Report

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")

MAX_BODY_BYTES = 64 * 1024
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
ALL_TYPES = ["*/*"]  # we answer a wrong content type ourselves, as problem+json


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    if not wiring.repository().reachable():
        return problem(503, "unavailable", "The case store cannot be reached")
    return _json(200, {"status": "ok"})


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.web.openapi import document

    return _json(200, document())


def _source(request) -> str:
    # API Gateway's view of the client address: unlike X-Forwarded-For, callers cannot set it.
    return (request.context.get("identity") or {}).get("sourceIp") or "unknown"


@bp.route("/api/v1/reports", methods=["POST"], content_types=ALL_TYPES)
def submit_report() -> Response:
    request = bp.current_request
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        return problem(
            413, "body-too-large", "Report too large", f"At most {MAX_BODY_BYTES} bytes."
        )
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return problem(
            415,
            "unsupported-media-type",
            "Send the report as application/json",
            f"Content-Type was {media_type or 'missing'}.",
        )
    key = request.headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        return problem(
            400,
            "invalid-idempotency-key",
            "Invalid Idempotency-Key header",
            "Use 8 to 128 characters of A-Z, a-z, 0-9, '_' and '-'.",
        )
    # Imported here, not at the top: every Lambda function imports app.py, and only this
    # route needs the report models.
    from pydantic import ValidationError

    from chalicelib.domain.report import Report

    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return problem(400, "malformed-json", "The body is not valid JSON")
    try:
        report = Report.model_validate(body)
    except ValidationError as exc:
        return problem(422, "invalid-report", "The report has errors", errors=field_errors(exc))
    return accept(report, body, key, _source(request))


def accept(report: Report, body: object, key: str | None, source: str) -> Response:
    from chalicelib.domain.case import fingerprint
    from chalicelib.services import intake

    submission = intake.Submission(
        report=report, fingerprint=fingerprint(body), idempotency_key=key, source=source
    )
    try:
        receipt, created = intake.submit(
            submission, repository=wiring.repository(), settings=config.settings()
        )
    except intake.IdempotencyKeyReused:
        return problem(
            409, "idempotency-key-reused", "Idempotency-Key already used for another report"
        )
    except intake.TooManyReports as exc:
        return problem(
            429,
            "too-many-reports",
            "Too many reports from your connection; try again later",
            headers={"Retry-After": str(max(1, exc.retry_after))},
        )
    if created:
        log.info("report accepted as %s", receipt.reference)
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return _json(201, receipt.model_dump(), headers)
