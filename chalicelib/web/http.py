"""HTTP helpers every route shares: answers, headers, the caller's address, bodies."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

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


class BodyTooLarge(ValueError):
    """The body is larger than the route takes."""


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **API_HEADERS, **(headers or {})},
    )


def source(request: Any) -> str:
    """API Gateway's view of the client address: unlike X-Forwarded-For, callers cannot set it."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"


def cross_site(request: Any, public_url: str) -> bool:
    """Whether a browser says this request comes from a page of another site.

    `Origin` must be the request's own host or the configured public URL. A missing one
    (older browsers) passes, and so does `null`, which browsers send for our own pages'
    posts because those pages ask for no referrer; `Sec-Fetch-Site`, which every current
    browser sends, still tells a cross-site post, and the server-issued form key guards
    the rest.
    """
    headers = request.headers
    if (headers.get("sec-fetch-site") or "").strip().lower() == "cross-site":
        return True
    origin = (headers.get("origin") or "").strip().lower()
    if not origin or origin == "null":
        return False
    own = urlsplit(public_url.lower())
    if origin == f"{own.scheme}://{own.netloc}":
        return False
    host = (headers.get("host") or "").strip().lower()
    return not host or urlsplit(origin).netloc != host


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


# What every answer of the app carries, whichever route (or none: a static file, a
# refusal) made it; a route's own stricter or looser values are kept.
EVERY_ANSWER = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Nothing the app answers without its own policy is a page: it may load nothing.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


def security_headers_everywhere(event: Any, get_response: Any) -> Any:
    """Chalice "http" middleware: EVERY_ANSWER on every response the app gives."""
    response = get_response(event)
    present = {name.lower() for name in response.headers}
    for name, value in EVERY_ANSWER.items():
        if name.lower() not in present:
            response.headers[name] = value
    return response


def error_page(rid: str) -> Response:
    """What a page answers when something unexpected went wrong: in all three languages,
    since the page's own language may be what failed."""
    from html import escape

    body = (
        '<!doctype html><html lang="uk"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Homeward</title><main>"
        '<p lang="uk">Щось пішло не так з нашого боку. Спробуйте ще раз за кілька хвилин.</p>'
        '<p lang="en">Something went wrong on our side. Please try again in a few minutes.</p>'
        '<p lang="ru">Что-то пошло не так с нашей стороны. Попробуйте ещё раз через несколько '
        "минут.</p>"
        f"<p><small>{escape(rid)}</small></p></main></html>"
    )
    return Response(
        body=body,
        status_code=500,
        headers={"Content-Type": "text/html; charset=utf-8", **API_HEADERS},
    )
