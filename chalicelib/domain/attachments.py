"""Photos and documents a reporter attaches to a report: what is accepted, and how to tell.

A file is accepted only when its first bytes agree with the type it claims: the browser's
Content-Type is whatever the sender says, so an executable renamed to photo.jpg must be
refused on its content, not its name.

Two places in the bucket: `uploads/<form key>/<slot>`, where browsers write with presigned
POSTs and nothing stays for long, and `cases/<reference>/...`, where a file is copied once
its report is filed. No grant ever names a key under `cases/`, so nothing a browser sends
can change a case's file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# How many leading bytes `looks_like` needs to recognise every accepted type.
SNIFF_BYTES = 16

ACCEPTED_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
}

# HEIC (HEIF) photos are refused, with words of their own: kept as sent they would keep
# their EXIF (GPS), and re-encoding them needs a native HEVC decoder (libheif and
# libde265, bundled by pillow-heif's wheels) parsing untrusted files in the public
# function, for little gain: iPhones hand a web page JPEG whatever it accepts, and
# Safari on a Mac converts to JPEG when the page does not list HEIC.
HEIC = "image/heic"
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
    if content_type == HEIC:
        return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS
    return False


def refusal(content_type: str, head: bytes) -> str:
    """Why a file of another type is refused: "heic" for a HEIC photo (said in words of
    its own, since it is a photo), else "wrong_type"."""
    return "heic" if content_type == HEIC or looks_like(HEIC, head) else "wrong_type"


def slot_key(submission_key: str, slot: int) -> str:
    """Where the n-th file of one submission is stored.

    Slots rather than names: at most MAX_FILES objects can ever exist for a submission,
    without the server keeping count, and the reporter's file names (which may name the
    child) never reach the bucket.
    """
    if not 1 <= slot <= MAX_FILES:
        raise ValueError("invalid slot")
    return f"{upload_prefix(submission_key)}{slot}"


def upload_prefix(submission_key: str) -> str:
    """Where every upload slot of one submission lies."""
    if not SUBMISSION_KEY.match(submission_key):
        raise ValueError("invalid submission key")
    return f"uploads/{submission_key}/"


def case_prefix(reference: str) -> str:
    return f"cases/{reference}/"


def case_file_key(reference: str, slot: int, sha256: str) -> str:
    """Where a case keeps one of its files: named by its content, so written once.

    Two attempts to file one form copy the same bytes to the same name (the second finds
    the first's copy and uses it); different bytes can never take the name of others.
    """
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("invalid digest")
    return f"{case_prefix(reference)}{slot}-{sha256}"


@dataclass(frozen=True)
class Attachment:
    """A verified file, as recorded on the case."""

    key: str
    sha256: str
    size: int
    content_type: str
    # The version of the case's copy: what the case refers to can never be swapped.
    version_id: str | None = None
    # A photo is kept re-encoded, without its metadata (adapters/images.py): the SHA-256
    # of what the reporter sent, for the chain of custody. None: kept as sent.
    original_sha256: str | None = None

    def as_record(self) -> dict[str, object]:
        record: dict[str, object] = {
            "key": self.key,
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
        }
        if self.version_id:
            record["version_id"] = self.version_id
        if self.original_sha256:
            record["original_sha256"] = self.original_sha256
        return record

    @property
    def download_only(self) -> bool:
        """Whether a browser must only ever save it, never show it: a PDF may carry
        scripts (and a HEIC photo filed before they were refused, its metadata); only a
        re-encoded photo is shown."""
        return self.original_sha256 is None


@dataclass(frozen=True)
class Upload:
    """A file the server checked in its upload slot: the very version it read."""

    slot: int
    key: str
    version_id: str | None
    sha256: str
    size: int
    content_type: str
    # A photo's pixels alone, encoded again (adapters/images.py); None: kept as sent.
    cleaned: bytes | None = None

    def filed(self, key: str, version_id: str | None) -> Attachment:
        """The file as recorded on the case once stored in the case's own place."""
        if self.cleaned is not None:
            return Attachment(
                key=key,
                sha256=hashlib.sha256(self.cleaned).hexdigest(),
                size=len(self.cleaned),
                content_type=self.content_type,
                version_id=version_id,
                original_sha256=self.sha256,
            )
        return Attachment(
            key=key,
            sha256=self.sha256,
            size=self.size,
            content_type=self.content_type,
            version_id=version_id,
        )


class FileRefused(Exception):
    """An uploaded file is missing, too large, or not what it claims to be."""

    def __init__(self, slot: int, reason: str) -> None:
        super().__init__(slot, reason)
        self.slot = slot
        # "missing" | "too_large" | "wrong_type" | "heic"
        self.reason = reason
