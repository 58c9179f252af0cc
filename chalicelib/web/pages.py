"""What every public page shares: rendering, security headers, static files, form bodies.

Nothing here sets a cookie, and no page puts a reference or token into a URL, so browser
history shows no more than that the form was opened.

Every URL a page links to is relative to the page itself (`root()`): the same pages work
at the root of the stage's own domain, under API Gateway's `/api` stage path of its
default URL, and on a local run, without knowing which.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.logs import describe
from chalicelib.web import i18n, urls

bp = Blueprint(__name__)
log = logging.getLogger("homeward.web")

STATIC = Path(__file__).resolve().parent / "static"
# Where "Exit this page" leads: a site anyone may have open, that says nothing about the
# person who went there (GOV.UK's pattern sends people to a weather page).
EXIT_URL = "https://www.google.com/"
STATIC_TYPES = {
    "form.css": "text/css; charset=utf-8",
    "form.js": "text/javascript; charset=utf-8",
}


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
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def root() -> str:
    """The way from the page being answered up to the app's root, as a relative URL.

    "./" for a page at the top (/, /report, /status), "../" for /ack/{token}. Root-relative
    URLs ("/static/...") would leave API Gateway's stage path (/api) of the default URL.
    """
    return urls.up(getattr(bp.current_request, "path", None))


def stage_root_redirect() -> Response | None:
    """A redirect to ".../api/" for the stage's top opened as ".../api" (no slash), where
    every relative URL would resolve above the stage; None everywhere else."""
    request = bp.current_request
    # API Gateway's own view of the path, stage (or base path) included.
    path = (request.context or {}).get("path") or "/"
    if request.path != "/" or path.endswith("/"):
        return None
    # Only the language goes along, and only one of ours: nothing typed is reflected.
    language = query("lang")
    location = f"{path}/" + (f"?lang={language}" if language in i18n.LANGUAGES else "")
    return Response(
        body="", status_code=301, headers={"Location": location, "Cache-Control": "no-store"}
    )


def page(
    template: str, language: str, status: int = 200, *, uploads: bool = False, **context: Any
) -> Response:
    up = root()
    body = i18n.render(
        template,
        language,
        languages=i18n.LANGUAGE_NAMES,
        static=lambda name: static_url(name, up),
        root=up,
        exit_url=EXIT_URL,
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


def query(name: str) -> str | None:
    return (bp.current_request.query_params or {}).get(name)


def page_language() -> str:
    """A page's language: ?lang= if it names one of ours, else the browser's preference."""
    return i18n.pick(query("lang"), bp.current_request.headers.get("accept-language"))


@bp.route("/safety", methods=["GET"])
def safety() -> Response:
    """How to remove Homeward from a phone's browser: history, open tabs, private windows."""
    return page("safety.html", page_language())


# -- static files ---------------------------------------------------------------------


def _static_file(name: str) -> tuple[str, str]:
    return urls.static_file(STATIC, name)


def static_url(name: str, up: str = "./") -> str:
    """A file's URL with its content hash, so it can be cached for good; relative to the
    page, whose way up to the app's root is `up` (root())."""
    return urls.static_url("static/", STATIC, name, up)


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
        if query("v") == version
        else "public, max-age=300",
    }
    if bp.current_request.headers.get("if-none-match") == etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers=headers)


# -- form bodies ----------------------------------------------------------------------


def posted_fields(raw: bytes) -> dict[str, list[str]]:
    # Invalid UTF-8 becomes U+FFFD instead of a 500: the rest of the report still counts.
    return parse_qs(
        raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200
    )


# A form post with files (the form without JavaScript) is multipart/form-data.
MULTIPART = "multipart/form-data"


def message_page(language: str, status: int, title: str, text: str, **headers: str) -> Response:
    response = page("message.html", language, status, title=title, text=text)
    response.headers.update(headers)
    return response


def cross_site_page(language: str, path: str) -> Response:
    """What a post from another site's page gets (403): nothing done, and where to go."""
    _ = i18n.gettext_for(language)
    if path == "/status":
        text = _(
            "For your safety, Homeward answers only its own status page. Please open the "
            "status page on Homeward's own site and check from there."
        )
    else:
        text = _(
            "For your safety, Homeward accepts reports only from its own form, and nothing "
            "was sent. Please open the form on Homeward's own site and send your report "
            "from there."
        )
    return message_page(language, 403, _("This was sent from another website"), text)
