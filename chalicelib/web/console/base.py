"""What every console route does the same way, so that each page is a call into services.

`console_route` checks, before the page runs: that a post comes from the console's own
pages (Origin, Sec-Fetch-Site, and the session's form token); that a session exists and
is not over (renewing its ID token when due); that the person's role may open the page.
It then gives the page a `Ctx` (who asks, as the services' Caller; the language; what was
posted) and renews the session cookie on the answer. A signed-out person is sent to
sign in and brought back, with what they had typed kept. The services' refusals become
the console's pages: a case outside the mandate is the same "not found" as a missing one.
"""

from __future__ import annotations

import functools
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.domain import staff as staff_roles
from chalicelib.lazy import lazy_module
from chalicelib.logs import describe
from chalicelib.web import urls
from chalicelib.web.console import render, session
from chalicelib.web.http import ALL_TYPES, cross_site, request_id
from chalicelib.web.pages import posted_fields

access = lazy_module("chalicelib.services.access")
colleagues = lazy_module("chalicelib.services.colleagues")

log = logging.getLogger("homeward.console")
bp = Blueprint(__name__)

WORKERS = staff_roles.WORKERS
EVERYONE = staff_roles.ROLES
# What a form may carry into a kept draft: what a person typed, nothing chosen from lists.
DRAFTED = ("note", "text", "reason", "value")


@dataclass
class Ctx:
    request: Any
    lang: str
    up: str
    form: dict[str, str] = field(default_factory=dict)
    # Every value of every posted field (a multiple select, checkboxes).
    fields: dict[str, list[str]] = field(default_factory=dict)
    session: session.Session | None = None
    caller: Any = None
    # What was typed before the session ended, for the page it was typed on.
    draft: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)

    def query(self, name: str) -> str | None:
        return (self.request.query_params or {}).get(name)

    @property
    def _(self) -> Callable[[str], str]:
        return render.gettext_for(self.lang)

    def page(self, template: str, status: int = 200, **context: Any) -> Response:
        body = render.render(
            template,
            self.lang,
            up=self.up,
            static=lambda name: render.static_url(name, self.up),
            me=self.session,
            csrf=self.session.csrf if self.session else "",
            names=wiring.staff_names().current() if self.session else None,
            idle_seconds=_idle() if self.session else None,
            my_organisation=_organisation(self.session.agency) if self.session else None,
            here=session.actual_path(self.request).lstrip("/"),
            **context,
        )
        return Response(body=body, status_code=status, headers=headers(self))

    def redirect(self, path: str, **query: str | None) -> Response:
        """303 to a console page (a path from the app's root, without the leading /)."""
        return Response(
            body="",
            status_code=303,
            headers={**headers(self), "Location": self.up + _url(path, query)},
        )


def _organisation(agency: str) -> str:
    """An agency by its name, as colleagues know it; its code only if the directory has none."""
    return wiring.directory().current().organisation_of(agency) or agency


def _url(path: str, query: dict[str, str | None]) -> str:
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return path + ("?" + urllib.parse.urlencode(kept) if kept else "")


def headers(ctx: Ctx) -> dict[str, Any]:
    sign_in = wiring.settings().sign_in_url or ""
    found: dict[str, Any] = {
        "Content-Type": "text/html; charset=utf-8",
        # Case pages hold children's details: never cached, never kept in history's cache.
        "Cache-Control": "no-store",
        "Content-Language": ctx.lang,
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; "
            # Signing out goes on to the managed login's own sign-out.
            f"form-action 'self' {sign_in}".rstrip()
            + "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if ctx.cookies:
        found["Set-Cookie"] = list(ctx.cookies)
    return found


def root(request: Any) -> str:
    """The way up to the app's root from the page as the browser addressed it: "/staff/"
    (typed with its slash) is one folder deeper than the route "/staff" it reaches."""
    way = urls.up(request.path)
    typed = (request.context or {}).get("path") or ""
    if typed.endswith("/") and (request.path or "/") != "/":
        way = "../" + way.removeprefix("./")
    return way


def message(ctx: Ctx, status: int, title: str, text: str) -> Response:
    return ctx.page("message.html", status, title=title, text=text)


def not_found(ctx: Ctx) -> Response:
    _ = ctx._
    return message(
        ctx,
        404,
        _("Not found"),
        _(
            "There is no case with this reference that you may open. Check the reference, "
            "or ask a coordinator."
        ),
    )


def console_route(
    path: str,
    methods: Iterable[str] = ("GET",),
    *,
    roles: tuple[str, ...] = EVERYONE,
    signed_in: bool = True,
    back: Callable[..., str] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A console page or form. `back`: the page a form was posted from (from the path's
    parameters), where a person signed out meanwhile comes back to."""

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(**params: str) -> Response:
            response = answer(**params)
            if bp.current_request.method == "HEAD":
                # What a GET would answer, its headers only (link checkers, monitors).
                response.body = ""
            return response

        def answer(**params: str) -> Response:
            request = bp.current_request
            jar = session.cookies(request)
            current = session.read_session(jar.get(session.SESSION))
            ctx = Ctx(
                request,
                render.pick(_query(request, "lang"), current and current.lang),
                root(request),
            )
            if request.method == "POST":
                ctx.fields = posted_fields(request.raw_body or b"")
                ctx.form = {k: v[0] for k, v in ctx.fields.items()}
                if cross_site(request, wiring.settings().public_url):
                    return _refused_cross_site(ctx)
            if not signed_in:
                ctx.session = _live(current)
                return view(ctx, **params)
            current = _still_signed_in(current)
            if current is None:
                return _sign_in_again(ctx, jar, params, back)
            ctx.session = current = _with_language(current, ctx.lang)
            ctx.cookies.append(
                session.set_cookie(
                    session.SESSION,
                    session.sealed_session(current.touched(time.time(), _idle())),
                    session.cookie_path(request),
                    session.MAX_SECONDS,
                )
            )
            if request.method == "POST" and not session.csrf_valid(current, ctx.form.get("csrf")):
                return _out_of_date(ctx, params, back)
            if current.role not in roles:
                _ = ctx._
                return message(ctx, 403, _("Not for your role"), _("Your role does not do this."))
            staff = current.staff()
            recipient = wiring.directory().current().recipient(staff.agency)
            ctx.caller = access.Caller(staff, request_id(request), recipient)
            ctx.draft = _draft(ctx, jar)
            try:
                return view(ctx, **params)
            except access.CaseNotFound:
                return not_found(ctx)
            except access.NotPermitted:
                _ = ctx._
                return message(ctx, 403, _("Not for your role"), _("Your role does not do this."))

        allowed = [*methods, "HEAD"] if "GET" in methods else list(methods)
        bp.route(path, methods=allowed, content_types=ALL_TYPES)(handler)
        return handler

    return register


def _query(request: Any, name: str) -> str | None:
    return (request.query_params or {}).get(name)


def _idle() -> int:
    return wiring.settings().console_idle_seconds


def _with_language(current: session.Session, lang: str) -> session.Session:
    from dataclasses import replace

    return current if current.lang == lang else replace(current, lang=lang)


def _live(current: session.Session | None) -> session.Session | None:
    """The session, or None once it is over or was signed out of (on the server: a copy
    of the cookie kept elsewhere opens nothing)."""
    if current is None or current.over(time.time()):
        return None
    return None if colleagues.signed_out(current.session_id, stores=wiring.stores()) else current


def _still_signed_in(current: session.Session | None) -> session.Session | None:
    """The session, its ID token renewed when due; None once it is over."""
    current = _live(current)
    if current is None:
        return None
    now = time.time()
    if now < current.token_expires - 60:
        return current
    client = wiring.sign_in()
    if client is None or not current.refresh_token:
        return None
    return session.renew(current, client)


def _refused_cross_site(ctx: Ctx) -> Response:
    _ = ctx._
    return message(
        ctx,
        403,
        _("This was sent from another page"),
        _(
            "Nothing was done: the console accepts changes only from its own pages. Open "
            "the page again and send the form from there."
        ),
    )


def _target(ctx: Ctx, params: dict[str, str], back: Callable[..., str] | None) -> str:
    return back(**params) if back else session.actual_path(ctx.request).lstrip("/")


def _keep_draft(ctx: Ctx, subject: str | None, target: str) -> None:
    """Keep what the posted form's person typed, for the page it came from."""
    typed = {k: v[:5000] for k, v in ctx.form.items() if k in DRAFTED and v.strip()}
    if ctx.request.method != "POST" or not typed:
        return
    draft = {
        "subject": subject,
        "page": target,
        "fields": typed,
        "until": int(time.time()) + session.DRAFT_SECONDS,
    }
    ctx.cookies.append(
        session.set_cookie(
            session.DRAFT,
            session.seal(session.DRAFT, draft),
            session.cookie_path(ctx.request),
            session.DRAFT_SECONDS,
        )
    )


def _sign_in_again(
    ctx: Ctx, jar: dict[str, str], params: dict[str, str], back: Callable[..., str] | None
) -> Response:
    """To the sign-in, and back here afterwards; a posted form's words are kept."""
    old = session.unseal(session.SESSION, jar.get(session.SESSION)) or {}
    target = _target(ctx, params, back)
    _keep_draft(ctx, old.get("subject"), target)
    ctx.cookies.append(session.clear_cookie(session.SESSION, session.cookie_path(ctx.request)))
    # A session that was there and ended: the sign-in page says so first.
    why = "expired" if old else None
    return ctx.redirect("staff/sign-in", next=target, lang=ctx.lang, why=why)


def _out_of_date(ctx: Ctx, params: dict[str, str], back: Callable[..., str] | None) -> Response:
    """A form of an earlier session (signed in again meanwhile, in another tab): nothing
    is done, and the page comes back with what was typed, to be sent again."""
    assert ctx.session is not None
    target = _target(ctx, params, back)
    _keep_draft(ctx, ctx.session.subject, target)
    return ctx.redirect(target, notice="resend", lang=ctx.lang)


def _draft(ctx: Ctx, jar: dict[str, str]) -> dict[str, str]:
    """What was typed on this page before the session ended, once; only for the person
    who typed it (or anyone signed in, when the session had been lost entirely)."""
    found = session.unseal(session.DRAFT, jar.get(session.DRAFT))
    if not found or ctx.request.method != "GET":
        return {}
    if found.get("page") != session.actual_path(ctx.request).lstrip("/"):
        return {}
    ctx.cookies.append(session.clear_cookie(session.DRAFT, session.cookie_path(ctx.request)))
    fresh = found.get("until", 0) > time.time()
    theirs = found.get("subject") in (None, ctx.session.subject if ctx.session else None)
    if not (fresh and theirs):
        return {}
    return {k: str(v) for k, v in (found.get("fields") or {}).items() if k in DRAFTED}


def failed(exc: Exception) -> str:
    """What a log may say of a failure: its kind and place, never its words."""
    return describe(exc)
