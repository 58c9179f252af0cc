"""Photos and documents a reporter attaches to a report: what is accepted, and how to tell.

A file is accepted only when its first bytes agree with the type it claims: the browser's
Content-Type is whatever the sender says, so an executable renamed to photo.jpg must be
refused on its content, not its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# How many leading bytes `looks_like` needs to recognise every accepted type.
SNIFF_BYTES = 16

ACCEPTED_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}

# ISO base media (HEIC/HEIF) files start with a box `....ftyp<brand>`; these brands are
# what phones write for still images.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}

# A submission key (intake's idempotency key) names the upload session: the same shape.
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def looks_like(content_type: str, head: bytes) -> bool:
    """Whether a file's first bytes are those of the type it claims to be."""
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "application/pdf":
        return head.startswith(b"%PDF-")
    if content_type == "image/heic":
        return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS
    return False


def slot_key(submission_key: str, slot: int) -> str:
    """Where the n-th file of one submission is stored.

    Slots rather than names: at most MAX_FILES objects can ever exist for a submission,
    without the server keeping count, and the reporter's file names (which may name the
    child) never reach the bucket.
    """
    if not SUBMISSION_KEY.match(submission_key):
        raise ValueError("invalid submission key")
    if not 1 <= slot <= MAX_FILES:
        raise ValueError("invalid slot")
    return f"uploads/{submission_key}/{slot}"


@dataclass(frozen=True)
class Attachment:
    """A verified file, as recorded on the case."""

    key: str
    sha256: str
    size: int
    content_type: str
    # The object version that was checked: what the case refers to can never be swapped.
    version_id: str | None = None

    def as_record(self) -> dict[str, object]:
        record: dict[str, object] = {
            "key": self.key,
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
        }
        if self.version_id:
            record["version_id"] = self.version_id
        return record


class FileRefused(Exception):
    """An uploaded file is missing, too large, or not what it claims to be."""

    def __init__(self, slot: int, reason: str) -> None:
        super().__init__(slot, reason)
        self.slot = slot
        # "missing" | "too_large" | "wrong_type"
        self.reason = reason
