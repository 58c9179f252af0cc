"""The form's files on the fakes: who gets a grant, and how files reach their case.

What moto cannot show is here: a reference another case holds, a copy another attempt
made first, an attempt that lost the race to file the form.
"""

import copy
import datetime as dt
import hashlib
import io

import pytest
from fakes import FakeFileStore
from helpers import EXAMPLE_REPORT

from chalicelib.domain import form_keys
from chalicelib.domain.attachments import Attachment, FileRefused, Upload, case_file_key
from chalicelib.domain.images import clean_image
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.report import Report
from chalicelib.services import attachments as files
from chalicelib.services import intake

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def picture(fmt: str) -> bytes:
    """A small real image: photos are decoded and encoded again when filed."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (20, 120, 220)).save(out, format=fmt)
    return out.getvalue()


JPEG = picture("JPEG")
PNG = picture("PNG")
# What the case keeps of JPEG: its pixels, encoded again (domain/images.py).
KEPT_JPEG = clean_image(JPEG, "image/jpeg")
SOURCE = "198.51.100.7"


@pytest.fixture
def store():
    return FakeFileStore()


@pytest.fixture
def key(settings):
    return form_keys.issue(settings.keyring(Purpose.FORM_KEYS).signer, dt.datetime.now(dt.UTC))


def grant(store, key, *, stores, settings, slot=1, now=None, source=SOURCE):
    return files.issue_upload(
        store,
        key,
        slot,
        "image/jpeg",
        1000,
        source=source,
        stores=stores,
        settings=settings,
        now=now,
    )


def submission(key, slots=(1,)):
    return intake.Submission(
        report=Report.model_validate(copy.deepcopy(EXAMPLE_REPORT)),
        fingerprint=f"answers and slots {slots}",
        idempotency_key=key,
        source=SOURCE,
        scope=intake.FORM_SCOPE,
    )


def file_form(store, key, *, stores, settings, slots=(1,)):
    uploads = files.verify(store, key, list(slots))
    return files.file_report(
        submission(key, slots), uploads, store=store, stores=stores, settings=settings
    )


# -- grants ---------------------------------------------------------------------------------


def test_a_key_the_server_issued_gets_a_grant_for_its_slot(store, key, stores, settings):
    issued = grant(store, key, stores=stores, settings=settings, slot=3)
    assert issued["fields"]["key"] == f"uploads/{key}/3"


def test_no_grant_for_a_forged_or_expired_key_or_a_filed_form(store, key, stores, settings):
    forged = form_keys.issue(b"another-deployment", T0)
    with pytest.raises(files.UploadRefused, match="invalid"):
        grant(store, forged, stores=stores, settings=settings)
    later = dt.datetime.now(dt.UTC) + form_keys.LIFETIME
    with pytest.raises(files.UploadRefused, match="expired"):
        grant(store, key, stores=stores, settings=settings, now=later, source="192.0.2.1")
    store.put(f"uploads/{key}/1", JPEG, "image/jpeg")
    file_form(store, key, stores=stores, settings=settings)
    with pytest.raises(files.UploadRefused, match="sent"):
        grant(store, key, stores=stores, settings=settings, slot=2)


def test_grants_are_charged_to_their_source(store, key, stores, settings):
    for _ in range(files.UPLOAD_GRANTS.limit):
        grant(store, key, stores=stores, settings=settings, now=T0)
    with pytest.raises(intake.TooManyRequests):
        grant(store, key, stores=stores, settings=settings, now=T0)
    # Refused requests count too: trying keys costs as much as asking for grants.
    with pytest.raises(intake.TooManyRequests):
        grant(store, "not-a-key-at-all", stores=stores, settings=settings, now=T0)
    grant(store, key, stores=stores, settings=settings, now=T0, source="203.0.113.9")


# -- checking -------------------------------------------------------------------------------


def test_a_refused_file_leaves_no_version_of_its_slot(store, key):
    slot = f"uploads/{key}/1"
    store.put(slot, JPEG, "image/jpeg")  # replaced in the page before sending
    store.put(slot, b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg")
    with pytest.raises(FileRefused):
        files.verify(store, key, [1])
    assert store.versions("uploads/") == []


def test_the_checked_version_is_the_one_filed(store, key):
    slot = f"uploads/{key}/1"
    first = store.put(slot, JPEG, "image/jpeg")
    (upload,) = files.verify(store, key, [1])
    assert upload.version_id == first
    store.put(slot, PNG, "image/jpeg")  # an old grant, used after the check
    copied = files._copy(store, upload, "HW-2222-2222")
    assert store.read(copied.key, copied.version_id) == KEPT_JPEG


# -- filing ---------------------------------------------------------------------------------


def test_files_are_copied_under_the_case_and_the_slots_emptied(store, key, stores, settings, db):
    store.put(f"uploads/{key}/1", JPEG, "image/jpeg")
    store.put(f"uploads/{key}/4", b"left behind: removed in the page", "image/png")
    receipt, created = file_form(store, key, stores=stores, settings=settings)
    assert created
    assert receipt.reference == form_keys.reference_for(settings.keyring(Purpose.FORM_KEYS), key)
    (attachment,) = db.cases[receipt.reference].attachments
    assert attachment.key == case_file_key(receipt.reference, 1, hashlib.sha256(JPEG).hexdigest())
    assert store.read(attachment.key, attachment.version_id) == KEPT_JPEG
    assert store.versions("uploads/") == []
    assert store.versions("cases/") == [(attachment.key, attachment.version_id)]


def test_a_reference_another_case_holds_is_passed_over(store, key, stores, settings, db):
    taken = form_keys.reference_for(settings.keyring(Purpose.FORM_KEYS), key)
    theirs_key = case_file_key(taken, 1, hashlib.sha256(PNG).hexdigest())
    theirs = Attachment(
        theirs_key, "x", len(PNG), "image/png", store.put(theirs_key, PNG, "image/png")
    )
    stranger = intake.Submission(
        report=Report.model_validate(copy.deepcopy(EXAMPLE_REPORT)),
        fingerprint="theirs",
        idempotency_key=None,
        source="203.0.113.9",
        attachments=(theirs,),
        reference=taken,
    )
    intake.submit(stranger, stores=stores, settings=settings)

    store.put(f"uploads/{key}/1", JPEG, "image/jpeg")
    receipt, created = file_form(store, key, stores=stores, settings=settings)
    assert created
    assert receipt.reference == form_keys.reference_for(settings.keyring(Purpose.FORM_KEYS), key, 1)
    # The other case keeps its file and gets none of ours.
    assert db.cases[taken].attachments == (theirs,)
    assert store.versions(f"cases/{taken}/") == [(theirs.key, theirs.version_id)]
    (ours,) = db.cases[receipt.reference].attachments
    assert store.read(ours.key, ours.version_id) == KEPT_JPEG


def test_a_copy_another_attempt_made_first_is_used_not_made_again(store, key, stores, settings, db):
    store.put(f"uploads/{key}/1", JPEG, "image/jpeg")
    (upload,) = files.verify(store, key, [1])
    reference = form_keys.reference_for(settings.keyring(Purpose.FORM_KEYS), key)
    earlier = files._copy(store, upload, reference)  # an attempt that failed after its copy
    store.copies = 0
    receipt, created = file_form(store, key, stores=stores, settings=settings)
    assert created and store.copies == 0
    assert db.cases[receipt.reference].attachments == (earlier,)


def test_an_attempt_that_lost_the_race_takes_its_copies_away(store, key, stores, settings, db):
    store.put(f"uploads/{key}/1", JPEG, "image/jpeg")
    (checked,) = files.verify(store, key, [1])
    winner, created = files.file_report(
        submission(key), [checked], store=store, stores=stores, settings=settings
    )
    assert created
    # A second tap, checked while the slot held another file, files after the first.
    other = store.put(f"uploads/{key}/1", PNG, "image/png")
    late = Upload(
        1, f"uploads/{key}/1", other, hashlib.sha256(PNG).hexdigest(), len(PNG), "image/png"
    )
    again, created = files.file_report(
        submission(key), [late], store=store, stores=stores, settings=settings
    )
    assert not created and again == winner
    (kept,) = db.cases[winner.reference].attachments
    assert store.versions("cases/") == [(kept.key, kept.version_id)]
    # Other answers under the same key: refused, and its copies taken away as well.
    other = store.put(f"uploads/{key}/1", PNG, "image/png")
    late = Upload(
        1, f"uploads/{key}/1", other, hashlib.sha256(PNG).hexdigest(), len(PNG), "image/png"
    )
    changed = intake.Submission(**{**submission(key).__dict__, "fingerprint": "other answers"})
    with pytest.raises(intake.IdempotencyKeyReused):
        files.file_report(changed, [late], store=store, stores=stores, settings=settings)
    assert store.versions("cases/") == [(kept.key, kept.version_id)]
