"""The console's side of Cognito's managed login: the token endpoint, over HTTPS.

The staff function trades the browser's authorization code (with the PKCE verifier it
kept) for tokens, renews an ID token with the refresh token, and revokes the refresh
token at sign-out. The tokens themselves are verified by the same TokenVerifier as the
staff API's bearer tokens (adapters/tokens.py).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("homeward.signin")


class SignInFailed(Exception):
    """Cognito refused (a used code, an expired refresh token) or could not be reached.
    Kept inside this module: callers get None, and send the person to sign in again."""


@dataclass(frozen=True)
class Endpoints:
    # https://PREFIX.auth.REGION.amazoncognito.com, no trailing slash.
    base: str
    client_id: str

    @property
    def authorize(self) -> str:
        return f"{self.base}/oauth2/authorize"

    @property
    def logout(self) -> str:
        return f"{self.base}/logout"


class CognitoSignIn:
    def __init__(self, endpoints: Endpoints, timeout: float = 10) -> None:
        self.endpoints = endpoints
        self._timeout = timeout

    def _post(self, path: str, fields: dict[str, str]) -> dict[str, Any]:
        if not self.endpoints.base.startswith(("https://", "http://127.0.0.1")):
            raise SignInFailed("the sign-in is not https")
        request = urllib.request.Request(  # noqa: S310 - https checked above
            f"{self.endpoints.base}{path}",
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                raw = response.read()
        except (urllib.error.URLError, OSError) as error:
            # Cognito's answer may name the code or token: only the kind of failure is kept.
            raise SignInFailed(type(error).__name__) from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise SignInFailed("not JSON") from None

    def _answer(self, path: str, fields: dict[str, str]) -> dict[str, Any] | None:
        try:
            answer = self._post(path, fields)
        except SignInFailed as failed:
            log.warning("the managed login refused or failed: %s", failed)
            return None
        return answer if isinstance(answer.get("id_token"), str) else None

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any] | None:
        """The tokens for an authorization code (id_token, refresh_token, expires_in);
        None if Cognito refused the code or could not be reached."""
        return self._answer(
            "/oauth2/token",
            {
                "grant_type": "authorization_code",
                "client_id": self.endpoints.client_id,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        )

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        return self._answer(
            "/oauth2/token",
            {
                "grant_type": "refresh_token",
                "client_id": self.endpoints.client_id,
                "refresh_token": refresh_token,
            },
        )

    def revoke(self, refresh_token: str) -> bool:
        """Best effort: the session is over here whatever Cognito answers."""
        try:
            self._post(
                "/oauth2/revoke", {"token": refresh_token, "client_id": self.endpoints.client_id}
            )
        except SignInFailed:
            return False
        return True
