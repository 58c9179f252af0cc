"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from chalice import Response

if TYPE_CHECKING:
    from pydantic import ValidationError

log = logging.getLogger("homeward.web")

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the values that were sent: those may be personal data."""
    errors = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        errors.append({"loc": list(error["loc"]), "msg": message, "type": error["type"]})
    return errors


def not_found() -> Response:
    return problem(404, "not-found", "Not found")


def unexpected_errors(event: Any, get_response: Any) -> Response:
    """HTTP middleware: an unexpected error is a 500 problem, logged without its message.

    Exception messages can carry what was submitted (a pydantic error echoes its input),
    so only the exception's type reaches the log.
    """
    try:
        return get_response(event)
    except Exception as exc:
        log.error("unhandled %s on %s %s", type(exc).__name__, event.method, event.path)
        return problem(500, "internal-error", "Something went wrong on our side")
