"""Photos and documents: handing out upload slots, and checking what came back.

The browser uploads to the bucket directly (adapters/files.py). Nothing a browser says
about a file is trusted: on submit every file is read back, measured, hashed and
recognised by its first bytes, whatever the presigned policy did or did not enforce.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import form_keys
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
from chalicelib.domain.intake import RateLimit
from chalicelib.services import intake
from chalicelib.services.ports import FileStore, Stores

# A form holds five files, each of which may need a few tries on a bad connection; far
# fewer than anyone filling a bucket with grants would want.
UPLOAD_GRANTS = RateLimit(limit=30, per_seconds=600)


class UploadRefused(ValueError):
    """A request for an upload slot that no accepted file could fill.

    The reason is one of "wrong_type", "too_large", "invalid" (a slot or a key the server
    did not issue), "expired" (the form's key), "sent" (its report was filed already).
    """


def report_exists(stores: Stores, submission_key: str) -> bool:
    """Whether a report was filed with this form key."""
    return stores.guards.recall(intake.FORM_SCOPE, submission_key) is not None


def issue_upload(
    store: FileStore,
    submission_key: str,
    slot: int,
    content_type: str,
    size: int,
    *,
    source: str,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A presigned POST for one file of a submission, refused early when it cannot pass.

    Every request is charged to its source first (TooManyRequests past the limit), so
    trying keys costs as much as asking for grants.
    """
    now = now or dt.datetime.now(dt.UTC)
    intake.admit("upload", source, UPLOAD_GRANTS, stores=stores, settings=settings, now=now)
    if content_type not in ACCEPTED_TYPES:
        raise UploadRefused("wrong_type")
    if not 0 < size <= MAX_BYTES:
        raise UploadRefused("too_large")
    state = form_keys.check(settings.signing_key, submission_key, now)
    if state is form_keys.KeyState.FORGED:
        raise UploadRefused("invalid")
    try:
        key = slot_key(submission_key, slot)
    except ValueError:
        raise UploadRefused("invalid") from None
    if state is form_keys.KeyState.EXPIRED:
        raise UploadRefused("expired")
    if report_exists(stores, submission_key):
        raise UploadRefused("sent")
    post = store.presigned_upload(key, content_type, MAX_BYTES)
    return {"slot": slot, "url": post["url"], "fields": post["fields"]}


def verify(store: FileStore, submission_key: str, slots: list[int]) -> list[Attachment]:
    """Check each uploaded file of a submission; raise FileRefused at the first bad one.

    A refused file is deleted at once, every version of its slot: it may be anything,
    and nobody will claim it.
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
            _delete_all(store, key, exact=True)
            raise FileRefused(slot, reason)
        attachments.append(
            Attachment(
                key=key, sha256=stored.sha256, size=stored.size, content_type=stored.content_type
            )
        )
    return attachments


def _delete_all(store: FileStore, prefix: str, *, exact: bool = False) -> None:
    """Delete every version under a prefix (of exactly one key, if `exact`)."""
    for key, version_id in store.versions(prefix):
        if not exact or key == prefix:
            store.delete(key, version_id)
