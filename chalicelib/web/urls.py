"""Every URL a page writes, relative to the page (API Gateway's default URL serves the
stage under a path, /api/, where root-relative URLs would leave the stage).

`up(path)` is the way from a page up to the app's root ("./" at the top, "../" one level
down); the other helpers give paths from that root, so a template writes
`{{ up }}{{ case_url(reference) }}` and a redirect `ctx.redirect(case_url(reference))`.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path


def up(path: str | None) -> str:
    """From the page at `path` (the request's, without the stage) up to the app's root.

    A trailing slash is a level ("/staff/" is read by the browser as a folder): each
    slash after the first is one step up."""
    depth = max((path or "/").count("/") - 1, 0)
    return "../" * depth or "./"


@cache
def _version(folder: Path, name: str) -> tuple[str, str]:
    text = (folder / name).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def static_file(folder: Path, name: str) -> tuple[str, str]:
    """A static file's text and a short hash of it (its version in URLs)."""
    return _version(folder, name)


def static_url(prefix: str, folder: Path, name: str, way_up: str) -> str:
    """A static file's URL with its content hash, so it can be cached for good."""
    return f"{way_up}{prefix}{name}?v={_version(folder, name)[1]}"


def case_url(reference: str, *rest: str) -> str:
    """A case's console page, or one of its forms or parts (`rest`), from the app's root."""
    return "/".join(("staff/cases", reference, *rest))
