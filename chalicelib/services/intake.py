"""Accepting a report: one unit of work stores the case and everything it causes.

The case, its alert (the outbox), the statistics, its blocking keys for matching, its
reporter's entries in the blind index (for a person's request about their data), the
idempotency key and the source's rate charge are written together or not at all: an
accepted report costs one write, and two racing requests with one key cannot both
create a case.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.domain.alerts import Alert
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.case import Case, iso, new_reference, status_token
from chalicelib.domain.casefile import Counted
from chalicelib.domain.erasure import reporter_keys
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.hotline import TakenByPhone
from chalicelib.domain.intake import Charge, IdempotencyRecord, RateLimit, source_key
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.matching import blocking_keys
from chalicelib.domain.partners import idempotency_scope
from chalicelib.domain.report import Receipt, Report, identity_of
from chalicelib.domain.search import index_keys
from chalicelib.services.ports import Stores

# Idempotency keys of the web form are issued by the server and unguessable; the JSON
# API's are the caller's own, so they are only unique per source.
FORM_SCOPE = "form"
_ATTEMPTS = 4


class _RecentSources:
    """Sources this process charged lately, and until when they are mid-burst.

    Only a guess, to charge a returning source as a burst at the first try (one write
    instead of two); the store's condition decides. Keyed hashes only, a bounded few.
    """

    def __init__(self, size: int = 1024) -> None:
        self._until: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_charge(self, charge: Charge) -> Charge:
        with self._lock:
            until = self._until.get((charge.purpose, charge.source), 0)
        return charge.as_burst() if until > charge.now_ms else charge

    def charged(self, charge: Charge) -> None:
        with self._lock:
            key = (charge.purpose, charge.source)
            self._until[key] = charge.now_ms + charge.limit.interval_ms
            self._until.move_to_end(key)
            while len(self._until) > self._size:
                self._until.popitem(last=False)


_recent = _RecentSources()


class IdempotencyKeyReused(Exception):
    """The idempotency key was used before with a different report."""


class ReferenceTaken(Exception):
    """The reference a submission asked for belongs to another case already."""


class TooManyRequests(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Submission:
    report: Report
    # Hash of the body as sent, to tell a retry from a different report under one key.
    fingerprint: str
    idempotency_key: str | None
    # Where it came from (the client address); only ever stored as a keyed hash.
    source: str
    # Files the web form verified (services/attachments.py), recorded on the case item;
    # the JSON contract has none, so the report itself never changes shape.
    attachments: tuple[Attachment, ...] = ()
    # Whose idempotency keys these are (FORM_SCOPE, or None: the source's own).
    scope: str | None = None
    # A bot that filled the form's hidden field: answered exactly like a person (checked,
    # charged to its source, replayed per key) but nothing of the report is stored.
    decoy: bool = False
    # The reference to file under, when something (the form's files) was already put in
    # its place; None draws a new one, and another at a collision.
    reference: str | None = None
    # A registered partner's report (domain/partners.py): its key is the partner's own
    # (kept for good: a partner's external id names one case forever), and its quota is
    # charged per request by the partner's route, not per report here.
    partner: str | None = None
    # An import batch's key (ImportBatch.key): its recipients hear of a non-urgent report
    # in the batch's digest rather than on its own (Alert.on_arrival).
    batch: str | None = None
    # The partner's own id for the report, told back in its webhooks.
    external_id: str | None = None
    # A report a hotline operator took for a caller (domain/hotline.py).
    taken_by: TakenByPhone | None = None
    # The files' originals kept as evidence (services/evidence.py `keep_originals`): their
    # evidence items and first custody entries are written with the case.
    originals: tuple = ()


def _receipt(settings: Settings, reference: str, received_at: str) -> Receipt:
    return Receipt(
        reference=reference,
        status_token=status_token(settings.keyring(Purpose.STATUS_CODES).signer, reference),
        received_at=received_at,
    )


def _ms(now: dt.datetime) -> int:
    return int(now.timestamp() * 1000)


def submit(
    submission: Submission, *, stores: Stores, settings: Settings, now: dt.datetime | None = None
) -> tuple[Receipt, bool]:
    """Store the report; return its receipt and whether a new case was created."""
    now = now or dt.datetime.now(dt.UTC)
    source = source_key(settings.signing_key, submission.source)
    scope = submission.scope or source
    if submission.partner:
        scope = idempotency_scope(submission.partner)
    charge = _recent.first_charge(Charge("report", source, _ms(now), _report_rate(settings)))
    # Written with the case so that matching (off the request path) finds it in one
    # indexed lookup per key; none at all when the reporter did not allow tracing, so the
    # case is never offered as a candidate either.
    consent = submission.report.consent
    match_keys = blocking_keys(identity_of(submission.report)) if consent.tracing else []
    # Staff search is not matching: every case is findable by those who may open it.
    search_keys = index_keys(identity_of(submission.report))
    # Keyed hashes of the reporter's e-mail and phone: what finds their cases when they
    # ask what is held about them, or to be forgotten (services/requests.py).
    people = list(reporter_keys(settings.signing_key, submission.report))
    reference = submission.reference or new_reference()
    for _ in range(_ATTEMPTS):
        case = Case(
            reference=reference,
            received_at=now,
            report=submission.report,
            partner=submission.partner,
            external_id=submission.external_id if submission.partner else None,
            taken_by=submission.taken_by,
        )
        alert = Alert.on_arrival(case, batch=submission.batch)
        uow = stores.unit_of_work()
        if not submission.decoy:
            # The case records the derived items it writes, so that erasing it reaches
            # them all (services/erasure.py).
            stores.cases.open(
                uow,
                case,
                submission.attachments,
                blocking_keys=match_keys,
                reporter_keys=people,
                search_keys=search_keys,
            )
            stores.alerts.add(
                uow,
                alert,
                acknowledge_by=None
                if alert.imported
                else alert.acknowledge_by(
                    settings.escalate_urgent_after, settings.escalate_normal_after
                ),
                batch=submission.batch if alert.imported else None,
            )
            stores.statistics.count_new(uow, Counted.of_case(case))
            stores.match_index.add(uow, case.reference, case.received_at, match_keys)
            stores.search.add(uow, case.reference, case.received_at, search_keys)
            stores.reporters.add(uow, case.reference, case.received_at, people)
            if submission.taken_by is not None:
                # A report a hotline operator took: their act, in the case's trail.
                stores.audit.add(uow, submission.taken_by.audit_entry(case.reference, now))
            if submission.originals:
                from chalicelib.services import evidence

                evidence.receive(uow, case.reference, submission.originals, now, stores)
        if submission.idempotency_key:
            record = IdempotencyRecord(
                scope=scope,
                key=submission.idempotency_key,
                fingerprint=submission.fingerprint,
                reference=case.reference,
                received_at=iso(now),
            )
            expires = int(now.timestamp()) + settings.idempotency_ttl_seconds
            stores.guards.remember(uow, record, None if submission.partner else expires)
        if not submission.partner:
            stores.guards.charge(uow, charge)
        try:
            uow.commit()
        except Refused as refused:
            # A replayed key explains everything else that was refused with it.
            if "idempotency" in refused.names:
                return _replay(submission, scope, stores=stores, settings=settings), False
            if "rate" in refused.names:
                charge = _next_charge(charge, refused)
                continue
            if "case" in refused.names:
                if submission.reference:
                    raise ReferenceTaken() from None
                reference = new_reference()  # a collision (about one in 10^11)
                continue
            raise
        except Conflict:
            continue
        if not submission.partner:
            _recent.charged(charge)
        return _receipt(settings, case.reference, iso(now)), True
    raise RuntimeError("could not store the report")


def _report_rate(settings: Settings) -> RateLimit:
    return RateLimit(settings.rate_limit, settings.rate_window_seconds)


def _next_charge(charge: Charge, refused: Refused) -> Charge:
    """After a refused charge: try it as a burst, or give up with a Retry-After."""
    allowance_at = refused.old.get("rate", {}).get("allowance_at")
    # No record (a burst was guessed wrong) or an allowance in the past: a fresh charge.
    if allowance_at is None or int(allowance_at) <= charge.now_ms:
        return Charge(charge.purpose, charge.source, charge.now_ms, charge.limit)
    if not charge.burst:
        return charge.as_burst()
    raise TooManyRequests(charge.retry_after(int(allowance_at)))


def admit(
    purpose: str,
    address: str,
    limit: RateLimit,
    *,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> None:
    """Charge one request of a public route to its source; TooManyRequests past the limit."""
    admit_source(purpose, source_key(settings.signing_key, address), limit, stores=stores, now=now)


def admit_source(
    purpose: str, source: str, limit: RateLimit, *, stores: Stores, now: dt.datetime | None = None
) -> None:
    """Charge one request to a source already keyed (a hashed address, a partner)."""
    now = now or dt.datetime.now(dt.UTC)
    charge = _recent.first_charge(Charge(purpose, source, _ms(now), limit))
    for _ in range(_ATTEMPTS):
        uow = stores.unit_of_work()
        stores.guards.charge(uow, charge)
        try:
            uow.commit()
            _recent.charged(charge)
            return
        except Refused as refused:
            charge = _next_charge(charge, refused)
        except Conflict:
            continue
    raise TooManyRequests(1)


def shows_code_again(stores: Stores, key: str, now: dt.datetime | None = None) -> bool:
    """Whether a form sent again (its report filed already) may show the status code:
    a double tap whose first receipt was never shown (domain/intake.py)."""
    record = stores.guards.recall(FORM_SCOPE, key) if key else None
    return record is not None and record.shows_code_again(now or dt.datetime.now(dt.UTC))


def receipt_shown(stores: Stores, key: str) -> None:
    """A browser showed the receipt of the form with this key, with its status code."""
    stores.guards.mark_shown(FORM_SCOPE, key)


def _replay(submission: Submission, scope: str, *, stores: Stores, settings: Settings) -> Receipt:
    assert submission.idempotency_key
    existing = stores.guards.recall(scope, submission.idempotency_key)
    if existing is None or existing.fingerprint != submission.fingerprint:
        # None: the key expired between the two calls, vanishingly rare.
        raise IdempotencyKeyReused()
    return _receipt(settings, existing.reference, existing.received_at)
