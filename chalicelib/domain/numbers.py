"""Numbers typed by people and partners: ASCII digits only, wherever one is parsed.

`str.isdigit()` holds for "²" and for other scripts' digits: `int()` refuses the first
(a 500 where a clear 400 was due) and reads the second as a number nobody typed here.
"""

from __future__ import annotations


def is_number(text: str) -> bool:
    """Whether the text is a whole number written in ASCII digits (no sign, no spaces)."""
    return bool(text) and text.isascii() and text.isdigit()


def number_or(text: str, default: int | None = None) -> int | None:
    """The number the text is, or `default`."""
    return int(text) if is_number(text) else default


def digits_of(text: str) -> str:
    """The ASCII digits of a text, in order (a phone number's, however it is spaced)."""
    return "".join(c for c in text if "0" <= c <= "9")
