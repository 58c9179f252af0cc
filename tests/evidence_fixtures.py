"""Shared by the evidence tests: a form's report with a photo, filed on the fakes, and
the coordinators with and without the evidence role."""

import copy
import datetime as dt

from fakes import FakeEvidenceFiles, FakeFileStore
from helpers import EXAMPLE_REPORT, photo_jpeg

from chalicelib.domain import form_keys
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import attachments as files
from chalicelib.services import intake

# A photo as a phone sends it: what follows the image's end (a camera's metadata, say) is
# dropped from the working copy, never from the original.
SENT = photo_jpeg(b"GPS 46.6 32.6 camera serial 0042")
OLENA = StaffMember("c-1", "coordinator", "UA-NIB", "Олена Коваль")
KEEPER = StaffMember("c-2", "coordinator", "UA-NIB", "Ірина Мельник", evidence=True)
INTAKE = Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True)


def body(**consent):
    report = copy.deepcopy(EXAMPLE_REPORT)
    report["consent"].update(consent)
    return report


def filed(stores, settings, *, evidence_consent: bool, bucket=None):
    """A form's report with one photo; its reference, the uploads bucket, the evidence one."""
    store, bucket = FakeFileStore(), bucket or FakeEvidenceFiles()
    key = form_keys.issue(settings.signing_key, dt.datetime.now(dt.UTC))
    store.put(f"uploads/{key}/1", SENT, "image/jpeg")
    uploads = files.verify(store, key, [1])
    submission = intake.Submission(
        report=Report.model_validate(body(evidence=evidence_consent)),
        fingerprint="a photo",
        idempotency_key=key,
        source="198.51.100.7",
        scope=intake.FORM_SCOPE,
    )
    receipt, _ = files.file_report(
        submission, uploads, store=store, stores=stores, settings=settings, evidence_files=bucket
    )
    return receipt, store, bucket
