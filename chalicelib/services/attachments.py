"""Photos and documents: handing out upload slots, and checking what came back.

The browser uploads to the bucket directly (adapters/files.py). Nothing a browser says
about a file is trusted: on submit every file is read back, measured, hashed and
recognised by its first bytes, whatever the presigned policy did or did not enforce.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.attachments import (
    ACCEPTED_TYPES,
    MAX_BYTES,
    MAX_FILES,
    SNIFF_BYTES,
    Attachment,
    FileRefused,
    looks_like,
    slot_key,
)
from chalicelib.services.ports import FileStore


class UploadRefused(ValueError):
    """A request for an upload slot that no accepted file could fill."""


def issue_upload(
    store: FileStore, submission_key: str, slot: int, content_type: str, size: int
) -> dict[str, Any]:
    """A presigned POST for one file of a submission, refused early when it cannot pass."""
    if content_type not in ACCEPTED_TYPES:
        raise UploadRefused("wrong_type")
    if not 0 < size <= MAX_BYTES:
        raise UploadRefused("too_large")
    try:
        key = slot_key(submission_key, slot)
    except ValueError:
        raise UploadRefused("invalid") from None
    post = store.presigned_upload(key, content_type, MAX_BYTES)
    return {"slot": slot, "url": post["url"], "fields": post["fields"]}


def verify(store: FileStore, submission_key: str, slots: list[int]) -> list[Attachment]:
    """Check each uploaded file of a submission; raise FileRefused at the first bad one.

    A refused file is deleted at once: it may be anything, and nobody will claim it.
    """
    attachments = []
    for slot in sorted(set(slots))[:MAX_FILES]:
        key = slot_key(submission_key, slot)
        stored = store.inspect(key, MAX_BYTES, SNIFF_BYTES)
        if stored is None:
            raise FileRefused(slot, "missing")
        reason = None
        if stored.size > MAX_BYTES:
            reason = "too_large"
        elif stored.content_type not in ACCEPTED_TYPES or not looks_like(
            stored.content_type, stored.head
        ):
            reason = "wrong_type"
        if reason:
            store.delete(key)
            raise FileRefused(slot, reason)
        attachments.append(
            Attachment(
                key=key, sha256=stored.sha256, size=stored.size, content_type=stored.content_type
            )
        )
    return attachments
