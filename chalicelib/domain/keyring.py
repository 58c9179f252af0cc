"""One secret per purpose, each a ring of keys: the newest signs, every one still checks.

A key that signs two kinds of thing opens two doors: whoever holds the function that
needs one of them could forge the other (issue 23: the public function's signing key
sealed the console's sessions). So each purpose below has its own secret, held only by
the functions that use it (infra/package.py), and each secret is a ring: rotating one
puts a new key first (it signs from then on) and keeps the old ones after it, so the
links, codes and form keys handed out yesterday still work until their own expiry.

A ring is kept as text, the keys separated by white space, newest first: that is the
whole value of its Secrets Manager secret. A rotation is two steps, ten minutes or more
apart (`homeward rotate-key`, README "Secrets"): the first adds the new key after the
others, marked `next:` (it checks but does not sign yet); once every running function
has read the ring again (KEYRING_SECONDS), the second puts it first, and it signs. So no
function is ever handed something signed with a key it has not read yet.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Purpose(StrEnum):
    """What a secret is for; the value is the label a local run derives its key under."""

    # The console's session cookies (and its list cursors): the staff function only.
    CONSOLE_SESSIONS = "console sessions"
    # The report form's keys: the public function only.
    FORM_KEYS = "form keys"
    # Acknowledgement links: signed by the sender of alerts, checked by the public pages.
    ACK_LINKS = "acknowledgement links"
    # Reporters' status codes: the functions that take reports and show their status.
    STATUS_CODES = "status codes"
    # The master each partner's own webhook secret is derived from (domain/partners.py).
    WEBHOOKS = "webhooks"


class EmptyKeyring(Exception):
    """A secret with no key in it: nothing may be signed or checked."""


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys or not all(self.keys):
            raise EmptyKeyring()

    @classmethod
    def parse(cls, text: str) -> Keyring:
        parts = text.split()
        signing = [p for p in parts if not p.startswith(NEXT)]
        coming = [p.removeprefix(NEXT) for p in parts if p.startswith(NEXT)]
        return cls(tuple(part.encode() for part in signing + coming))

    @property
    def signer(self) -> bytes:
        """The key everything new is signed with."""
        return self.keys[0]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.keys)

    def first(self, opens: Callable[[bytes], T | None]) -> T | None:
        """What the first key that opens something gives (None: no key of the ring does)."""
        for key in self.keys:
            found = opens(key)
            if found is not None and found is not False:
                return found
        return None

    @classmethod
    def of(cls, keys: Keyring | bytes) -> Keyring:
        """A ring, or one key as a ring of one."""
        return keys if isinstance(keys, Keyring) else cls((keys,))

    def also(self, *older: bytes) -> Keyring:
        """This ring, checking with `older` keys too (never signing with them)."""
        return Keyring(self.keys + tuple(k for k in older if k not in self.keys))


# A key added to a ring but not signing yet (the first step of a rotation).
NEXT = "next:"
# How long a function trusts the ring it read (config.Settings.keyring): the wait between
# a rotation's two steps.
KEYRING_SECONDS = 10 * 60
# Rotated out of a ring after this many rotations: each purpose's tokens live far shorter
# than a rotation period, except status codes, whose keys are never dropped (a reporter
# keeps a code for as long as the case lasts; README "Secrets").
KEPT_KEYS = 3


def rotated(text: str, *, keep: int | None = KEPT_KEYS, new_key: str | None = None) -> str:
    """The ring `text` one step on: a new key added as the next one (checks only); or,
    when there is one, the next key put first (it signs), the oldest dropped past `keep`
    keys (None: none ever dropped)."""
    parts = text.split()
    coming = [p for p in parts if p.startswith(NEXT)]
    if not coming:
        return " ".join([*parts, NEXT + (new_key or secrets.token_urlsafe(48))])
    keys = [coming[0].removeprefix(NEXT), *(p for p in parts if p not in coming)]
    return " ".join(keys if keep is None else keys[:keep])


def derived(seed: bytes, purpose: Purpose) -> str:
    """A purpose's key derived from one seed: only where one machine runs everything (a
    local run, tests). A deployed stage reads each purpose's own secret."""
    return hmac.new(seed, f"homeward {purpose.value}".encode(), hashlib.sha256).hexdigest()
