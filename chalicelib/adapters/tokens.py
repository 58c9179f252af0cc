"""Staff identity tokens: verifying Cognito ID tokens, and minting local development ones.

Every staff request's token is verified here, in every stage: API Gateway's Cognito
authorizer does it too when deployed, but `chalice local` skips authorizers, and a
second check costs little. Local development tokens go through the very same code,
signed by a key on the developer's machine that no deployed stage knows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from chalicelib.domain.partners import CLIENT_ID, SCOPES, PartnerClient
from chalicelib.domain.staff import AGENCY, EVIDENCE_GROUP, ROLES, InvalidToken, Role, StaffMember

ALGORITHMS = ["RS256"]
DEV_KEY_ID = "homeward-local-dev"
LOCAL_ISSUER = "homeward-local"
LOCAL_AUDIENCE = "homeward-local"
# Clocks of phones, laptops and Lambdas disagree a little.
LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    # Cognito publishes its keys here; None for local runs, which use `dev_key_file`.
    jwks_url: str | None
    dev_key_file: Path | None


class TokenVerifier:
    def __init__(self, settings: TokenSettings) -> None:
        self._settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        self._dev_key: Any = None

    def _key(self, token: str) -> Any:
        header = jwt.get_unverified_header(token)
        if header.get("kid") == DEV_KEY_ID:
            # Deployed stages have no development key: such a token is refused outright.
            if self._settings.dev_key_file is None:
                raise InvalidToken("development tokens are for local runs only")
            if self._dev_key is None:
                self._dev_key = load_dev_key(self._settings.dev_key_file).public_key()
            return self._dev_key
        if not self._settings.jwks_url:
            raise InvalidToken("unknown key")
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self._settings.jwks_url, lifespan=3600)
        return self._jwks.get_signing_key(header.get("kid", "")).key

    def verify_partner(self, token: str) -> PartnerClient:
        """A partner's access token from Cognito's client-credentials flow: no audience
        (Cognito's access tokens carry `client_id` instead), no user, only our scopes."""
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                issuer=self._settings.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError, OSError) as exc:
            raise InvalidToken(type(exc).__name__) from None
        if claims.get("token_use") != "access":
            raise InvalidToken("not an access token")
        client_id = claims.get("client_id")
        # A client's own token: its subject is the client; a person's token has a user.
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            raise InvalidToken("client")
        if claims.get("sub") != client_id or "username" in claims:
            raise InvalidToken("not a client-credentials token")
        lifetime = claims.get("exp", 0) - claims.get("iat", 0)
        if not isinstance(lifetime, int) or not 0 < lifetime <= MAX_LIFETIME_SECONDS:
            raise InvalidToken("lifetime")
        scope = claims.get("scope")
        scopes = frozenset(scope.split()) & frozenset(SCOPES) if isinstance(scope, str) else None
        if not scopes:
            raise InvalidToken("no partner scope")
        return PartnerClient(client_id=client_id, scopes=scopes)

    def verify(self, token: str) -> StaffMember:
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, ValueError, OSError) as exc:
            raise InvalidToken(type(exc).__name__) from None
        # Cognito access tokens carry no audience; only ID tokens name a user's groups.
        if claims.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        # Cognito issues ID tokens for at most a day; a longer one was not made by it.
        lifetime = claims.get("exp", 0) - claims.get("iat", 0)
        if not isinstance(lifetime, int) or not 0 < lifetime <= MAX_LIFETIME_SECONDS:
            raise InvalidToken("lifetime")
        groups = claims.get("cognito:groups") or []
        agency = claims.get("custom:agency")
        subject = claims.get("sub")
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InvalidToken("groups")
        roles = [g for g in groups if g in ROLES]
        if len(roles) != 1 or not isinstance(agency, str) or not AGENCY.match(agency):
            raise InvalidToken("a staff member needs exactly one role and an agency")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("subject")
        name = claims.get("name")
        email = claims.get("email")
        # Only an address Cognito verified says whose alerts these are.
        verified = claims.get("email_verified") in (True, "true")
        return StaffMember(
            subject=subject,
            role=Role(roles[0]),
            agency=agency,
            name=name if isinstance(name, str) and name.strip() else None,
            email=email.strip().lower() if isinstance(email, str) and verified else None,
            evidence=EVIDENCE_GROUP in groups and roles[0] == Role.COORDINATOR,
        )


def load_dev_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def ensure_dev_key(path: Path) -> Path:
    """Create the local signing key on first use; it never leaves the developer's machine."""
    if path.exists():
        return path
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def mint_dev_token(
    key_file: Path,
    *,
    role: str,
    agency: str,
    subject: str | None = None,
    issuer: str = LOCAL_ISSUER,
    audience: str = LOCAL_AUDIENCE,
    lifetime: dt.timedelta = dt.timedelta(hours=8),
    now: dt.datetime | None = None,
    name: str | None = None,
    email: str | None = None,
    evidence: bool = False,
) -> str:
    """A token shaped like a Cognito ID token, signed with the local development key."""
    now = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": subject or f"dev-{role}-{uuid.uuid4().hex[:8]}",
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "token_use": "id",
        "cognito:groups": [role, EVIDENCE_GROUP] if evidence else [role],
        "custom:agency": agency,
    }
    if name:
        claims["name"] = name
    if email:
        claims.update(email=email, email_verified=True)
    return jwt.encode(
        claims, load_dev_key(key_file), algorithm="RS256", headers={"kid": DEV_KEY_ID}
    )


def mint_dev_partner_token(
    key_file: Path,
    *,
    client_id: str,
    scopes: tuple[str, ...] = SCOPES,
    issuer: str = LOCAL_ISSUER,
    lifetime: dt.timedelta = dt.timedelta(hours=1),
    now: dt.datetime | None = None,
) -> str:
    """A token shaped like a Cognito client-credentials access token, signed with the
    local development key (a local run's stand-in for the partner's token endpoint)."""
    now = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": client_id,
        "client_id": client_id,
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "token_use": "access",
        "scope": " ".join(scopes),
    }
    return jwt.encode(
        claims, load_dev_key(key_file), algorithm="RS256", headers={"kid": DEV_KEY_ID}
    )
