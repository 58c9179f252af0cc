"""Alerts and their deliveries.

An alert is the work a case causes ("tell the right people about this report"). It is
written in the same transaction as the case (the outbox) and carries nothing that names
a child, so it can travel through streams and queues. A delivery is one alert to one
contact over one channel; its state is kept so that nothing is sent twice or lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from chalicelib.domain.case import Case
from chalicelib.domain.disclosure import ConsentGiven, Disclosure


class Channel(StrEnum):
    """How a contact is alerted. Declared once: contacts, rules, storage and the API use it."""

    EMAIL = "email"
    SMS = "sms"


class DeliveryState(StrEnum):
    """Where one delivery stands. Storage, indexes, the staff API and /dev/outbox read these."""

    PENDING = "pending"  # recorded, queued, not yet taken by a sender
    SENDING = "sending"  # taken by a sender under a lease
    SENT = "sent"  # the channel accepted it
    FAILED = "failed"  # refused for good, or parked after its last attempt
    ACKNOWLEDGED = "acknowledged"  # its recipient used its acknowledgement link


# A sender that dies mid-send leaves its delivery in SENDING; the sweeper finds those and
# the PENDING ones whose queue message was lost.
UNSETTLED = (DeliveryState.PENDING, DeliveryState.SENDING)

REPORT_RECEIVED = "report-received"
# A non-urgent report that came in an import batch: it enters its agencies' mandates as
# any report does, but its recipients hear of it once, in the batch's digest
# (services/imports.py). An urgent one never waits for a digest (Alert.on_arrival).
REPORT_IMPORTED = "report-imported"
MATCH_CONFIRMED = "match-confirmed-"
BREAK_GLASS = "break-glass-"
DATA_REQUEST = "data-request-"
# A coordinator's referral without the family's consent (for the auditors), and a case's
# follow-up visit gone overdue (for its desk): domain/aftercare.py.
CONSENT_OVERRIDE = "consent-override-"
FOLLOW_UP_OVERDUE = "follow-up-overdue-"
# A step of a child's return pathway, for the desk that owns the next one.
RETURN_STEP = "return-step-"
# A new report that may be of a child already on the way home or home: for the desk of
# the case on the return pathway (its purpose names the new report).
REPORT_ON_RETURN = "report-on-return-"
# A new referral, for the service provider it asks (its purpose names the service, the
# referral and the provider: `referral-<service>-<id>-<provider>`).
REFERRAL_MADE = "referral-"
# Alerts that tell the auditors what a coordinator did, not a report: no mandate, no ladder.
FOR_AUDITORS = frozenset({"break_glass", "data_request", "consent_override"})
# Alerts told once, without an acknowledgement deadline of their own.
UNLADDERED = FOR_AUDITORS | {"follow_up", "return_step", "report_on_return"}
ESCALATION = "~"


def _once_per_request(kind: str, now: dt.datetime, request_id: str) -> str:
    """The purpose of an alert told once per request: its time and a mark of the request.
    The time alone made two requests about one case in the same moment (a stopped clock,
    or two coordinators) one alert, and the second was refused; the same request retried
    is still the one alert."""
    mark = hashlib.sha256(request_id.encode()).hexdigest()[:8]
    return f"{kind}{now:%Y%m%dT%H%M%S%f}.{mark}"


@dataclass(frozen=True)
class Alert:
    reference: str
    purpose: str
    category: str
    oblast: str
    urgent: bool
    last_known_country: str | None
    created_at: dt.datetime
    # What the reporter consented to: routing and the message follow it. No default: an
    # alert that forgot it must fail, not be shared with everyone.
    consent: ConsentGiven
    # An alert for the auditors: who looked, from where (and what they did)...
    note: str | None = None
    # ...and why, for a break-glass access: a BreakGlassReason (never free text).
    reason: str | None = None
    # A confirmed match is one alert for the pair: the other case as routing sees it, so
    # that the people of both cases hear of it, each desk once (domain/routing.py).
    counterpart: Alert | None = None
    # ...and the agency of the caseworker who confirmed it, who knows already.
    confirmed_by: str | None = None
    # ...that caseworker as people read it: their name and their organisation's.
    confirmed_by_person: str | None = None
    # The import batch (ImportBatch.key) a report came in, if it came in one.
    batch: str | None = None

    @property
    def alert_id(self) -> str:
        return f"{self.reference}/{self.purpose}"

    @property
    def root(self) -> str:
        """The purpose of the first alert of an escalation ladder (this one, if level 0)."""
        return self.purpose.split(ESCALATION, 1)[0]

    @property
    def level(self) -> int:
        """0 for the first alert; n for its n-th escalation."""
        _, _, level = self.purpose.partition(ESCALATION)
        return int(level or 0)

    @property
    def kind(self) -> str:
        """Which message it is: "report" (a new report), "match" (a confirmed match),
        "break_glass" (a coordinator's break-glass access, for the auditors) or
        "data_request" (a person's data exported or erased, for the auditors)."""
        if self.root.startswith(MATCH_CONFIRMED):
            return "match"
        if self.root.startswith(BREAK_GLASS):
            return "break_glass"
        if self.root.startswith(DATA_REQUEST):
            return "data_request"
        if self.root.startswith(CONSENT_OVERRIDE):
            return "consent_override"
        if self.root.startswith(FOLLOW_UP_OVERDUE):
            return "follow_up"
        if self.root.startswith(RETURN_STEP):
            return "return_step"
        if self.root.startswith(REFERRAL_MADE):
            return "referral"
        if self.root.startswith(REPORT_ON_RETURN):
            return "report_on_return"
        return "report"

    @property
    def return_stage(self) -> str | None:
        """For a step of the return pathway: the stage the child reached."""
        if self.kind != "return_step":
            return None
        return self.root.removeprefix(RETURN_STEP).rsplit("-", 1)[0]

    @property
    def referred(self) -> tuple[str, str, str] | None:
        """For a new referral: the service, the referral's id and the provider asked."""
        if self.kind != "referral":
            return None
        service, referral_id, provider = self.root.removeprefix(REFERRAL_MADE).split("-", 2)
        return service, referral_id, provider

    @property
    def other_reference(self) -> str | None:
        """For a confirmed match: the reference of the other case; for a new report of a
        child on the return pathway: the new report's."""
        if self.kind == "report_on_return":
            return self.root.removeprefix(REPORT_ON_RETURN)
        return self.root.removeprefix(MATCH_CONFIRMED) if self.kind == "match" else None

    def acknowledge_by(self, urgent_after: int, normal_after: int) -> dt.datetime:
        """When an unacknowledged alert goes one rung up: sooner for an urgent report."""
        return self.created_at + dt.timedelta(seconds=urgent_after if self.urgent else normal_after)

    def escalated(self, level: int, now: dt.datetime) -> Alert:
        """The same alert, one rung up the escalation ladder."""
        return replace(self, purpose=f"{self.root}{ESCALATION}{level}", created_at=now)

    @classmethod
    def for_new_case(cls, case: Case) -> Alert:
        return cls.on_arrival(case)

    @classmethod
    def on_arrival(cls, case: Case, *, batch: str | None = None) -> Alert:
        """The alert a new report causes, however it arrived (the form, the API, a
        partner, a bulk import, whatever channel comes next): the one rule of who rings.

        An urgent report rings at once, with its own acknowledgement links and ladder,
        even inside an import batch; only a batch's non-urgent rows may wait for the
        batch's digest.
        """
        purpose = REPORT_IMPORTED if batch and not case.urgent else REPORT_RECEIVED
        return replace(cls.about(case, purpose), batch=batch)

    @property
    def imported(self) -> bool:
        return self.purpose == REPORT_IMPORTED

    @classmethod
    def match_confirmed(
        cls,
        case: Case,
        other: Case,
        now: dt.datetime,
        *,
        confirmed_by: str | None = None,
        confirmed_by_person: str | None = None,
    ) -> Alert:
        """Tells the people of both cases that they are about the same child."""
        counterpart = replace(
            cls.about(other, f"{MATCH_CONFIRMED}{case.reference}"), created_at=now
        )
        return replace(
            cls.about(case, f"{MATCH_CONFIRMED}{other.reference}"),
            created_at=now,
            counterpart=counterpart,
            confirmed_by=confirmed_by,
            confirmed_by_person=confirmed_by_person,
        )

    def counterpart_at_level(self) -> Alert | None:
        """The other case of a confirmed match, on this alert's rung of the ladder."""
        if self.counterpart is None:
            return None
        level = f"{ESCALATION}{self.level}" if self.level else ""
        return replace(self.counterpart, purpose=f"{self.counterpart.root}{level}")

    @classmethod
    def break_glass(
        cls, case: Case, note: str, reason: str, now: dt.datetime, *, request_id: str
    ) -> Alert:
        """Tells the auditors that a coordinator opened what the policy withholds, and
        which of the reasons they chose."""
        about = cls.about(case, _once_per_request(BREAK_GLASS, now, request_id))
        return replace(about, created_at=now, note=note, reason=reason)

    @classmethod
    def data_request(cls, case: Case, note: str, now: dt.datetime, *, request_id: str) -> Alert:
        """Tells the auditors that a coordinator answered a person's data request that
        reached this case (the newest one it reached)."""
        purpose = _once_per_request(DATA_REQUEST, now, request_id)
        return replace(cls.about(case, purpose), created_at=now, note=note)

    @classmethod
    def consent_override(cls, case: Case, note: str, now: dt.datetime, *, request_id: str) -> Alert:
        """Tells the auditors that a coordinator referred a child without consent."""
        purpose = _once_per_request(CONSENT_OVERRIDE, now, request_id)
        return replace(cls.about(case, purpose), created_at=now, note=note)

    @classmethod
    def return_step(cls, case: Case, stage: str, number: int, now: dt.datetime) -> Alert:
        """Tells the desk that owns the next step of a child's return that this one (the
        pathway's `number`-th, so a retried write alerts once) was taken
        (domain/aftercare.py NEXT_STEP_OWNER): the stage, never the route."""
        return replace(cls.about(case, f"{RETURN_STEP}{stage}-{number}"), created_at=now)

    @classmethod
    def referral_made(
        cls, case: Case, service: str, referral_id: str, provider: str, now: dt.datetime
    ) -> Alert:
        """Tells a service provider that a child was referred to it: the service and the
        reference, no more (its people read the rest in their inbox, as released)."""
        purpose = f"{REFERRAL_MADE}{service}-{referral_id}-{provider}"
        return replace(cls.about(case, purpose), created_at=now)

    @classmethod
    def report_on_return(
        cls, summary: Any, country: str | None, new_reference: str, now: dt.datetime
    ) -> Alert:
        """Tells the desk of a case on the return pathway that a new report may be of the
        same child (matching found the pair): from the case's summary, as
        follow_up_overdue is."""
        return replace(
            cls.follow_up_overdue(summary, country, now.date(), now),
            purpose=f"{REPORT_ON_RETURN}{new_reference}",
        )

    @classmethod
    def follow_up_overdue(
        cls, summary: Any, country: str | None, due: dt.date, now: dt.datetime
    ) -> Alert:
        """Tells the case's desk that a follow-up is late (once per due date). Built from
        the case's summary (casefile.CaseSummary), which its schedule reads without
        opening a sealed field."""
        return cls(
            reference=summary.reference,
            purpose=f"{FOLLOW_UP_OVERDUE}{due:%Y%m%d}",
            category=summary.category,
            oblast=summary.oblast,
            urgent=summary.urgent,
            last_known_country=country,
            created_at=now,
            consent=summary.consent,
        )

    @classmethod
    def about(cls, case: Case, purpose: str) -> Alert:
        location = case.report.last_known_location
        return cls(
            reference=case.reference,
            purpose=purpose,
            category=case.category,
            oblast=case.oblast,
            urgent=case.urgent,
            last_known_country=location.country if location else None,
            created_at=case.received_at,
            consent=case.consent,
        )


@dataclass(frozen=True)
class Delivery:
    """One alert for one contact over one channel."""

    alert: Alert
    contact_id: str
    # The contact's agency: routing an alert to it puts the case in that agency's mandate.
    agency: str
    channel: Channel
    address: str
    language: str
    # How much of the report this contact may learn (domain/disclosure.py).
    disclosure: Disclosure
    # Whether the contact's desk owns the case (routing.Directory.owners), recorded when
    # the delivery is routed: only an owner's acknowledgement stops the alert's ladder,
    # and the public link can read this from the case without reading the directory. A
    # delivery recorded before it was kept has none: not an owner, so its link is
    # recorded as "seen" and never silences a ladder it should not.
    owner: bool = False

    @property
    def delivery_id(self) -> str:
        return f"{self.alert.purpose}/{self.contact_id}/{self.channel}"


class TransientSendError(Exception):
    """The channel failed in a way another try may fix (throttling, an outage)."""


class PermanentSendError(Exception):
    """The channel refused the message; trying again would fail the same way."""


class Undeliverable(StrEnum):
    """Why a delivery was not made, as a coordinator acts on it (the console says it in
    words; the staff API gives this beside the channel's own reason)."""

    REFUSED = "refused"  # the channel refused the address (suppressed, rejected)
    BOUNCED = "bounced"  # the mail came back
    COMPLAINED = "complained"  # the recipient marked it as spam
    OPTED_OUT = "opted_out"  # the phone replied STOP
    GAVE_UP = "gave_up"  # the channel kept failing until the last attempt
    UNREACHABLE = "unreachable"  # the directory has no way to the contact any more
    OTHER = "other"


# The start of each reason the senders record (services/delivery.py, adapters/channels.py).
_UNDELIVERABLE = (
    ("gave up", Undeliverable.GAVE_UP),
    ("contact no longer reachable", Undeliverable.UNREACHABLE),
    ("opted out", Undeliverable.OPTED_OUT),
    ("bounced", Undeliverable.BOUNCED),
    ("complained", Undeliverable.COMPLAINED),
    ("rejected", Undeliverable.REFUSED),
    ("MessageRejected", Undeliverable.REFUSED),
)


def why_undelivered(last_error: str | None) -> Undeliverable:
    for start, reason in _UNDELIVERABLE:
        if (last_error or "").startswith(start):
            return reason
    return Undeliverable.OTHER


@dataclass(frozen=True)
class StoredDelivery:
    """A delivery as it was recorded, with where it stands."""

    delivery: Delivery
    state: DeliveryState
    attempts: int = 0
    updated_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    acknowledged_at: dt.datetime | None = None
    last_error: str | None = None
    provider_message_id: str | None = None

    @property
    def reference(self) -> str:
        return self.delivery.alert.reference

    @property
    def delivery_id(self) -> str:
        return self.delivery.delivery_id

    @property
    def undeliverable(self) -> Undeliverable:
        return why_undelivered(self.last_error)


@dataclass(frozen=True)
class WaitingAlert:
    """An alert nobody acknowledged yet: at which rung of its ladder, and until when."""

    alert: Alert
    level: int
    due: dt.datetime
