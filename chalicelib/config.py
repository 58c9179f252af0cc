"""Settings, read from the environment when first asked for, never at import time.

moto must be active before any AWS client exists and the local runner sets the
environment after importing the app, so nothing here runs on import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    delivery_queue_url: str
    alert_sender: str
    signing_key: bytes
    # Reports accepted from one source (a hashed client address) per window.
    rate_limit: int
    rate_window_seconds: int
    idempotency_ttl_seconds: int
    # How long the dispatcher trusts its cached copy of the contact directory.
    directory_cache_seconds: int

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _secret(secret_id: str | None) -> str:
    """A deployed stage's signing key, read from Secrets Manager once per Lambda container."""
    if not secret_id:
        return ""
    from chalicelib import wiring

    return wiring.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    stage = env.get("HOMEWARD_STAGE", "dev")
    key = env.get("HOMEWARD_SIGNING_KEY") or _secret(env.get("HOMEWARD_SIGNING_KEY_SECRET"))
    if not key:
        if stage != "local":
            raise RuntimeError("no signing key: set HOMEWARD_SIGNING_KEY_SECRET")
        key = "local-only-signing-key"
    return Settings(
        stage=stage,
        table_name=env.get("HOMEWARD_TABLE", f"homeward-{stage}-cases"),
        delivery_queue_url=env.get("HOMEWARD_DELIVERY_QUEUE_URL", ""),
        alert_sender=env.get("HOMEWARD_ALERT_SENDER", "alerts@homeward.example"),
        signing_key=key.encode(),
        rate_limit=_int("HOMEWARD_RATE_LIMIT", 20),
        rate_window_seconds=_int("HOMEWARD_RATE_WINDOW_SECONDS", 600),
        idempotency_ttl_seconds=_int("HOMEWARD_IDEMPOTENCY_TTL_SECONDS", 7 * 24 * 3600),
        directory_cache_seconds=_int("HOMEWARD_DIRECTORY_CACHE_SECONDS", 60),
    )


def reset() -> None:
    """Forget the cached settings (tests and the local runner change the environment)."""
    settings.cache_clear()
