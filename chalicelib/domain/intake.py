"""What guards intake: idempotency keys, and how many requests one source may make.

Request rates are limited with GCRA (the generic cell rate algorithm, a token bucket kept
as one timestamp): a source may send `limit` requests at once, then one every
`per_seconds / limit`. Unlike a fixed window it never lets twice the limit through at a
window's edge, and it needs no arithmetic in the store's condition: the store compares
one stored time with bounds computed here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

# A form sent twice before any receipt of it was shown (a double tap without JavaScript:
# the browser drops the first answer and shows the second) shows the status code on the
# second answer too; once a receipt showed it, or after this long, the reference only.
CODE_AGAIN_SECONDS = 600


@dataclass(frozen=True)
class IdempotencyRecord:
    """A key a caller sent with a report, and the report it stands for."""

    # Whose key it is: keys are only unique per caller, so one caller can neither squat
    # another's predictable keys nor learn whether they were used.
    scope: str
    key: str
    fingerprint: str
    reference: str
    received_at: str
    # Whether a browser showed a receipt of it with its status code (the receipt's mark
    # was fetched): then a resent form shows the reference only.
    shown: bool = False

    def shows_code_again(self, now: dt.datetime) -> bool:
        """Whether a replay of this form may show the status code: only while no receipt
        of it was shown, and soon after it was filed (CODE_AGAIN_SECONDS)."""
        received = dt.datetime.fromisoformat(self.received_at.replace("Z", "+00:00"))
        return not self.shown and now - received < dt.timedelta(seconds=CODE_AGAIN_SECONDS)


@dataclass(frozen=True)
class RateLimit:
    limit: int
    per_seconds: int

    @property
    def interval_ms(self) -> int:
        return max(1, self.per_seconds * 1000 // self.limit)

    @property
    def tolerance_ms(self) -> int:
        """How far ahead of now a source's allowance may run: a burst of `limit`."""
        return self.per_seconds * 1000 - self.interval_ms


@dataclass(frozen=True)
class Charge:
    """One request charged to a source for one purpose ("report", "upload", "status"...).

    `burst` False: the source was idle (its allowance time is not after now): the time is
    set to now + interval. `burst` True: the source is mid-burst: its time moves on by one
    interval, if that stays within the tolerance. The store applies whichever was asked
    under its condition; the service tries idle first (every new reporter), then burst.
    """

    purpose: str
    source: str
    now_ms: int
    limit: RateLimit
    burst: bool = False

    @property
    def expires_at(self) -> int:
        """When the record may go (TTL): once the allowance is whole again."""
        return (self.now_ms + self.limit.per_seconds * 1000) // 1000 + 60

    def as_burst(self) -> Charge:
        return Charge(self.purpose, self.source, self.now_ms, self.limit, burst=True)

    def retry_after(self, allowance_at_ms: int) -> int:
        """Seconds until a source whose allowance runs to this time may send again."""
        wait_ms = allowance_at_ms - self.limit.tolerance_ms - self.now_ms
        return max(1, -(-wait_ms // 1000))


def network_of(address: str) -> str:
    """The unit a rate limit counts: an IPv4 address, or the /64 of an IPv6 address.

    One IPv6 subscriber usually holds a whole /64, so counting single addresses would give
    them 2^64 allowances.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried in IPv6 is that IPv4 source: mapped, and 6to4 or Teredo,
        # whose one IPv4 address would otherwise hold 2^16 /64s (or the whole Teredo relay).
        carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo and ip.teredo[1])
        if carried is not None:
            return str(carried)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def source_key(signing_key: bytes, address: str) -> str:
    """A source as stored: a keyed hash of its network, never the address itself."""
    digest = hmac.new(signing_key, f"source:{network_of(address)}".encode(), hashlib.sha256)
    return digest.hexdigest()[:24]
