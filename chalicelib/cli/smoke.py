"""`homeward smoke --url …`: is a stage up? Reads only: no report is filed, no one alerted.

`make deploy` runs it after every deployment, against the stage's default URL (under its
/api stage path) and, once DNS answers, its own domain. Each check is one line:

- GET healthz: the app runs and reaches its table;
- the form page, and the stylesheet and script it links, found where the page says
  (relative links: a page that pointed above the stage path fails here);
- the status page;
- the staff API without a token: 401 (API Gateway's Cognito authorizer, or the app);
- where staff sign in (GET /api/v1/sign-in) and the managed login's answer to this
  client: a redirect to its sign-in page, not to its error page (a wrong callback URL);
- a deployed stage does not show the local outbox (/dev/outbox).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import Any

from chalicelib.cli.signin import LOOPBACK, SCOPES, callback_url

TYPES = {"stylesheet": "text/css", "script": "text/javascript"}


class Failed(Exception):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to look at, not to follow


_OPENER = urllib.request.build_opener(_NoRedirects)


def _get(url: str) -> tuple[int, Any, bytes]:
    # http(s) only: smoke() refuses any other address before the first request.
    request = urllib.request.Request(url, headers={"Accept": "*/*"})  # noqa: S310
    try:
        with _OPENER.open(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (urllib.error.URLError, OSError) as error:
        raise Failed(f"cannot reach {url}: {error}") from None


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.found["stylesheet"] = a["href"] or ""
        elif tag == "script" and a.get("src"):
            self.found["script"] = a["src"] or ""
        elif tag == "form" and a.get("id") == "report":
            self.found["form"] = a.get("action") or ""


def check_health(base: str) -> str:
    status, _, body = _get(base + "healthz")
    if status != 200 or json.loads(body or b"{}").get("status") != "ok":
        raise Failed(f"healthz answered {status}")
    return "the app runs and reaches its table"


def check_form(base: str) -> str:
    status, headers, body = _get(base)
    if status != 200 or not headers.get("Content-Type", "").startswith("text/html"):
        raise Failed(f"the form page answered {status}")
    if "default-src 'self'" not in headers.get("Content-Security-Policy", ""):
        raise Failed("the form page has no Content-Security-Policy")
    parser = _Assets()
    parser.feed(body.decode("utf-8", "replace"))
    for kind in ("stylesheet", "script", "form"):
        if kind not in parser.found:
            raise Failed(f"the form page has no {kind}")
        url = urllib.parse.urljoin(base, parser.found[kind])
        if not url.startswith(base):
            raise Failed(f"the page's {kind} ({url}) is outside {base}")
        if kind in TYPES:
            got, asset_headers, _ = _get(url)
            if got != 200 or not asset_headers.get("Content-Type", "").startswith(TYPES[kind]):
                raise Failed(f"the page's {kind} answered {got}")
    return "the form page, its stylesheet and its script"


def check_status_page(base: str) -> str:
    status, _, _ = _get(base + "status")
    if status != 200:
        raise Failed(f"the status page answered {status}")
    return "the status page"


def check_staff_api(base: str) -> str:
    status, _, _ = _get(base + "api/v1/staff/cases")
    if status != 401:
        raise Failed(f"the staff API answered {status} without a token, not 401")
    return "the staff API refuses a request without a token (401)"


def check_sign_in(base: str, local: bool) -> str:
    status, _, body = _get(base + "api/v1/sign-in")
    if status == 404 and local:
        return "no staff sign-in here (a local run mints its own tokens)"
    if status != 200:
        raise Failed(f"where staff sign in: {status}")
    found = json.loads(body)
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": found["client_id"],
            "redirect_uri": callback_url(),
            "scope": found.get("scope") or SCOPES,
            "code_challenge": "smoke-test-smoke-test-smoke-test-smoke-test-00",
            "code_challenge_method": "S256",
        }
    )
    status, headers, _ = _get(f"{found['authorization_endpoint']}?{query}")
    where = urllib.parse.urlsplit(headers.get("Location") or "").path
    if status not in (302, 303) or "error" in where:
        raise Failed(f"the managed login answered {status} {where or ''}".rstrip())
    return "the managed login sends staff to its sign-in page"


def check_no_outbox(base: str, local: bool) -> str:
    if local:
        return "a local run: its outbox may show"
    status, _, _ = _get(base + "dev/outbox")
    if status not in (403, 404):
        raise Failed(f"/dev/outbox answered {status} in a deployed stage")
    return "no local outbox in a deployed stage"


def smoke(url: str, out: Any = None, *, local: bool | None = None) -> bool:
    """Every check against the stage at `url`, one line each; True if all passed.
    `local`: a local run (no sign-in, an outbox), which a loopback address is."""
    out = out or sys.stdout
    base = url.rstrip("/") + "/"
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        print(f"smoke test of {url}: not an http(s) address", file=out)
        return False
    if local is None:
        local = urllib.parse.urlsplit(base).hostname in LOOPBACK
    checks = [
        ("healthz", lambda: check_health(base)),
        ("form", lambda: check_form(base)),
        ("status", lambda: check_status_page(base)),
        ("staff API", lambda: check_staff_api(base)),
        ("sign-in", lambda: check_sign_in(base, local)),
        ("outbox", lambda: check_no_outbox(base, local)),
    ]
    passed = True
    print(f"smoke test of {base}", file=out)
    for name, check in checks:
        try:
            print(f"  ok    {name}: {check()}", file=out)
        except (Failed, ValueError, KeyError) as error:
            passed = False
            print(f"  FAIL  {name}: {error}", file=out)
    return passed


def _smoke(args: Any) -> int:
    return 0 if smoke(args.url) else 1


def register(commands: Any, url_option: dict[str, Any]) -> None:
    command = commands.add_parser(
        "smoke",
        help="check that a stage is up (reads only: files no report)",
        description="Checks the stage's health, its form page and the files it links, its "
        "status page, that the staff API wants a token and where staff sign in. Reads only.",
    )
    command.add_argument("--url", **url_option)
    command.set_defaults(run=_smoke)
