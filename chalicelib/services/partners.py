"""Partners filing reports by machine: their quota, their own ids, what they may read back.

Every partner request is charged to the partner's quota first (its registration says how
many a minute; an import request of up to MAX_BATCH_ROWS rows is one). A report goes
through intake like any other (one unit of work: case, outbox, matching keys,
idempotency key), under the partner's `external_id`, which is the idempotency key in the
partner's own scope and kept for good: the same id again is the same case, whenever it
comes; another partner's same id is another partner's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.domain.intake import RateLimit
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.partners import (
    READ,
    WRITE,
    Partner,
    PartnerClient,
    UnknownPartner,
    external_key,
    idempotency_scope,
    rotated_secret,
    webhook_secret_text,
)
from chalicelib.domain.progress import Stage, reporter_stage
from chalicelib.domain.report import Receipt, Report
from chalicelib.services import intake
from chalicelib.services.access import Caller, NotPermitted, refuse
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.partners")

# The audit trail of partner registrations, beside the cases' and the directory's.
PARTNERS_TRAIL = "partners"


class PartnerNotRegistered(Exception):
    """No partner registered under that client id (a coordinator's request)."""


class ReportNotFound(Exception):
    """No report of this partner's under that id (another partner's ids name nothing)."""


@dataclass(frozen=True)
class PartnerReport:
    """What a partner may read back of a report it filed: the coarse stage only."""

    external_id: str
    reference: str
    received_at: str
    stage: Stage


@dataclass(frozen=True)
class Registered:
    """A registration as a coordinator sees it, with the webhook secret to hand over."""

    partner: Partner
    webhook_secret: str


def _source(settings: Settings, client_id: str) -> str:
    mac = hmac.new(settings.signing_key, f"partner:{client_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:24]


def admitted(
    client: PartnerClient,
    scope: str,
    *,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Partner:
    """The registered partner behind a token with `scope`, charged one request."""
    client.require(scope)
    partner = stores.partners.get(client.client_id)
    if partner is None or not partner.active:
        log.warning("request of an unregistered or inactive partner client")
        raise UnknownPartner()
    limit = RateLimit(partner.quota_per_minute, 60)
    intake.admit_source(
        "partner", _source(settings, client.client_id), limit, stores=stores, now=now
    )
    return partner


def file_report(
    client: PartnerClient,
    report: Report,
    fingerprint: str,
    external_id: str,
    *,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> tuple[Receipt, bool]:
    """File one report under the partner's id; (receipt, created). The same id with the
    same report is the same receipt; with another report, IdempotencyKeyReused."""
    admitted(client, WRITE, stores=stores, settings=settings, now=now)
    submission = intake.Submission(
        report=report,
        fingerprint=fingerprint,
        idempotency_key=external_key(external_id),
        source="",
        partner=client.client_id,
        external_id=external_id,
    )
    receipt, created = intake.submit(submission, stores=stores, settings=settings, now=now)
    if created:
        log.info("partner report accepted as %s", receipt.reference)
    return receipt, created


def report_status(
    client: PartnerClient, external_id: str, *, stores: Stores, settings: Settings
) -> PartnerReport:
    admitted(client, READ, stores=stores, settings=settings)
    record = stores.guards.recall(idempotency_scope(client.client_id), external_key(external_id))
    status = stores.cases.status_of(record.reference) if record else None
    if record is None or status is None:
        raise ReportNotFound()
    return PartnerReport(external_id, record.reference, record.received_at, reporter_stage(status))


# -- coordinators register partners ----------------------------------------------------


def register(caller: Caller, partner: Partner, *, stores: Stores, settings: Settings):
    """Add or change a partner (coordinators); audited; answers the webhook secret."""
    if not caller.staff.is_coordinator:
        refuse(caller, PARTNERS_TRAIL, "register-partner", stores, NotPermitted())
    partner = partner.secrets_kept_from(stores.partners.get(partner.client_id))
    stores.partners.register(partner)
    stores.audit.record(
        [caller.entry(PARTNERS_TRAIL, "register-partner", detail=partner.client_id)]
    )
    return Registered(partner, _secret_of(partner, settings))


def _secret_of(partner: Partner, settings: Settings) -> str:
    master = settings.keyring(Purpose.WEBHOOKS).signer
    return webhook_secret_text(master, partner.client_id, partner.webhook_generation)


def rotate_webhook_secret(
    caller: Caller,
    client_id: str,
    *,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> Registered:
    """A partner's next webhook secret (coordinators; audited). Its webhooks are signed
    with both the new and the old one for ROTATION_OVERLAP, then with the new one alone."""
    if not caller.staff.is_coordinator:
        refuse(caller, PARTNERS_TRAIL, "rotate-webhook-secret", stores, NotPermitted())
    found = stores.partners.get(client_id)
    if found is None:
        raise PartnerNotRegistered()
    partner = rotated_secret(found, now or dt.datetime.now(dt.UTC))
    stores.partners.register(partner)
    stores.audit.record([caller.entry(PARTNERS_TRAIL, "rotate-webhook-secret", detail=client_id)])
    log.info("webhook secret of a partner rotated")
    return Registered(partner, _secret_of(partner, settings))


def partners(caller: Caller, *, stores: Stores) -> list[Partner]:
    if not caller.staff.is_coordinator:
        refuse(caller, PARTNERS_TRAIL, "list-partners", stores, NotPermitted())
    stores.audit.record([caller.entry(PARTNERS_TRAIL, "list-partners")])
    return stores.partners.all()


__all__ = ["PartnerNotRegistered", "ReportNotFound", "UnknownPartner"]
