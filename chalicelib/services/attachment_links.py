"""A case's photos and documents, opened by staff through a link that lasts a minute.

The bucket stays private: the staff function checks that the person may see the report
(the mandate and the consent: files are part of the report), records the opening in the
case's audit trail (and, for an original kept as evidence, in its chain of custody), and
only then signs a GET of the very version the case recorded.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.domain import images
from chalicelib.domain.casefile import ShownCase
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.evidence import OPENED, SHOWN_SMALL
from chalicelib.services import evidence
from chalicelib.services.access import Caller, CaseNotFound, refuse, view_of, visible_case
from chalicelib.services.outside_ports import FileStore
from chalicelib.services.ports import Stores

LINK_SECONDS = 60
# At most this many photos of a case are shown small on a page (the form takes five).
MAX_THUMBNAILS = 5


def open_attachment(
    caller: Caller, reference: str, sha256: str, *, stores: Stores, files: FileStore | None
) -> str:
    """A short-lived link to one of the case's files, named by its SHA-256."""
    case = visible_case(caller, reference, "open-attachment", stores)
    # By the hash of the file kept, or of what the reporter sent (a re-encoded photo).
    found = next((a for a in case.attachments if sha256 in (a.sha256, a.original_sha256)), None)
    if files is None or found is None or view_of(caller, case).level < Disclosure.DETAILS:
        refuse(caller, reference, "open-attachment", stores, CaseNotFound())
    assert found is not None and files is not None
    _shown(caller, reference, [sha256], OPENED, stores)
    return files.download_link(
        found.key,
        found.version_id,
        LINK_SECONDS,
        found.content_type,
        download=found.download_only,
    )


def _shown(caller: Caller, reference: str, hashes: list[str], why: str, stores: Stores) -> None:
    """The one record of staff seeing a case's files (opened, or shown small): an audit
    entry each, and for a file kept as evidence a "viewed" entry in its chain of custody,
    both in one unit of work (services/evidence.py)."""
    if not hashes:
        return
    now = dt.datetime.now(dt.UTC)
    entries = [caller.entry(reference, "open-attachment", detail=h[:16], at=now) for h in hashes]

    def audited(uow) -> None:
        for entry in entries:
            stores.audit.add(uow, entry)

    if not evidence.viewed(stores, reference, hashes, caller.staff.subject, why, now, audited):
        stores.audit.record(entries)


def thumbnails(
    caller: Caller, shown: ShownCase, *, stores: Stores, files: FileStore | None
) -> list[bytes]:
    """Small JPEGs of the case's photos, for a page that compares two reports: none unless
    the person may see the report's details, as for opening a file; each one shown is
    recorded as an opened file is (its audit entry, and its custody if kept as evidence).
    PDFs (and HEIC photos, kept as the phone wrote them) are only ever downloaded."""
    if files is None or view_of(caller, shown.file).level < Disclosure.DETAILS:
        return []
    photos = [a for a in shown.file.attachments if images.reencodes(a.content_type)]
    shown_photos: dict[str, bytes] = {}
    for photo in photos[:MAX_THUMBNAILS]:
        try:
            data = files.read(photo.key, photo.version_id)
            shown_photos[photo.sha256] = images.thumbnail(data, photo.content_type)
        except images.NotAnImage:
            continue
    _shown(caller, shown.reference, list(shown_photos), SHOWN_SMALL, stores)
    return list(shown_photos.values())
