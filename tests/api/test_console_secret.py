"""The console's session cookies have a secret of their own (issue 23).

The attack that worked: the public function holds the signing key; the cookie key was
derived from it, so whoever held the public function's credentials could seal a
coordinator's session and read /staff. The cookie key is now the console's own secret,
which only the staff function may read (tests/infra/test_least_privilege.py).
"""

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from helpers import Console

from chalicelib import config
from chalicelib.web.console import session


def sealed_with(key: bytes, purpose: str, payload: dict) -> str:
    """A cookie sealed as the console seals one, under `key`."""
    nonce = secrets.token_bytes(12)
    data = json.dumps(payload, separators=(",", ":")).encode()
    sealed = AESGCM(key).encrypt(nonce, data, purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def test_a_session_sealed_with_the_signing_key_opens_nothing(client, monkeypatch):
    from chalicelib import wiring

    desk = Console(client, "demo-taras-bondar")
    assert desk.get("/staff").status_code == 200
    genuine = session.read_session(desk.cookies[session.SESSION])
    assert genuine is not None
    forged_as = dataclasses.asdict(genuine) | {"role": "coordinator"}
    # The old derivation, from the key the public function holds.
    signing_key = wiring.settings().signing_key
    old_key = hmac.new(
        signing_key, f"homeward console {session.SESSION}".encode(), hashlib.sha256
    ).digest()
    forged = sealed_with(old_key, session.SESSION, forged_as)
    answer = client.http.get("/staff", headers={"Cookie": f"{session.SESSION}={forged}"})
    assert answer.status_code == 303 and "sign-in" in answer.headers["Location"]


def test_a_deployed_stage_reads_the_session_key_from_its_own_secret_only():
    read = []

    def read_secret(secret_id):
        read.append(secret_id)
        return f"value-of-{secret_id}"

    env = {
        "HOMEWARD_STAGE": "prod",
        "HOMEWARD_PUBLIC_URL": "https://homeward.example.org",
        "HOMEWARD_SIGNING_KEY_SECRET": "arn:signing",
        "HOMEWARD_SESSION_KEY_SECRET": "arn:session",
    }
    settings = config.load(env, read_secret=read_secret)
    assert settings.session_key == b"value-of-arn:session"
    assert read == ["arn:session"]
    # A function not given the session's secret (the public one) has no session key at
    # all: it cannot derive one from the signing key.
    without = config.load(
        {k: v for k, v in env.items() if k != "HOMEWARD_SESSION_KEY_SECRET"},
        read_secret=read_secret,
    )
    with pytest.raises(RuntimeError, match="HOMEWARD_SESSION_KEY_SECRET"):
        _ = without.session_key
    assert without.signing_key == b"value-of-arn:signing"
