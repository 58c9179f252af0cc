"""Photos and documents: handing out upload slots, checking what came back, filing it.

The browser uploads to the bucket directly (adapters/files.py). Nothing a browser says
about a file is trusted: on submit every file is read back, measured, hashed and
recognised by its first bytes, whatever the presigned policy did or did not enforce.

A grant needs a form key the server issued and that has not filed its report yet. On
submit each checked file is copied to the case's own place, named by its content, before
the case is stored, and the case records that copy's version: a case never points at a
file that is not there, and no later upload can change what it points at. The case's
reference is derived from the form key, so a retry after a failure between the copies and
the case finds the copies of the attempt that failed, uses them, and clears the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import form_keys
from chalicelib.domain.attachments import (
    ACCEPTED_TYPES,
    HEIC,
    MAX_BYTES,
    MAX_FILES,
    SNIFF_BYTES,
    Attachment,
    FileRefused,
    Upload,
    case_file_key,
    case_prefix,
    looks_like,
    refusal,
    slot_key,
    upload_prefix,
)
from chalicelib.domain.images import NotAnImage, clean_image, reencodes
from chalicelib.domain.intake import RateLimit
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.report import Receipt
from chalicelib.logs import describe
from chalicelib.services import intake
from chalicelib.services.evidence_ports import EvidenceFiles
from chalicelib.services.outside_ports import FileStore
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.attachments")

# A form holds five files, each of which may need a few tries on a bad connection; far
# fewer than anyone filling a bucket with grants would want.
UPLOAD_GRANTS = RateLimit(limit=30, per_seconds=600)
# References tried before giving up: one is taken by another case about once in 10^11.
_REFERENCES = 4


class UploadRefused(ValueError):
    """A request for an upload slot that no accepted file could fill.

    The reason is one of "wrong_type", "heic" (a HEIC photo), "too_large", "invalid" (a
    slot or a key the server did not issue), "expired" (the form's key), "sent" (its
    report was filed already).
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
    """A presigned POST for one file of a submission, refused early when it cannot pass."""
    now = now or dt.datetime.now(dt.UTC)
    key = _admitted(
        submission_key,
        slot,
        content_type,
        size,
        source=source,
        stores=stores,
        settings=settings,
        now=now,
    )
    post = store.presigned_upload(key, content_type, MAX_BYTES)
    return {"slot": slot, "url": post["url"], "fields": post["fields"]}


def store_upload(
    store: FileStore,
    submission_key: str,
    slot: int,
    data: bytes,
    *,
    source: str,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> None:
    """Put a file the form sent without JavaScript into its upload slot, where a browser's
    presigned POST would have put it: the same refusals as `issue_upload`, and on submit
    the same checks by `verify`. Its type is what its first bytes are, whatever the
    browser called it (UploadRefused("wrong_type") if none of ours)."""
    now = now or dt.datetime.now(dt.UTC)
    head = data[:SNIFF_BYTES]
    content_type = next((t for t in ACCEPTED_TYPES if looks_like(t, head)), None)
    content_type = content_type or (HEIC if looks_like(HEIC, head) else "")
    key = _admitted(
        submission_key,
        slot,
        content_type,
        len(data),
        source=source,
        stores=stores,
        settings=settings,
        now=now,
    )
    store.put(key, data, content_type)


def _admitted(
    submission_key: str,
    slot: int,
    content_type: str,
    size: int,
    *,
    source: str,
    stores: Stores,
    settings: Settings,
    now: dt.datetime,
) -> str:
    """The slot's key for a file that may be uploaded; else UploadRefused (or
    TooManyRequests: every request is charged to its source first, so trying keys costs
    as much as uploading)."""
    intake.admit("upload", source, UPLOAD_GRANTS, stores=stores, settings=settings, now=now)
    if content_type not in ACCEPTED_TYPES:
        raise UploadRefused(refusal(content_type, b""))
    if not 0 < size <= MAX_BYTES:
        raise UploadRefused("too_large")
    state = form_keys.check(settings.keyring(Purpose.FORM_KEYS), submission_key, now)
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
    return key


def verify(store: FileStore, submission_key: str, slots: list[int]) -> list[Upload]:
    """Check each uploaded file of a submission; raise FileRefused at the first bad one.

    A refused file is deleted at once, every version of its slot: it may be anything,
    and nobody will claim it.
    """
    uploads = []
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
            reason = refusal(stored.content_type, stored.head)
        cleaned = None
        if not reason and reencodes(stored.content_type):
            try:
                cleaned = clean_image(store.read(key, stored.version_id), stored.content_type)
            except NotAnImage:
                reason = "wrong_type"
        if reason:
            _delete_all(store, key, exact=True)
            raise FileRefused(slot, reason)
        uploads.append(
            Upload(
                slot=slot,
                key=key,
                version_id=stored.version_id,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                cleaned=cleaned,
            )
        )
    return uploads


def file_report(
    submission: intake.Submission,
    uploads: list[Upload],
    *,
    store: FileStore | None,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
    evidence_files: EvidenceFiles | None = None,
) -> tuple[Receipt, bool]:
    """Store a form's report with its checked files; its receipt, and whether it is new.

    With the reporter's consent to their use as evidence (and an evidence bucket), each
    file is also kept as it was received, in the evidence bucket, with its chain of
    custody begun in the case's own transaction (services/evidence.py)."""
    key = submission.idempotency_key
    # A decoy (a bot's report) keeps nothing, its files included.
    if not uploads or store is None or not key or submission.decoy:
        return intake.submit(submission, stores=stores, settings=settings, now=now)
    for attempt in range(_REFERENCES):
        reference = form_keys.reference_for(settings.keyring(Purpose.FORM_KEYS), key, attempt)
        attachments = tuple(_copy(store, upload, reference) for upload in uploads)
        originals = ()
        if evidence_files is not None and submission.report.consent.evidence:
            from chalicelib.services import evidence

            originals = evidence.keep_originals(
                evidence_files, reference, uploads, lambda u: store.read(u.key, u.version_id)
            )
        filing = replace(
            submission, reference=reference, attachments=attachments, originals=originals
        )
        try:
            receipt, created = intake.submit(filing, stores=stores, settings=settings, now=now)
        except intake.ReferenceTaken:
            _tidy(store, stores, reference)
            continue
        except intake.IdempotencyKeyReused:
            _tidy(store, stores, reference)
            raise
        if created:
            _tidy(store, stores, reference, keep=attachments)
            # The files are the case's now; what is left in the slots (replaced or removed
            # files included) would only wait for the bucket's lifecycle rule.
            _clear_slots(store, key)
        else:
            _tidy(store, stores, reference)
        return receipt, created
    raise RuntimeError("no reference left for the form's report")


def _copy(store: FileStore, upload: Upload, reference: str) -> Attachment:
    """The case's own copy: a photo re-encoded (named by the original's hash: encoding
    the same bytes again gives the same file), anything else as it was sent."""
    target = case_file_key(reference, upload.slot, upload.sha256)
    if upload.cleaned is not None:
        return upload.filed(target, store.put_once(target, upload.cleaned, upload.content_type))
    return upload.filed(target, store.copy_once(upload.key, upload.version_id, target))


def _tidy(
    store: FileStore,
    stores: Stores,
    reference: str,
    keep: tuple[Attachment, ...] | None = None,
) -> None:
    """Delete what lies under a case's prefix and is not on the case: the copies of
    attempts that lost a race or failed half-way.

    Only once a case holds the reference (or `keep` is the case just stored): until then,
    another attempt with the same form may still be about to file what lies there.
    """
    try:
        if keep is None:
            found = stores.cases.attachments_of(reference)
            if found is None:
                return
            keep = found
        kept = {(a.key, a.version_id) for a in keep}
        for key, version_id in store.versions(case_prefix(reference)):
            if (key, version_id) not in kept:
                store.delete(key, version_id)
    except Exception as exc:  # the report is filed; a leftover waits for the next retry
        log.warning("could not tidy the files of %s: %s", reference, describe(exc))


def _delete_all(store: FileStore, prefix: str, *, exact: bool = False) -> None:
    """Delete every version under a prefix (of exactly one key, if `exact`)."""
    for key, version_id in store.versions(prefix):
        if not exact or key == prefix:
            store.delete(key, version_id)


def _clear_slots(store: FileStore, submission_key: str) -> None:
    try:
        _delete_all(store, upload_prefix(submission_key))
    except Exception as exc:  # the report is filed; the lifecycle rule clears the rest
        log.warning("could not clear the upload slots: %s", describe(exc))
