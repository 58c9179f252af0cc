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
- a deployed stage does not show the local outbox (/dev/outbox);
- a photo uploaded as the form's page does it, from the stage's public origin: an upload
  slot asked for with the page's form key, the bucket's CORS preflight, the presigned
  POST. It leaves one small file under uploads/, which no report claims and the bucket's
  lifecycle deletes two days later.
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


def _send(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None
) -> tuple[int, Any, bytes]:
    # http(s) only: smoke() refuses any other address before the first request, and the
    # bucket's address is the one the stage gave.
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method=method, headers=headers or {"Accept": "*/*"}
    )
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (urllib.error.URLError, OSError) as error:
        raise Failed(f"cannot reach {url}: {error}") from None


def _get(url: str) -> tuple[int, Any, bytes]:
    return _send(url)


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


# The smallest PNG: one transparent pixel (what the upload check posts).
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


class _SubmissionKey(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.key = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") == "submission_key":
            self.key = a.get("value") or ""


def _multipart(fields: dict[str, str], content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "homeward-smoke-" + "0" * 16
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    head = "".join(parts) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="smoke.png"'
        f"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def check_upload(base: str, origin: str) -> str:
    """A browser on `origin` uploading a photo through the form: the grant, then the
    bucket's CORS preflight and the POST, each answered for that origin."""
    status, _, body = _get(base)
    parser = _SubmissionKey()
    parser.feed(body.decode("utf-8", "replace"))
    if status != 200 or not parser.key:
        raise Failed("the form page has no form key")
    asked = json.dumps(
        {"submission_key": parser.key, "slot": 1, "content_type": "image/png", "size": len(PIXEL)}
    ).encode()
    status, _, answer = _send(
        base + "report/uploads",
        "POST",
        asked,
        {"Content-Type": "application/json", "Origin": origin},
    )
    if status != 200:
        raise Failed(f"an upload slot was refused: {status} {answer[:200]!r}")
    grant = json.loads(answer)
    status, headers, _ = _send(
        grant["url"],
        "OPTIONS",
        None,
        {"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    allowed = headers.get("Access-Control-Allow-Origin") if headers else None
    if status != 200 or allowed not in (origin, "*"):
        raise Failed(
            f"the uploads bucket's CORS refuses {origin} ({status}): its browsers cannot "
            "upload (the stage's UploadsOrigin output names the origin it allows)"
        )
    body, content_type = _multipart(grant["fields"], PIXEL, "image/png")
    status, headers, _ = _send(
        grant["url"], "POST", body, {"Content-Type": content_type, "Origin": origin}
    )
    if status not in (200, 201, 204) or headers.get("Access-Control-Allow-Origin") != origin:
        raise Failed(f"the presigned upload answered {status}")
    return f"a photo uploaded from {origin} (the bucket's CORS, the presigned POST)"


def smoke(
    url: str, out: Any = None, *, local: bool | None = None, origin: str | None = None
) -> bool:
    """Every check against the stage at `url`, one line each; True if all passed.
    `local`: a local run (no sign-in, an outbox), which a loopback address is. `origin`:
    where people open the form (its uploads come from there); `url`'s own by default."""
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
        ("upload", lambda: check_upload(base, origin or _origin(base))),
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


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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
