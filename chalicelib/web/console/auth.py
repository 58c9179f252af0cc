"""Signing in to the console, and out.

In a deployed stage: Cognito's managed login, with the authorization-code flow and PKCE
(S256). The verifier, the state and a nonce wait in a sealed cookie for the few minutes
of the round trip (SameSite=Lax: it must come back with Cognito's redirect); the code is
traded for tokens by the staff function, the ID token verified by the same TokenVerifier
as the staff API's, and the session begins (web/console/session.py). The callback answers
with a page that moves on by itself rather than a redirect: the session cookie is
SameSite=Strict, and a redirect chain that began on Cognito's site would not carry it.

In a local run: a page offers the demo staff (infra/demo/staff.csv) and signs in as the
one chosen, with a token from the local development key. The page exists in no other
stage: there are no demo staff, and no such key, anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
import urllib.parse

from chalice import Response

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.console import render, session
from chalicelib.web.console.base import Ctx, console_route, message

colleagues = lazy_module("chalicelib.services.colleagues")

log = logging.getLogger("homeward.console")

SCOPE = "openid email profile"
_NEXT = re.compile(r"^staff(/[A-Za-z0-9_.~-]+)*(\?[A-Za-z0-9_.~%=&+-]*)?$")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console page of this stage, never another site."""
    value = (value or "").strip()
    return value if _NEXT.match(value) and ".." not in value else "staff"


def _idle() -> int:
    return wiring.settings().console_idle_seconds


def _begin(ctx: Ctx, id_token: str, refresh: str | None) -> bool:
    """Start a session for a verified ID token; False if the token is refused."""
    from chalicelib.domain.staff import InvalidToken

    try:
        staff = wiring.token_verifier().verify(id_token)
    except InvalidToken:
        return False
    # Colleagues see this person by name from now on, and may give them cases.
    colleagues.record(staff, stores=wiring.stores())
    wiring.staff_names().forget()
    started = session.Session.begin(
        staff, int(session.claims(id_token)["exp"]), ctx.lang, refresh, _idle()
    )
    path = session.cookie_path(ctx.request)
    ctx.cookies += [
        session.set_cookie(
            session.SESSION, session.sealed_session(started), path, session.MAX_SECONDS
        ),
        session.clear_cookie(session.SIGN_IN, path),
    ]
    log.info("%s signed in to the console (%s)", staff.subject, staff.role)
    return True


def _refused(ctx: Ctx) -> Response:
    _ = ctx._
    return message(
        ctx,
        401,
        _("Sign-in did not work"),
        _("The sign-in could not be completed. Please sign in again."),
    )


@console_route("/staff/sign-in", signed_in=False)
def sign_in_page(ctx: Ctx) -> Response:
    target = safe_next(ctx.query("next"))
    if ctx.session is not None:
        return ctx.redirect(target)
    if ctx.query("why") == "expired":
        # Why the person is here, before the sign-in (a managed login cannot say it).
        return ctx.page(
            "session_over.html",
            minutes=max(wiring.settings().console_idle_seconds // 60, 1),
            query=urllib.parse.urlencode({"next": target, "lang": ctx.lang}),
        )
    people = wiring.local_staff if wiring.settings().is_local else None
    if people:
        return ctx.page("sign_in_local.html", people=people, next=target)
    client = wiring.sign_in()
    if client is None:
        _ = ctx._
        return message(ctx, 404, _("Not found"), _("This stage has no staff sign-in."))
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    waiting = {
        "verifier": verifier,
        "state": state,
        "nonce": nonce,
        "next": target,
        "lang": ctx.lang,
        "until": int(time.time()) + session.SIGN_IN_SECONDS,
    }
    ctx.cookies.append(
        session.set_cookie(
            session.SIGN_IN,
            session.seal(session.SIGN_IN, waiting),
            session.cookie_path(ctx.request),
            session.SIGN_IN_SECONDS,
            same_site="Lax",
        )
    )
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client.endpoints.client_id,
            "redirect_uri": callback_url(),
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
            "lang": ctx.lang,
        }
    )
    response = ctx.redirect("staff")
    response.headers["Location"] = f"{client.endpoints.authorize}?{query}"
    return response


def callback_url() -> str:
    """As registered with the app client (infra/package.py): the stage's public address."""
    return f"{wiring.settings().public_url}/staff/callback"


@console_route("/staff/sign-in", ["POST"], signed_in=False)
def sign_in_as_demo(ctx: Ctx) -> Response:
    ctx.lang = render.pick(ctx.form.get("lang"), ctx.lang)
    people = wiring.local_staff if wiring.settings().is_local else None
    chosen = next((p for p in people or () if p["subject"] == ctx.form.get("subject")), None)
    if chosen is None:
        _ = ctx._
        return message(ctx, 404, _("Not found"), _("This stage has no staff sign-in."))
    if not _begin(ctx, wiring.local_staff_token(chosen), None):
        return _refused(ctx)
    return ctx.redirect(safe_next(ctx.form.get("next")))


@console_route("/staff/callback", signed_in=False)
def callback(ctx: Ctx) -> Response:
    client = wiring.sign_in()
    jar = session.cookies(ctx.request)
    waiting = session.unseal(session.SIGN_IN, jar.get(session.SIGN_IN))
    state = ctx.query("state") or ""
    code = ctx.query("code") or ""
    if (
        client is None
        or waiting is None
        or waiting.get("until", 0) < time.time()
        or not hmac.compare_digest(str(waiting.get("state", "")), state)
        or not code
    ):
        return _refused(ctx)
    ctx.lang = waiting.get("lang") or ctx.lang
    answer = client.exchange(code, str(waiting["verifier"]), callback_url())
    if answer is None:
        return _refused(ctx)
    nonce = session.claims(answer["id_token"]).get("nonce")
    if not hmac.compare_digest(str(nonce or ""), str(waiting.get("nonce", ""))):
        return _refused(ctx)
    if not _begin(ctx, answer["id_token"], answer.get("refresh_token")):
        return _refused(ctx)
    # A page that moves on by itself: a redirect here would be the last step of a chain
    # that began on Cognito's site, and the browser would not send the new session.
    return ctx.page("signed_in.html", next=safe_next(waiting.get("next")))


@console_route("/staff/sign-out", ["POST"])
def sign_out(ctx: Ctx) -> Response:
    assert ctx.session is not None
    # Ended on the server first: a copy of the cookie (a shared computer, a stolen
    # backup) no longer opens anything, whatever the browser does with the cookie.
    colleagues.sign_out(ctx.session.session_id, ctx.session.ends, stores=wiring.stores())
    client = wiring.sign_in()
    if client is not None and ctx.session.refresh_token:
        # A copy of the cookie can no longer renew itself after this.
        client.revoke(ctx.session.refresh_token)
    path = session.cookie_path(ctx.request)
    ctx.cookies = [
        session.clear_cookie(session.SESSION, path),
        session.clear_cookie(session.DRAFT, path),
    ]
    log.info("%s signed out of the console", ctx.session.subject)
    if client is None:
        return ctx.redirect("staff/signed-out", lang=ctx.lang)
    # And out of the managed login too, or the next sign-in would pass without a password.
    query = urllib.parse.urlencode(
        {
            "client_id": client.endpoints.client_id,
            "logout_uri": f"{wiring.settings().public_url}/staff/signed-out",
        }
    )
    response = ctx.redirect("staff/signed-out")
    response.headers["Location"] = f"{client.endpoints.logout}?{query}"
    return response


@console_route("/staff/signed-out", signed_in=False)
def signed_out(ctx: Ctx) -> Response:
    return ctx.page("signed_out.html")
