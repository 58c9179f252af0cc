"""A stand-in for Cognito's managed login on loopback, as the console and the CLI meet it.

Its authorize page "signs in" at once and sends the browser back to the redirect URI; its
token endpoint checks the PKCE verifier against the challenge (S256) and the client, as
Cognito does, and renews ID tokens from refresh tokens it issued (without a new refresh
token, as Cognito); it records revocations and serves its signing keys. For the CLI it
also plays the stage's `GET /api/v1/sign-in`, which tells where all of that is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt


class CognitoStandIn(ThreadingHTTPServer):
    def __init__(self, client_id: str, claims: dict, *, exchanged_lifetime: int = 3600) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        super().__init__(("127.0.0.1", 0), _Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.client_id = client_id
        self.claims = claims
        # How long an ID token exchanged for a code lives (a test of renewal wants it short).
        self.exchanged_lifetime = exchanged_lifetime
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: set[str] = set()
        self.revoked: list[str] = []
        self.authorize_asked: list[dict] = []
        self.token_asked: list[dict] = []
        self.refreshed = 0
        self.disabled = False  # an administrator disabled the person: renewals fail
        self.wrong_state = False  # the authorize page answers with another state
        self.insecure = False  # the stage names a token endpoint without TLS

    def __enter__(self) -> CognitoStandIn:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def id_token(self, nonce: str | None = None, lifetime: int = 3600) -> str:
        now = int(time.time())
        claims = {
            **self.claims,
            "iss": self.base,
            "aud": self.client_id,
            "token_use": "id",
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(4),
        }
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "stand-in"})

    def issue(self, query: dict) -> str:
        """A code for an authorize request, as its redirect would carry it."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = query
        return code

    def tokens(self, nonce: str | None = None, lifetime: int = 3600, refresh: bool = True):
        answer = {
            "id_token": self.id_token(nonce, lifetime),
            "access_token": "access",
            "expires_in": lifetime,
        }
        if refresh:
            answer["refresh_token"] = token = secrets.token_urlsafe(16)
            self.refresh_tokens.add(token)
        return answer

    def exchange(self, fields: dict) -> dict | None:
        asked = self.codes.pop(fields.get("code", ""), None)
        digest = hashlib.sha256(fields.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if (
            asked is None
            or asked.get("code_challenge_method") != "S256"
            or asked.get("code_challenge") != challenge
            or asked.get("redirect_uri") != fields.get("redirect_uri")
            or fields.get("client_id") != self.client_id
        ):
            return None
        return self.tokens(asked.get("nonce"), self.exchanged_lifetime)

    def renew(self, fields: dict) -> dict | None:
        if self.disabled or fields.get("refresh_token") not in self.refresh_tokens:
            return None
        self.refreshed += 1
        return self.tokens(refresh=False)


class _Handler(BaseHTTPRequestHandler):
    server: CognitoStandIn

    def _json(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        fake = self.server
        if parts.path == "/api/v1/sign-in":
            token = "http://sign-in.example" if fake.insecure else fake.base
            self._json(
                200,
                {
                    "authorization_endpoint": f"{fake.base}/oauth2/authorize",
                    "token_endpoint": f"{token}/oauth2/token",
                    "revocation_endpoint": f"{fake.base}/oauth2/revoke",
                    "client_id": fake.client_id,
                    "scope": "openid email profile",
                },
            )
        elif parts.path == "/oauth2/authorize":
            fake.authorize_asked.append(query)
            state = "forged" if fake.wrong_state else query["state"]
            answer = {"code": fake.issue(query), "state": state}
            self.send_response(302)
            self.send_header(
                "Location", f"{query['redirect_uri']}?{urllib.parse.urlencode(answer)}"
            )
            self.end_headers()
        else:  # the signing keys, wherever the verifier is told to look
            from jwt.algorithms import RSAAlgorithm

            jwk = json.loads(RSAAlgorithm.to_jwk(fake.key.public_key()))
            self._json(200, {"keys": [{**jwk, "kid": "stand-in", "alg": "RS256", "use": "sig"}]})

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        fields = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        fake = self.server
        if self.path == "/oauth2/revoke":
            fake.revoked.append(fields["token"])
            self._json(200, {})
            return
        fake.token_asked.append(fields)
        grants = {"authorization_code": fake.exchange, "refresh_token": fake.renew}
        if fields.get("grant_type") not in grants:
            self._json(400, {"error": "unsupported_grant_type"})
            return
        answer = grants[fields["grant_type"]](fields)
        if answer is None:
            self._json(400, {"error": "invalid_grant"})
        else:
            self._json(200, answer)

    def log_message(self, format, *args):
        pass
