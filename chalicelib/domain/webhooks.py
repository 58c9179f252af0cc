"""Webhooks to partners: when one of a partner's reports moves to another coarse stage.

What a webhook says is what the partner filed and may read back anyway: the report's
reference, the partner's own `external_id` and the coarse stage (received, in review,
combined, closed; domain/progress.py). Nothing about the child, the reporter, notes or who works
the case ever goes into one.

A webhook is an outbox item written in the same unit of work as the status change
(services/casework.py), queued off the table's stream and posted by a sender that signs
the body (domain/partners.py's `sign_webhook`: HMAC-SHA256 over `<timestamp>.<body>`),
retries with exponential backoff and, after MAX_ATTEMPTS, parks it as failed where
coordinators see it.

Where a webhook may go: an https URL whose host is a public name or a global address.
Loopback, private, link-local (the instance metadata service), shared and reserved
addresses are refused when the URL is registered, and again, for every address the name
resolves to, right before each post, which then connects to the address it checked.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from chalicelib.domain.progress import Stage

EVENT = "report.stage_changed"
# Where one webhook stands: waiting for (another) attempt, taken by the partner, or parked
# after its last attempt where coordinators see it.
WebhookProgress = Literal["pending", "delivered", "failed"]
# A partner's endpoint answers within this or the attempt counts as failed.
TIMEOUT_SECONDS = 5
# Tries in all; the queue's redrive policy (infra/template.yaml) allows a few more
# receives, so a sender that crashes mid-try still ends in the dead-letter queue.
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
MAX_URL_LENGTH = 500
# Names that never point anywhere a partner owns.
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")


class UnsafeWebhookTarget(ValueError):
    """Not an https URL of a public host (said in a word, never with the URL echoed)."""


def check_target(url: str) -> str:
    """The URL, if a webhook may be posted to it; UnsafeWebhookTarget otherwise."""
    if len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise UnsafeWebhookTarget("malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeWebhookTarget("malformed") from None
    if parts.scheme != "https":
        raise UnsafeWebhookTarget("https only")
    if parts.username or parts.password or "@" in parts.netloc:
        raise UnsafeWebhookTarget("no credentials in the URL")
    if parts.fragment:
        raise UnsafeWebhookTarget("no fragment")
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeWebhookTarget("port")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeWebhookTarget("no host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            raise UnsafeWebhookTarget("not a public host") from None
        # 127.1, 0x7f.0.0.1: shorthand addresses a resolver reads as IPv4 (no top-level
        # domain is numeric).
        if re.fullmatch(r"(0x[0-9a-f]*|[0-9]+)", host.rsplit(".", 1)[1]):
            raise UnsafeWebhookTarget("not a public host") from None
        return url
    check_address(str(address))
    return url


def check_address(address: str) -> None:
    """A resolved address a webhook may be sent to: global unicast only."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        raise UnsafeWebhookTarget("not an address") from None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        raise UnsafeWebhookTarget("not a public address")


class WebhookSendError(Exception):
    """A post that got no answer: `kind` says why in a word (timeout, tls, dns...)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class WebhookEvent:
    """One webhook owed to a partner: one report's move to another stage."""

    client_id: str
    event_id: str
    reference: str
    external_id: str | None
    stage: Stage
    occurred_at: dt.datetime

    @classmethod
    def of_move(
        cls,
        client_id: str,
        reference: str,
        external_id: str | None,
        stage: Stage,
        version: int,
        now: dt.datetime,
    ) -> WebhookEvent:
        """The event of the case's change to `version` (one per change, so a repeated
        stream record or queue message is the same event)."""
        return cls(client_id, f"{reference}.{version}", reference, external_id, stage, now)

    def body(self) -> bytes:
        """The exact bytes posted and signed: the same on every attempt."""
        payload = {
            "event": EVENT,
            "id": self.event_id,
            "reference": self.reference,
            "external_id": self.external_id,
            "stage": self.stage,
            "occurred_at": self.occurred_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        }
        return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class WebhookState:
    """Where one webhook stands, as coordinators see it."""

    event: WebhookEvent
    state: WebhookProgress
    attempts: int = 0
    last_error: str | None = None
    updated_at: dt.datetime | None = None


def backoff_seconds(attempt: int, jitter: float = 1.0) -> int:
    """How long to wait after failed attempt `attempt` (1, 2...): 30 s doubling, at most
    an hour, times a jitter (0.8 to 1.2) so many failures do not come back together."""
    seconds = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return max(1, int(seconds * jitter))


def describe_failure(status: int | None, error: str | None = None) -> str:
    """A failed attempt in a few words: a status code or the kind of error, nothing the
    partner's endpoint answered (it could say anything)."""
    if status is not None:
        return f"HTTP {status}"
    return (error or "error")[:60]
