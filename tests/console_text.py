"""What a person reads on a console page, and the codes they must never read there
(shared by the in-process console tests)."""

from __future__ import annotations

import re

# What a person must never read on a console page.
RAW = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # an ISO date
    re.compile(r"\b\d{4}-W\d{2}\b"),  # an ISO week
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),  # a UUID
    re.compile(
        r"\b(?:forcibly_transferred|held_in_facility|adopted_or_placed|return_in_progress)\b"
    ),
    re.compile(r"\bdemo-[a-z-]+\b"),  # a login id
    re.compile(r"\b(?:read-matches|match-confirmed|read-audit|put-rule)\b"),  # an audit code
]


def visible(html: str) -> str:
    """The text of a page as a person reads it: no tags, attributes, scripts or styles."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


def assert_words_only(html: str) -> None:
    text = visible(html)
    for pattern in RAW:
        found = pattern.search(text)
        assert found is None, (pattern.pattern, text[max(found.start() - 80, 0) : found.end() + 80])
