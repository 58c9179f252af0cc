"""HTTP helpers every route shares: answers, headers, the caller's address, bodies."""

from __future__ import annotations

import json
import uuid
from typing import Any

from chalice import Response

MAX_BODY_BYTES = 64 * 1024
ALL_TYPES = ["*/*"]  # a wrong content type is answered by the route itself, as a problem

# On every answer of the API: nothing kept by caches or proxies, no content sniffing, and
# browsers told to use HTTPS only (ignored over plain HTTP, as in local runs).
API_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


class BadRequestBody(ValueError):
    """The body is not JSON (or is nested deeper than any real request)."""


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **API_HEADERS, **(headers or {})},
    )


def source(request: Any) -> str:
    """API Gateway's view of the client address: unlike X-Forwarded-For, callers cannot set it."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"


def request_id(request: Any) -> str:
    """API Gateway's request id (what the logs are searched by), or a new one locally."""
    return (getattr(request, "context", None) or {}).get("requestId") or str(uuid.uuid4())


def media_type(request: Any) -> str:
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def parse_json(raw: bytes | str | None, default: Any = None) -> Any:
    """A JSON body; BadRequestBody for anything else, a body nested too deep included."""
    if not raw:
        if default is not None:
            return default
        raise BadRequestBody()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequestBody() from None
