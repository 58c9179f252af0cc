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


# Cyrillic capitals that look like Latin ones, as typed on a Ukrainian or Russian keyboard.
_LATIN_LOOKALIKES = str.maketrans("АВЕКМНОРСТХУ", "ABEKMHOPCTXY")


def normalised_reference(typed: str) -> str:
    """A reference as people type it ("hw 7k3m q9tx", "7K3MQ9TX", "НW-7К3М-Q9ТХ" with
    Cyrillic letters) in its canonical form "HW-7K3M-Q9TX"; what is no reference comes
    back as typed, upper-cased, and is simply not found."""
    text = typed.upper().translate(_LATIN_LOOKALIKES)
    chars = "".join(c for c in text if c.isalnum())
    chars = chars.removeprefix(REFERENCE_PREFIX) if len(chars) == 10 else chars
    if len(chars) == 8 and all(c in REFERENCE_ALPHABET for c in chars):
        return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"
    return text.strip()
