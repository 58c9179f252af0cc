"""The console's stylesheet, served by the staff function with a content hash in its URL."""

from __future__ import annotations

from chalice import Response

from chalicelib.web.console import render
from chalicelib.web.console.base import bp


@bp.route("/staff/static/{name}", methods=["GET"])
def static(name: str) -> Response:
    if name not in render.STATIC_TYPES:
        return Response(body="", status_code=404, headers={"Cache-Control": "no-store"})
    text, version = render.static_file(name)
    etag = f'"{version}"'
    versioned = (bp.current_request.query_params or {}).get("v") == version
    headers = {
        "Content-Type": render.STATIC_TYPES[name],
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=31536000, immutable" if versioned else "no-cache",
    }
    if bp.current_request.headers.get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers=headers)
