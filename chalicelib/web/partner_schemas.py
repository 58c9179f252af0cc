"""Shapes of the partner API, of partner registrations and of exports (web/schemas.py
re-exports them: the operations name their models there)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from chalicelib.domain.case import REFERENCE_PATTERN, iso
from chalicelib.domain.casefile import Filters
from chalicelib.domain.exports import ExportFormat
from chalicelib.domain.imports import RowOutcomeKind
from chalicelib.domain.partners import (
    CLIENT_ID_PATTERN,
    DEFAULT_QUOTA_PER_MINUTE,
    EXTERNAL_ID_PATTERN,
    MAX_BATCH_ROWS,
    ImportBatch,
    Partner,
)
from chalicelib.domain.progress import Stage
from chalicelib.domain.report import Category, Oblast, Report
from chalicelib.domain.webhooks import UnsafeWebhookTarget, WebhookProgress, check_target
from chalicelib.domain.workflow import Status
from chalicelib.web.schemas import Strict

ExternalId = Annotated[str, StringConstraints(pattern=EXTERNAL_ID_PATTERN)]
ClientId = Annotated[str, StringConstraints(pattern=CLIENT_ID_PATTERN)]


class PartnerReportIn(Strict):
    """One report, under the partner's own id for it."""

    external_id: ExternalId
    report: Report


class PartnerReceipt(BaseModel):
    external_id: str
    reference: str = Field(examples=["HW-7K3M-Q9TX"])
    received_at: str


class PartnerReportStatus(BaseModel):
    """What a partner may read back of its own report: the coarse stage only."""

    external_id: str
    reference: str
    received_at: str
    # The reporter's stage, as the status page and the webhooks say it (domain/progress.py).
    stage: Stage

    @classmethod
    def of(cls, found: Any) -> PartnerReportStatus:
        return cls(
            external_id=found.external_id,
            reference=found.reference,
            received_at=found.received_at,
            stage=found.stage,
        )


class ImportRowIn(Strict):
    # Where the row was in the partner's file: every answer about it names this line.
    line: int = Field(ge=1)
    external_id: str | None = None
    # Checked row by row after the batch's shape (domain/imports.py), so that every
    # mistake of every row is named at once.
    report: dict[str, Any]


class ImportRowsIn(Strict):
    rows: list[ImportRowIn] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class ImportRowOut(BaseModel):
    line: int
    outcome: RowOutcomeKind
    reference: str | None = None
    external_id: str | None = None
    reason: str | None = None


class ImportAnswer(BaseModel):
    batch_id: str
    created: int
    replayed: int
    refused: int
    rows: list[ImportRowOut]

    @classmethod
    def of(cls, summary: Any) -> ImportAnswer:
        return cls(
            batch_id=summary.batch_id,
            created=summary.created,
            replayed=summary.replayed,
            refused=summary.refused,
            rows=[
                ImportRowOut(
                    line=o.line,
                    outcome=o.outcome,
                    reference=o.reference,
                    external_id=o.external_id,
                    reason=o.reason,
                )
                for o in summary.outcomes
            ],
        )


class BatchState(BaseModel):
    batch_id: str
    opened_at: str
    closed_at: str | None
    digest_sent_at: str | None

    @classmethod
    def of(cls, batch: ImportBatch) -> BatchState:
        return cls(
            batch_id=batch.batch_id,
            opened_at=iso(batch.opened_at),
            closed_at=iso(batch.closed_at) if batch.closed_at else None,
            digest_sent_at=iso(batch.digested_at) if batch.digested_at else None,
        )


# -- coordinators: partner registrations --------------------------------------------------


class PartnerRegistration(Strict):
    client_id: ClientId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    quota_per_minute: int = Field(default=DEFAULT_QUOTA_PER_MINUTE, ge=1, le=6000)
    # https, a public host (domain/webhooks.py): never an address inside a network.
    webhook_url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None
    active: bool = True

    @field_validator("webhook_url")
    @classmethod
    def _public(cls, url: str | None) -> str | None:
        if url is None:
            return None
        try:
            return check_target(url)
        except UnsafeWebhookTarget as refused:
            raise ValueError(f"not a webhook address: {refused}") from None

    def partner(self) -> Partner:
        return Partner(
            client_id=self.client_id,
            name=self.name,
            quota_per_minute=self.quota_per_minute,
            webhook_url=self.webhook_url,
            active=self.active,
        )


class RegisteredPartner(BaseModel):
    client_id: str
    name: str
    quota_per_minute: int
    webhook_url: str | None
    active: bool
    # Hand it to the partner: it checks our webhooks' signatures with it.
    webhook_secret: str | None = None

    @classmethod
    def of(cls, found: Any) -> RegisteredPartner:
        partner = getattr(found, "partner", found)
        return cls(
            client_id=partner.client_id,
            name=partner.name,
            quota_per_minute=partner.quota_per_minute,
            webhook_url=partner.webhook_url,
            active=partner.active,
            webhook_secret=getattr(found, "webhook_secret", None),
        )


class RotatedWebhookSecret(BaseModel):
    client_id: str
    # Hand it to the partner: webhooks are signed with it (and the old one) from now on.
    webhook_secret: str
    # Until then each webhook carries a second `v1`, made with the old secret.
    previous_secret_until: dt.datetime

    @classmethod
    def of(cls, found: Any) -> RotatedWebhookSecret:
        return cls(
            client_id=found.partner.client_id,
            webhook_secret=found.webhook_secret,
            previous_secret_until=found.partner.previous_secret_until,
        )


class PartnerList(BaseModel):
    partners: list[RegisteredPartner]

    @classmethod
    def of(cls, partners: list[Partner]) -> PartnerList:
        return cls(partners=[RegisteredPartner.of(p) for p in partners])


# -- coordinators and caseworkers: exports ------------------------------------------------


class ExportRequest(Strict):
    format: ExportFormat = "csv"
    status: Status | None = None
    oblast: Oblast | None = None
    category: Category | None = None
    urgent: bool | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None

    def filters(self) -> Filters:
        return Filters(
            status=self.status,
            oblast=self.oblast,
            category=self.category,
            urgent=self.urgent,
            received_from=self.received_from,
            received_to=self.received_to,
        )


class ExportAnswer(BaseModel):
    format: ExportFormat
    rows: int
    # Rows whose report the disclosure policy withholds from the caller: reference,
    # status and where and what only.
    rows_withheld: int
    # A small CSV comes in the answer; anything else is fetched from `url` until
    # `expires_at` (a presigned link to the export, kept a day).
    content: str | None = None
    url: str | None = None
    expires_at: str | None = None

    @classmethod
    def of(cls, result: Any) -> ExportAnswer:
        return cls(
            format=result.format,
            rows=result.rows,
            rows_withheld=result.rows_withheld,
            content=result.content,
            url=result.url,
            expires_at=iso(result.expires_at) if result.expires_at else None,
        )


# -- coordinators: webhooks that failed ---------------------------------------------------


class WebhookShown(BaseModel):
    client_id: str
    event_id: str
    reference: str
    external_id: str | None
    stage: Stage
    state: WebhookProgress
    attempts: int
    last_error: str | None
    updated_at: str | None

    @classmethod
    def of(cls, found: Any) -> WebhookShown:
        return cls(
            client_id=found.event.client_id,
            event_id=found.event.event_id,
            reference=found.event.reference,
            external_id=found.event.external_id,
            stage=found.event.stage,
            state=found.state,
            attempts=found.attempts,
            last_error=found.last_error,
            updated_at=iso(found.updated_at) if found.updated_at else None,
        )


class FailedWebhooks(BaseModel):
    webhooks: list[WebhookShown]

    @classmethod
    def of(cls, found: list[Any]) -> FailedWebhooks:
        return cls(webhooks=[WebhookShown.of(w) for w in found])


class WebhookRetry(Strict):
    client_id: ClientId
    # A case's reference and the version its change made: HW-XXXX-XXXX.3
    event_id: Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN[:-1] + r"\.[0-9]{1,9}$")]
