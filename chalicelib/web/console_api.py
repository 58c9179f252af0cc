"""What the console does, in the staff API too: one rule, two faces (web/console/).

Search, corrections, acknowledging an alert sent to oneself, the colleagues a case can be
given to, a routing preview, and a short-lived link to a case's file. Each route is one
call into a service (web/operations.py does the rest).
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.operations import PREFIX, staff_operation

acknowledgement = lazy_module("chalicelib.services.acknowledgement")
attachment_links = lazy_module("chalicelib.services.attachment_links")
colleagues = lazy_module("chalicelib.services.colleagues")
corrections = lazy_module("chalicelib.services.corrections")
evidence_packages = lazy_module("chalicelib.services.evidence_packages")
evidence_view = lazy_module("chalicelib.services.evidence_view")
directory = lazy_module("chalicelib.services.directory")
on_call = lazy_module("chalicelib.services.on_call")
search = lazy_module("chalicelib.services.search")
access = lazy_module("chalicelib.services.access")

bp = Blueprint(__name__)
CASE = f"{PREFIX}/cases/{{reference}}"


# A POST: what is searched for is a child's name, which must not sit in a URL (access
# logs, proxies, history keep URLs).
@staff_operation(
    bp,
    "POST",
    f"{PREFIX}/search",
    operation_id="searchCases",
    summary="Find cases by reference, the child's names in any script, birth date or year",
    answer="SearchResults",
    body="SearchQuery",
    refusals=("BadRequestBody", "ValidationError", "NotPermitted"),
)
def find(caller, body):
    return search.search(caller, body.q, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    f"{CASE}/corrections",
    operation_id="correctCase",
    summary="Correct a field of the report, for a reason (versioned, audited, matched again)",
    answer="CaseFile",
    body="Correction",
    refusals=(
        "BadRequestBody",
        "ValidationError",
        "CaseNotFound",
        "NotPermitted",
        "StaleVersion",
        "NotCorrectable",
    ),
)
def correct(caller, reference, body):
    return corrections.correct_case(
        caller,
        reference,
        field=body.field,
        value=body.value,
        reason=body.reason,
        version=body.version,
        stores=wiring.stores(),
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/acknowledgements",
    operation_id="acknowledgeAlert",
    summary="Acknowledge an alert sent to you (stops its escalation)",
    answer="Acknowledgement",
    body="ConsoleAcknowledgement",
    refusals=("BadRequestBody", "ValidationError", "CaseNotFound", "NotPermitted", "NotYours"),
)
def acknowledge(caller, reference, body):
    done = acknowledgement.acknowledge_in_console(
        caller,
        reference,
        body.delivery_id,
        stores=wiring.stores(),
        directory=wiring.directory().current(),
    )
    wiring.metrics().add(
        "AcknowledgementSeconds", done.after_seconds, unit="Seconds", channel=done.channel
    )
    return done


@staff_operation(
    bp,
    "GET",
    f"{CASE}/colleagues",
    operation_id="assignableColleagues",
    summary="Whom you may assign the case to",
    answer="Colleagues",
    refusals=("CaseNotFound", "NotPermitted"),
)
def assignable(caller, reference):
    stores = wiring.stores()
    case = access.visible_case(caller, reference, "read-colleagues", stores)
    return colleagues.assignable(caller, case.agencies, stores.staff.everyone())


@staff_operation(
    bp,
    "GET",
    f"{CASE}/attachments/{{sha256}}",
    operation_id="openAttachment",
    summary="A link to one of the case's files, valid a minute (audited)",
    answer="AttachmentLink",
    refusals=("CaseNotFound", "NotPermitted"),
)
def attachment(caller, reference, sha256):
    return attachment_links.open_attachment(
        caller, reference, sha256, stores=wiring.stores(), files=wiring.file_store()
    )


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/routing-preview",
    operation_id="routingPreview",
    summary="Whom a report with this oblast, category and urgency would reach, rung by rung "
    "(coordinators)",
    answer="RoutingPreview",
    query="PreviewQuery",
    refusals=("ValidationError", "NotPermitted"),
)
def preview(caller, query):
    return directory.preview(
        caller,
        oblast=query.oblast,
        category=query.category,
        urgent=query.urgent,
        country=query.country,
        stores=wiring.stores(),
    )


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/alerts/waiting",
    operation_id="onCall",
    summary="Every alert waiting to be acknowledged that the caller may see, a page at a "
    "time: which alert, its rung, who was tried, time to the next rung",
    answer="OnCallPage",
    query="OnCallQuery",
    refusals=("ValidationError", "NotPermitted"),
)
def waiting_alerts(caller, query):
    return on_call.on_call(
        caller,
        stores=wiring.stores(),
        directory=wiring.directory().current(),
        narrowed=on_call.Narrowed(query.show),
        page=query.page,
    )


@staff_operation(
    bp,
    "GET",
    f"{CASE}/evidence",
    operation_id="caseEvidence",
    summary="The case's originals kept as evidence, each chain of custody and its last time "
    "stamp (coordinators with the evidence role, where the reporter agreed; else why not)",
    answer="CaseEvidence",
    refusals=("CaseNotFound", "NotPermitted"),
)
def case_evidence(caller, reference):
    return evidence_view.case_evidence(caller, reference, stores=wiring.stores())


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/evidence/packages",
    operation_id="evidencePackages",
    summary="Prosecutors' packages, and the cases that may go into one (coordinators with "
    "the evidence role; built and handed over with `homeward evidence`)",
    answer="EvidencePackages",
    refusals=("NotPermitted",),
)
def packages(caller):
    return evidence_packages.overview(caller.staff, stores=wiring.stores())
