"""Case references: what a reporter quotes, read aloud over a bad phone line."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, and no U (it reads as V).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "HW"
# What a reference looks like, for every schema and parser that checks one.
REFERENCE_PATTERN = rf"^{REFERENCE_PREFIX}-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$"


def new_reference() -> str:
    """A short reference that is neither sequential nor guessable (30^8, about 6.6e11)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"
