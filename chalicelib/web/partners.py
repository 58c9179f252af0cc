"""The partner API, under /api/v1/partner/: partners' programs file reports, import
batches and read back their own reports' stages, on a client-credentials access token
(domain/partners.py). Each route is one call into a service (web/operations.py does the
rest). Coordinators register partners through the staff API (web/staff.py's neighbours
below)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.http import json_response
from chalicelib.web.operations import PREFIX, partner_operation, staff_operation

partners = lazy_module("chalicelib.services.partners")
imports = lazy_module("chalicelib.services.imports")
exports = lazy_module("chalicelib.services.exports")
webhooks = lazy_module("chalicelib.services.webhooks")

bp = Blueprint(__name__)
PARTNER = "/api/v1/partner"
BATCH = f"{PARTNER}/imports/{{batch_id}}"
TOKEN = ("MissingScope", "UnknownPartner", "TooManyRequests")
IMPORT_BODY_BYTES = 1024 * 1024


@partner_operation(
    bp,
    "POST",
    f"{PARTNER}/reports",
    operation_id="fileReport",
    summary="File a report under your own id for it (the same id again: the same case)",
    answer="PartnerReceipt",
    body="PartnerReportIn",
    status=201,
    refusals=("BadRequestBody", "BodyTooLarge", "ValidationError", "IdempotencyKeyReused", *TOKEN),
)
def file_report(client, body):
    from chalicelib.domain.case import fingerprint

    receipt, created = partners.file_report(
        client,
        body.report,
        fingerprint(body.report.model_dump(mode="json")),
        body.external_id,
        stores=wiring.stores(),
        settings=wiring.settings(),
    )
    answer = {
        "external_id": body.external_id,
        "reference": receipt.reference,
        "received_at": receipt.received_at,
    }
    return json_response(201, answer, {} if created else {"Idempotent-Replayed": "true"})


@partner_operation(
    bp,
    "GET",
    f"{PARTNER}/reports/{{external_id}}",
    operation_id="readReportStage",
    summary="The stage of a report you filed: received, in review or closed",
    answer="PartnerReportStatus",
    refusals=("ReportNotFound", *TOKEN),
)
def report_stage(client, external_id):
    return partners.report_status(
        client, external_id, stores=wiring.stores(), settings=wiring.settings()
    )


@partner_operation(
    bp,
    "POST",
    f"{BATCH}/rows",
    operation_id="importRows",
    summary="File up to 100 rows of an import batch: every row checked first (422 names "
    "each mistake by line and field, nothing filed), then each filed, or replayed",
    answer="ImportAnswer",
    body="ImportRowsIn",
    refusals=(
        "BadRequestBody",
        "BodyTooLarge",
        "ValidationError",
        "RowsRefused",
        "BatchClosed",
        "InvalidBatchId",
        *TOKEN,
    ),
    max_body=IMPORT_BODY_BYTES,
)
def import_rows(client, batch_id, body):
    from chalicelib.domain.imports import check_rows

    rows = check_rows([(r.line, r.report, r.external_id) for r in body.rows])
    return imports.import_rows(
        client, batch_id, rows, stores=wiring.stores(), settings=wiring.settings()
    )


@partner_operation(
    bp,
    "POST",
    f"{BATCH}/close",
    operation_id="closeImport",
    summary="Close an import batch: its recipients get one digest of what it brought",
    answer="BatchState",
    status=202,
    refusals=("BatchClosed", "InvalidBatchId", *TOKEN),
)
def close_import(client, batch_id):
    return imports.close_batch(client, batch_id, stores=wiring.stores(), settings=wiring.settings())


# -- coordinators: partner registrations ---------------------------------------------------


@staff_operation(
    bp,
    "PUT",
    f"{PREFIX}/partners/{{client_id}}",
    operation_id="registerPartner",
    summary="Register a partner's client (coordinators): name, quota, webhook address; "
    "answers the webhook secret to hand over",
    answer="RegisteredPartner",
    body="PartnerRegistration",
    refusals=("BadRequestBody", "ValidationError", "NotPermitted", "IdMismatch"),
    path_defaults=("client_id",),
)
def register_partner(caller, client_id, body):
    return partners.register(
        caller, body.partner(), stores=wiring.stores(), settings=wiring.settings()
    )


@staff_operation(
    bp,
    "POST",
    f"{PREFIX}/partners/{{client_id}}/webhook-secret",
    operation_id="rotatePartnerWebhookSecret",
    summary="A partner's next webhook secret (coordinators): for 7 days its webhooks are "
    "signed with both the new and the old one, then with the new one alone",
    answer="RotatedWebhookSecret",
    refusals=("NotPermitted", "PartnerNotRegistered"),
)
def rotate_webhook_secret(caller, client_id):
    return partners.rotate_webhook_secret(
        caller, client_id, stores=wiring.stores(), settings=wiring.settings()
    )


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/partners",
    operation_id="listPartners",
    summary="The registered partners (coordinators)",
    answer="PartnerList",
    refusals=("NotPermitted",),
)
def list_partners(caller):
    return partners.partners(caller, stores=wiring.stores())


# -- coordinators and caseworkers: exports -------------------------------------------------


@staff_operation(
    bp,
    "POST",
    f"{PREFIX}/exports",
    operation_id="exportCases",
    summary="The cases in your mandate as CSV or XLSX, redacted by the reporters' consent "
    "(audited); large ones by a presigned link valid 5 minutes",
    answer="ExportAnswer",
    body="ExportRequest",
    refusals=("BadRequestBody", "ValidationError", "NotPermitted", "ExportUnavailable"),
)
def export_cases(caller, body):
    return exports.export_cases(
        caller,
        body.filters(),
        body.format,
        stores=wiring.stores(),
        files=wiring.file_store(),
    )


# -- coordinators: webhooks that failed their last attempt --------------------------------


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/webhooks/failed",
    operation_id="listFailedWebhooks",
    summary="Webhooks to partners that failed their last attempt, newest first (coordinators)",
    answer="FailedWebhooks",
    refusals=("NotPermitted",),
)
def failed_webhooks(caller):
    return webhooks.failed_webhooks(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    f"{PREFIX}/webhooks/retry",
    operation_id="retryWebhook",
    summary="Send a failed webhook again, with all its attempts (coordinators; audited)",
    answer="WebhookShown",
    body="WebhookRetry",
    status=202,
    refusals=("BadRequestBody", "ValidationError", "NotPermitted", "WebhookNotFound"),
)
def retry_webhook(caller, body):
    return webhooks.retry_webhook(
        caller,
        body.client_id,
        body.event_id,
        stores=wiring.stores(),
        queue=wiring.webhook_queue(),
    )
