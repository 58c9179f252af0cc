"""Public routes: anyone may call them, so they reveal nothing about other reports."""

from __future__ import annotations

import logging
import re

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.http import (
    ALL_TYPES,
    MAX_BODY_BYTES,
    json_response,
    media_type,
    parse_json,
    source,
)
from chalicelib.web.problems import problem

intake = lazy_module("chalicelib.services.intake")

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    if not wiring.stores().cases.reachable():
        return problem(503, "unavailable", "The case store cannot be reached")
    return json_response(200, {"status": "ok"})


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.web.openapi import document

    return json_response(200, document())


@bp.route("/api/v1/reports", methods=["POST"], content_types=ALL_TYPES)
def submit_report() -> Response:
    request = bp.current_request
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        return problem(
            413, "body-too-large", "Report too large", f"At most {MAX_BODY_BYTES} bytes."
        )
    kind = media_type(request)
    if kind != "application/json":
        return problem(
            415,
            "unsupported-media-type",
            "Send the report as application/json",
            f"Content-Type was {kind or 'missing'}.",
        )
    key = request.headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        return problem(
            400,
            "invalid-idempotency-key",
            "Invalid Idempotency-Key header",
            "Use 8 to 128 characters of A-Z, a-z, 0-9, '_' and '-'.",
        )
    from chalicelib.domain.case import fingerprint
    from chalicelib.domain.report import Report

    body = parse_json(raw)
    submission = intake.Submission(
        report=Report.model_validate(body),
        fingerprint=fingerprint(body),
        idempotency_key=key,
        source=source(request),
    )
    receipt, created = intake.submit(submission, stores=wiring.stores(), settings=wiring.settings())
    if created:
        log.info("report accepted as %s", receipt.reference)
        wiring.metrics().add("ReportsAccepted")
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json_response(201, receipt.model_dump(), headers)
