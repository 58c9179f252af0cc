"""The console's session: the verified ID token's claims in an encrypted cookie.

At sign-in the ID token is verified by the same TokenVerifier as the staff API's bearer
tokens; what it said (who, role, agency, name, verified e-mail, until when) is then kept
in a cookie sealed with AES-GCM under a key derived from the console's own session secret
(never the signing key, which the public function holds), so the
browser can neither read nor change it, and no table is read to know who asks. The
cookie is HttpOnly, Secure, SameSite=Strict, scoped to the console's path, and lives
until the session is idle for `console_idle_seconds` (renewed on every request). When the
ID token expires, the refresh token kept in the same cookie renews it (and the claims)
through Cognito; that fails once Cognito says the person may no longer sign in, or the
refresh token ran out, or it was revoked at sign-out.

Every state-changing form carries a token derived from the session (`csrf`), checked
with the request's Origin and Sec-Fetch-Site (web/http.py cross_site) before anything
is done. A form posted after the session ended is kept, sealed, in a short-lived draft
cookie, so that what was typed comes back on the page after signing in again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from chalicelib import wiring
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.staff import StaffMember

SESSION = "homeward_staff"
SIGN_IN = "homeward_sign_in"
DRAFT = "homeward_draft"
# However active the session, at most this long after signing in (the refresh token's
# validity in the user pool's app client).
MAX_SECONDS = 12 * 3600
# The sign-in round trip through Cognito, and a kept draft.
SIGN_IN_SECONDS = 10 * 60
DRAFT_SECONDS = 60 * 60


@dataclass(frozen=True)
class Session:
    subject: str
    role: str
    agency: str
    name: str | None
    email: str | None
    # When the ID token that said so expires, when the session was begun, and when it
    # ends unless used again (epoch seconds).
    token_expires: int
    started: int
    idle_until: int
    csrf: str
    lang: str = "uk"
    refresh_token: str | None = None
    # The evidence role (the user pool's group beside the role): a token's claim, renewed
    # with the others.
    evidence: bool = False

    def staff(self) -> StaffMember:
        return StaffMember(
            self.subject,
            self.role,  # type: ignore[arg-type]
            self.agency,
            self.name,
            self.email,
            evidence=self.evidence,
        )

    @property
    def session_id(self) -> str:
        """What the server knows this session by when it is signed out of: a hash of its
        random CSRF token (the token itself is never stored)."""
        return hashlib.sha256(f"session:{self.csrf}".encode()).hexdigest()[:32]

    @property
    def ends(self) -> int:
        """When it ends at the latest, however active (epoch seconds)."""
        return self.started + MAX_SECONDS

    def over(self, now: float) -> bool:
        return now >= self.idle_until or now >= self.started + MAX_SECONDS

    def touched(self, now: float, idle: int) -> Session:
        return replace(self, idle_until=int(now) + idle)

    @classmethod
    def begin(
        cls, staff: StaffMember, token_expires: int, lang: str, refresh: str | None, idle: int
    ) -> Session:
        now = int(time.time())
        return cls(
            subject=staff.subject,
            role=staff.role,
            agency=staff.agency,
            name=staff.name,
            email=staff.email,
            token_expires=token_expires,
            started=now,
            idle_until=now + idle,
            csrf=secrets.token_urlsafe(24),
            lang=lang,
            refresh_token=refresh,
            evidence=staff.evidence,
        )

    def renewed(self, staff: StaffMember, token_expires: int, refresh: str | None) -> Session:
        """The claims of a renewed ID token: a changed name, role or agency takes effect."""
        return replace(
            self,
            subject=staff.subject,
            role=staff.role,
            agency=staff.agency,
            name=staff.name,
            email=staff.email,
            token_expires=token_expires,
            refresh_token=refresh or self.refresh_token,
            evidence=staff.evidence,
        )


def claims(token: str) -> dict[str, Any]:
    """The payload of a token the verifier accepted (read for its expiry and nonce)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def renew(current: Session, client: Any) -> Session | None:
    """The session with a fresh ID token from its refresh token; None when Cognito says
    no (the person was disabled, the refresh token expired or was revoked)."""
    from chalicelib.domain.staff import InvalidToken

    answer = client.refresh(current.refresh_token)
    if answer is None:
        return None
    try:
        staff = wiring.token_verifier().verify(answer["id_token"])
    except InvalidToken:
        return None
    if staff.subject != current.subject:
        return None
    expires = int(claims(answer["id_token"])["exp"])
    return current.renewed(staff, expires, answer.get("refresh_token"))


# -- sealing ---------------------------------------------------------------------------


def _keys(purpose: str) -> list[bytes]:
    # The console's own secret's ring (domain/keyring.py), never the signing key the
    # public function holds: whoever has that must not be able to seal a session. The
    # newest key seals; a cookie sealed before a rotation still opens.
    ring = wiring.settings().keyring(Purpose.CONSOLE_SESSIONS)
    label = f"homeward console {purpose}".encode()
    return [hmac.new(secret, label, hashlib.sha256).digest() for secret in ring]


def seal(purpose: str, payload: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    sealed = AESGCM(_keys(purpose)[0]).encrypt(nonce, data, purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(purpose: str, value: str | None) -> dict[str, Any] | None:
    """What `seal` sealed for the same purpose; None for anything else."""
    if not value or len(value) > 6000:
        return None
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        return None
    for key in _keys(purpose):
        try:
            data = AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode())
            found = json.loads(data)
        except (InvalidTag, ValueError, TypeError):
            continue
        return found if isinstance(found, dict) else None
    return None


def read_session(value: str | None) -> Session | None:
    found = unseal(SESSION, value)
    if found is None:
        return None
    try:
        return Session(**found)
    except TypeError:
        return None


def sealed_session(session: Session) -> str:
    return seal(SESSION, asdict(session))


def csrf_token(session: Session) -> str:
    return session.csrf


def csrf_valid(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")


# -- cookies -------------------------------------------------------------------------------


def cookies(request: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in found:
            found[name] = value
    return found


def set_cookie(name: str, value: str, path: str, max_age: int, same_site: str = "Strict") -> str:
    """Never readable by scripts, never sent over plain HTTP (a local run's loopback
    address counts as secure to browsers), never sent from another site's page (Lax for
    the sign-in's own round trip, which comes back from Cognito's page)."""
    return f"{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite={same_site}"


def clear_cookie(name: str, path: str) -> str:
    return set_cookie(name, "", path, 0)


def actual_path(request: Any) -> str:
    """The path asked for (Chalice's `request.path` is the route's, with its {params})."""
    import re
    import urllib.parse

    params = request.uri_params or {}
    return re.sub(
        r"{(\w+)}",
        lambda m: urllib.parse.quote(params.get(m.group(1), ""), safe=""),
        request.path or "/",
    )


def cookie_path(request: Any) -> str:
    """The console's path as the browser sees it: /staff at the domain's root, or
    /api/staff under API Gateway's stage path of the default URL."""
    path = actual_path(request)
    full = (request.context or {}).get("path") or path
    prefix = full[: len(full) - len(path)] if full.endswith(path) else ""
    return f"{prefix.rstrip('/')}/staff"
