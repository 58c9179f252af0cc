"""Bulk import: a partner's file, in requests of up to MAX_BATCH_ROWS checked rows.

Each row is filed through intake (services/intake.py), exactly as one report is: one unit
of work with the case, its outbox entry, its matching keys and its idempotency key (the
row's external id, or its content, in the partner's scope). A request sent again, or a
whole file sent again after an interruption, files nothing twice: those rows are
"replayed" and answer the case they made. Matching runs for each new case as for any
(the table's stream), so a batch is matched against the table and, row after row,
against itself.

The rows' recipients are not alerted one report at a time: each row's outbox entry only
puts the case into the mandate of the agencies it reaches (services/dispatch.py). Once the
partner closes the batch, every recipient gets one digest of what the batch brought to
them (`send_digests`, a schedule), saying no more than an SMS alert does of each case.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from chalicelib.config import Settings
from chalicelib.domain.alerts import Channel
from chalicelib.domain.batch_digest import DigestLine, render_batch_digest
from chalicelib.domain.imports import ImportRow, RowOutcomeKind
from chalicelib.domain.partners import (
    BATCH_ID,
    MAX_BATCH_ROWS,
    WRITE,
    ImportBatch,
    PartnerClient,
)
from chalicelib.domain.routing import Directory
from chalicelib.logs import describe
from chalicelib.services import intake
from chalicelib.services.outside_ports import EmailSender, SmsSender
from chalicelib.services.partners import admitted
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.imports")


class BatchTooLarge(Exception):
    pass


class InvalidBatchId(ValueError):
    """A batch id is 4 to 64 characters of A-Z a-z 0-9 _ -."""


class BatchClosed(Exception):
    """The batch was closed: its digest is out; a new import is a new batch."""


@dataclass(frozen=True)
class RowOutcome:
    line: int
    outcome: RowOutcomeKind
    reference: str | None = None
    reason: str | None = None
    external_id: str | None = None


@dataclass
class ImportSummary:
    batch_id: str
    outcomes: list[RowOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def replayed(self) -> int:
        return self.count("replayed")

    @property
    def refused(self) -> int:
        return self.count("refused")


def import_rows(
    client: PartnerClient,
    batch_id: str,
    rows: Sequence[ImportRow],
    *,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> ImportSummary:
    """File checked rows into an open batch (opened by its first request)."""
    if not BATCH_ID.match(batch_id):
        raise InvalidBatchId()
    if len(rows) > MAX_BATCH_ROWS:
        raise BatchTooLarge()
    now = now or dt.datetime.now(dt.UTC)
    admitted(client, WRITE, stores=stores, settings=settings, now=now)
    batch = stores.partners.open_batch(client.client_id, batch_id, now)
    if batch.closed_at is not None:
        raise BatchClosed()
    summary = ImportSummary(batch_id)
    for row in rows:
        submission = intake.Submission(
            report=row.report,
            fingerprint=row.fingerprint,
            idempotency_key=row.key,
            source="",
            partner=client.client_id,
            batch=batch.key,
            external_id=row.external_id,
        )
        try:
            receipt, created = intake.submit(submission, stores=stores, settings=settings, now=now)
        except intake.IdempotencyKeyReused:
            summary.outcomes.append(
                RowOutcome(
                    row.line,
                    "refused",
                    reason="external_id already used for another report",
                    external_id=row.external_id,
                )
            )
            continue
        outcome = "created" if created else "replayed"
        summary.outcomes.append(
            RowOutcome(row.line, outcome, receipt.reference, external_id=row.external_id)
        )
    log.info(
        "import batch: %d created, %d replayed, %d refused",
        summary.created,
        summary.replayed,
        summary.refused,
    )
    return summary


def close_batch(
    client: PartnerClient,
    batch_id: str,
    *,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> ImportBatch:
    """Close the batch (again: no change): its digest goes out with the next schedule."""
    if not BATCH_ID.match(batch_id):
        raise InvalidBatchId()
    now = now or dt.datetime.now(dt.UTC)
    admitted(client, WRITE, stores=stores, settings=settings, now=now)
    stores.partners.close_batch(client.client_id, batch_id, now)
    batch = stores.partners.batch(client.client_id, batch_id)
    if batch is None:
        raise BatchClosed()  # never opened: nothing to close
    return batch


def send_digests(
    *,
    stores: Stores,
    directory: Directory,
    email: EmailSender,
    sms: SmsSender,
    now: dt.datetime | None = None,
) -> int:
    """One digest per recipient and channel for each closed batch; the number sent."""
    now = now or dt.datetime.now(dt.UTC)
    sent = 0
    for batch in stores.partners.closed_batches():
        # Claimed first: two schedules at once send a batch's digests once.
        if not stores.partners.claim_digest(batch, now):
            continue
        partner = stores.partners.get(batch.client_id)
        name = partner.name if partner else batch.client_id
        sent += _send_batch(batch, name, stores=stores, directory=directory, email=email, sms=sms)
    return sent


def _send_batch(batch, name, *, stores, directory, email, sms) -> int:
    recipients: dict[tuple[str, Channel], list[DigestLine]] = defaultdict(list)
    addresses: dict[tuple[str, Channel], tuple[str, str]] = {}
    alerts = stores.alerts.of_batch(batch.key)
    for alert in alerts:
        for delivery in directory.route(alert):
            target = (delivery.contact_id, delivery.channel)
            addresses[target] = (delivery.address, delivery.language)
            recipients[target].append(DigestLine.of(alert))
    sent = 0
    for target, lines in sorted(recipients.items()):
        address, language = addresses[target]
        digest = render_batch_digest(name, lines, language, sms=target[1] == Channel.SMS)
        try:
            if target[1] == Channel.SMS:
                sms.send(address, digest.text)
            else:
                email.send(address, digest.subject, digest.text)
            sent += 1
        except Exception as exc:  # one recipient's failure must not keep the others'
            log.error("import digest to contact %s failed: %s", target[0], describe(exc))
    log.info("import digest of a batch: %d reports, %d recipients", len(alerts), sent)
    return sent
