"""`homeward login` and `homeward logout`: staff sign in with the stage's managed login.

`login` asks the stage where its sign-in is (GET /api/v1/sign-in), opens Cognito's managed
login in the browser, and takes the answer on a loopback address (RFC 8252): the
authorization-code flow with PKCE (S256), so a public client needs no secret and a code
caught by another program on the machine is worth nothing without the verifier. Password
and TOTP are entered on Cognito's page only, never here.

The ID token and the refresh token are kept per stage in the user's config directory
(~/.config/homeward/tokens.json, or $XDG_CONFIG_HOME), readable by the user alone (0600);
the access token is not kept, the staff API does not use it. An expired ID token is
renewed with the refresh token; when that has expired too, `login` again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.server
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

# The CLI's redirect: Cognito compares it whole, port included, with the app client's
# callback URLs (infra/package.py registers this one).
CALLBACK_PORT = 47615
CALLBACK_PATH = "/callback"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SCOPES = "openid email profile"
# How long `login` waits for the browser: a first sign-in sets a password and TOTP.
WAIT_SECONDS = 600
# An ID token this close to its expiry is renewed first: a command may take a while.
MARGIN_SECONDS = 60


class SignInError(Exception):
    """Sign-in did not work; the message is for the person at the terminal."""


class SignInRefused(SignInError):
    """The sign-in said no (an expired refresh token, a used code), not "unreachable"."""


def callback_url(port: int | None = None) -> str:
    return f"http://127.0.0.1:{port or CALLBACK_PORT}{CALLBACK_PATH}"


# -- the token cache ---------------------------------------------------------------


def cache_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "homeward" / "tokens.json"


def _key(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _read_cache() -> dict[str, Any]:
    try:
        return json.loads(cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(cache: dict[str, Any]) -> None:
    path = cache_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    # Created 0600 before anything is written, whatever the umask: tokens are keys to
    # children's cases.
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        json.dump(cache, out, indent=2)
    os.replace(scratch, path)


def _store(url: str, entry: dict[str, Any] | None) -> None:
    cache = _read_cache()
    if entry is None:
        cache.pop(_key(url), None)
    else:
        cache[_key(url)] = entry
    _write_cache(cache)


def cached_token(url: str) -> str | None:
    """The signed-in ID token for the stage at `url`, renewed if it expired; None if
    nobody signed in there."""
    entry = _read_cache().get(_key(url))
    if not entry:
        return None
    if time.time() < entry.get("expires_at", 0):
        return entry["id_token"]
    try:
        answer = _post(
            entry["token_endpoint"],
            {
                "grant_type": "refresh_token",
                "client_id": entry["client_id"],
                "refresh_token": entry["refresh_token"],
            },
        )
    except SignInRefused:
        _store(url, None)
        raise SignInError(
            f"your sign-in to {url} has expired: sign in again (homeward --url {url} login)"
        ) from None
    _store(url, _entry(answer, entry, entry))
    return answer["id_token"]


def _entry(answer: dict[str, Any], endpoints: dict[str, Any], old: dict | None = None) -> dict:
    if not isinstance(answer.get("id_token"), str):
        raise SignInError("the sign-in answered without an ID token")
    # Cognito renews the ID token only: the refresh token stays what it was.
    refresh = answer.get("refresh_token") or (old or {}).get("refresh_token")
    return {
        "id_token": answer["id_token"],
        "refresh_token": refresh,
        "expires_at": int(time.time()) + int(answer.get("expires_in", 3600)) - MARGIN_SECONDS,
        "token_endpoint": endpoints["token_endpoint"],
        "revocation_endpoint": endpoints.get("revocation_endpoint"),
        "client_id": endpoints["client_id"],
    }


# -- talking to the stage and to the sign-in ------------------------------------------


def _secure(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)


def _post(url: str, fields: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - https (or loopback) checked by callers
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as error:
        try:
            reason = json.loads(error.read()).get("error", error.code)
        except ValueError:
            reason = error.code
        raise SignInRefused(f"the sign-in refused: {reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SignInError(f"cannot reach the sign-in: {error}") from None
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise SignInError("the sign-in answered something other than JSON") from None


def discover(url: str) -> dict[str, Any]:
    """Where the stage at `url` has its staff sign in (GET /api/v1/sign-in)."""
    if not _secure(url):
        # Over plain http anyone on the way could send the browser to a sign-in of theirs.
        raise SignInError(f"{url}: use https")
    address = url.rstrip("/") + "/api/v1/sign-in"
    try:
        with urllib.request.urlopen(address, timeout=30) as response:  # noqa: S310
            found = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise SignInError(
                f"{url} has no staff sign-in; a local run needs none (the command mints "
                "a local coordinator token itself)"
            ) from None
        raise SignInError(f"{address}: {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise SignInError(f"cannot reach {url}: {error}") from None
    for name in ("authorization_endpoint", "token_endpoint"):
        if not _secure(str(found.get(name, ""))):
            raise SignInError(f"{url} gives a sign-in that is not https ({name})")
    return found


# -- the browser's answer, on loopback -------------------------------------------------

_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Homeward</title><p>{}</p></html>'
)


class _Callback(http.server.BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self.send_error(404)
            return
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        if not hmac.compare_digest(query.get("state", ""), self.server.state):
            message = "This answer is not for the sign-in that is waiting. Try again."
            self.server.result = {"error": "the browser's answer did not match (state)"}
        elif "error" in query:
            message = "Sign-in did not finish. Go back to the terminal."
            self.server.result = {"error": query["error"]}
        else:
            message = "Signed in. You can close this tab and go back to the terminal."
            self.server.result = {"code": query.get("code", "")}
        body = _PAGE.format(message).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line holds the code: it is never printed


class _CallbackServer(http.server.HTTPServer):
    def __init__(self, port: int, state: str) -> None:
        # Loopback only: nothing on the network can answer in the browser's place.
        super().__init__(("127.0.0.1", port), _Callback)
        self.state = state
        self.result: dict[str, str] | None = None

    def wait(self, seconds: float) -> dict[str, str]:
        deadline = time.monotonic() + seconds
        while self.result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SignInError("no answer from the browser in time; try again")
            self.timeout = min(left, 1.0)
            self.handle_request()
        return self.result


def _pkce() -> tuple[str, str]:
    """A code verifier (86 characters, within RFC 7636's 43-128) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign_in(url: str, *, port: int | None = None, wait: float = WAIT_SECONDS) -> dict:
    """Sign in to the stage at `url` in the browser; keep and return the tokens' claims."""
    import webbrowser

    port = port or CALLBACK_PORT
    found = discover(url)
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(24)
    redirect = callback_url(port)
    try:
        server = _CallbackServer(port, state)
    except OSError:
        raise SignInError(f"port {port} is busy (another `homeward login`?); try again") from None
    with server:  # closes the loopback port, whatever happens
        authorize = (
            found["authorization_endpoint"]
            + "?"
            + urllib.parse.urlencode(
                {
                    "response_type": "code",
                    "client_id": found["client_id"],
                    "redirect_uri": redirect,
                    "scope": found.get("scope") or SCOPES,
                    "state": state,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
            )
        )
        print(
            "Opening the sign-in page in your browser. If it does not open, open this "
            f"address on this computer:\n\n  {authorize}\n",
            file=sys.stderr,
        )
        threading.Thread(target=webbrowser.open, args=(authorize,), daemon=True).start()
        result = server.wait(wait)
    if "error" in result:
        raise SignInError(f"sign-in did not finish: {result['error']}")
    answer = _post(
        found["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "client_id": found["client_id"],
            "code": result["code"],
            "redirect_uri": redirect,
            "code_verifier": verifier,
        },
    )
    _store(url, _entry(answer, found))
    return claims(answer["id_token"])


def sign_out(url: str) -> bool:
    """Forget the stage's tokens here, and revoke the refresh token; False if none."""
    entry = _read_cache().get(_key(url))
    if not entry:
        return False
    _store(url, None)
    if entry.get("revocation_endpoint") and entry.get("refresh_token"):
        # Best effort: the tokens are gone from this machine whatever the answer.
        with contextlib.suppress(SignInError):
            _post(
                entry["revocation_endpoint"],
                {"token": entry["refresh_token"], "client_id": entry["client_id"]},
            )
    return True


def claims(id_token: str) -> dict[str, Any]:
    """What the ID token says, for the person at the terminal; the API verifies it."""
    import jwt

    return jwt.decode(id_token, options={"verify_signature": False})


# -- the commands ------------------------------------------------------------------------


def _login(args: Any) -> int:
    try:
        said = sign_in(args.url)
    except SignInError as error:
        print(f"homeward: {error}", file=sys.stderr)
        return 2
    roles = ", ".join(said.get("cognito:groups") or []) or "no role yet"
    print(f"Signed in to {args.url} ({roles}, {said.get('custom:agency') or 'no agency'}).")
    print(f"The sign-in is kept in {cache_file()} (only you can read it); `logout` ends it.")
    return 0


def _logout(args: Any) -> int:
    if sign_out(args.url):
        print(f"Signed out of {args.url}.")
    else:
        print(f"Not signed in to {args.url}.")
    return 0


def register(commands: Any, url_option: dict[str, Any]) -> None:
    login = commands.add_parser(
        "login",
        help="sign in to a deployed stage in the browser (password and TOTP)",
        description="Opens the stage's sign-in page in the browser and keeps the sign-in "
        f"in {cache_file()} for the other commands.",
    )
    login.add_argument("--url", **url_option)
    login.set_defaults(run=_login)
    logout = commands.add_parser("logout", help="forget the sign-in to a stage")
    logout.add_argument("--url", **url_option)
    logout.set_defaults(run=_logout)
