"""What erasing means: which parts of a stored case go when a reporter withdraws, when a
person asks to be forgotten, and when a case's retention runs out.

Three erasures, from the least to the most:

- **the reporter's contact details** (a data subject request): their sealed group (name,
  e-mail, phone), the open report's copies of them, and their entries in the reporters'
  blind index. The child's case is untouched.
- **withdrawal** by the reporter: the above, and the consent becomes no sharing, no
  tracing, no contact: the case leaves matching (its blocking keys and candidate pairs
  go) and the mandate of every agency but the intake desk. The case stays, for the child.
- **anonymisation** (retention): the above, and the child's identity: names become
  ERASED, the date of birth its year, places their country, the child's sealed group,
  the notes, the files with all their versions, the return record and its referrals, and
  the child's entries on mediation lists. What is left (category, oblast, status,
  dates, the audit trail) keeps the statistics and the coalition's record true.

Nothing here opens a sealed field: erasure needs no key. A sealed group is erased by
removing its attribute (adapters/sealing.py seals each group apart).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, replace

from chalicelib.domain.attachments import Attachment
from chalicelib.domain.casefile import Counted
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.report import CHILD_GROUP, REPORTER_GROUP, Report
from chalicelib.domain.workflow import Status

# What an erased name reads as: still a name (lists and alerts keep working), and plainly
# not anybody's.
ERASED = "[erased]"


# -- the reporters' blind index -----------------------------------------------------------


class NotAnAddress(ValueError):
    """Neither an e-mail address nor a phone number in international form."""


def normalised_identifier(identifier: str) -> str:
    """An e-mail address or phone number as the blind index keys it: addresses in lower
    case, phone numbers in E.164."""
    text = unicodedata.normalize("NFC", identifier.strip())
    if "@" in text:
        local, _, domain = text.rpartition("@")
        if not local or "." not in domain:
            raise NotAnAddress("not an e-mail address")
        return f"email:{text.lower()}"
    import phonenumbers  # imported on use, as the report's own check does

    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise NotAnAddress("not a phone number in international form") from None
    return "phone:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def reporter_key(signing_key: bytes, identifier: str) -> str:
    """The blind index's key of one e-mail address or phone number: a keyed hash, so the
    table never holds the address itself and a copy of it cannot be searched without the
    deployment's signing key."""
    message = f"reporter:{normalised_identifier(identifier)}".encode()
    return hmac.new(signing_key, message, hashlib.sha256).hexdigest()[:40]


def reporter_keys(signing_key: bytes, report: Report) -> tuple[str, ...]:
    """The blind index's keys of a report's reporter (none for an anonymous witness)."""
    found = [v for v in (report.reporter.email, report.reporter.phone) if v]
    return tuple(dict.fromkeys(reporter_key(signing_key, v) for v in found))


# -- what is stored of a case, and what erasing it changes --------------------------------


@dataclass(frozen=True)
class Traces:
    """Everything stored of one case that an erasure has to reach, read without opening
    anything sealed."""

    reference: str
    received_at: dt.datetime
    status: Status
    version: int
    # The open part of the report: the sealed fields read as absent.
    report: Report
    # When the case last changed (casework: a status, an assignment, a link).
    changed_at: dt.datetime
    agencies: frozenset[str] = frozenset()
    # The sealed groups the case item holds (report.SEALED_GROUPS).
    sealed: frozenset[str] = frozenset()
    # Derived items, as the case item recorded them when it wrote them.
    blocking_keys: tuple[str, ...] = ()
    reporter_keys: tuple[str, ...] = ()
    # Staff search's keys (written at intake and by corrections).
    search_keys: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    # Ids of the case's notes; the other case of each candidate pair.
    notes: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    # Ids of the notes that name or reach the reporter (said when each was written:
    # mentions_reporter), which go with the reporter's contact details.
    reporter_notes: tuple[str, ...] = ()
    # Ids of the case's break-glass accesses.
    grants: tuple[str, ...] = ()
    # Ids of the case's events that hold what was reported (a correction's values
    # before and after, and its reason).
    events: tuple[str, ...] = ()
    withdrawn_at: dt.datetime | None = None
    anonymised_at: dt.datetime | None = None

    @property
    def consent(self) -> ConsentGiven:
        if self.withdrawn_at is not None:
            return ConsentGiven.none_left()
        given = self.report.consent
        return ConsentGiven(
            tracing=given.tracing,
            share_with_coalition=given.share_with_coalition,
            share_with_authorities=given.share_with_authorities,
            may_contact=self.report.reporter.may_contact,
        )

    @property
    def counted(self) -> Counted:
        return Counted(
            self.status,
            self.report.residence.oblast,
            self.report.event.category,
            self.report.urgent,
        )


@dataclass(frozen=True)
class Erasure:
    """What one erasure changes: the case item as it is to be, and the derived items to
    delete. Built from the case's Traces by the functions below, applied by the stores."""

    # The open part of the report as it is to be stored.
    report: Report
    # What the case item's consent attribute is to say (the staff lists read it).
    consent: ConsentGiven
    # Sealed groups removed.
    groups: frozenset[str] = frozenset()
    # The agencies that keep the case in their mandate; None: unchanged.
    agencies: frozenset[str] | None = None
    # Derived items deleted (and the case item's record of them dropped).
    blocking_keys: tuple[str, ...] = ()
    reporter_keys: tuple[str, ...] = ()
    search_keys: tuple[str, ...] = ()
    pairs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    grants: tuple[str, ...] = ()
    # The agencies whose mandate items go.
    revoked: tuple[str, ...] = ()
    # Every version of every file under the case's prefix, and its record on the case.
    files: bool = False
    # Every staff export (`exports/`): a spreadsheet of a day ago may list the child.
    exports: bool = False
    # The case's return record (its steps' and follow-ups' notes name the child), its
    # referrals in the providers' inboxes, its closure waiting, its entries on mediation
    # lists (the lists stay, for the children still on them).
    aftercare: bool = False
    withdrawn_at: dt.datetime | None = None
    anonymised_at: dt.datetime | None = None


def without_reporter(report: Report) -> Report:
    """The report with nothing left that reaches its reporter."""
    reporter = report.reporter.model_copy(
        update={"name": None, "email": None, "phone": None, "may_contact": False}
    )
    return report.model_copy(update={"reporter": reporter})


def withdrawn(report: Report) -> Report:
    """The report after its reporter withdrew: no contact details, and no consent left."""
    consent = report.consent.model_copy(
        update={"tracing": False, "share_with_coalition": False, "share_with_authorities": False}
    )
    return without_reporter(report).model_copy(update={"consent": consent})


def anonymised(report: Report) -> Report:
    """The report with nobody left in it: the child's names, birth date, home and the
    places of the event go; what was reported (category, oblast, country, urgency, year of
    birth, the event's date) stays for the statistics."""
    child = report.child
    year = child.date_of_birth.year if child.date_of_birth else child.birth_year
    child = child.model_copy(
        update={
            "family_name": ERASED,
            "given_name": ERASED,
            "patronymic": None,
            "other_names": [],
            "date_of_birth": None,
            "birth_year": year,
            "distinguishing_marks": None,
            "medical_needs": None,
        }
    )
    residence = report.residence.model_copy(update={"settlement": None})
    event = report.event.model_copy(update={"place": None, "circumstances": None})
    location = report.last_known_location
    if location is not None:
        location = location.model_copy(
            update={"region": None, "settlement": None, "institution": None}
        )
    # Nobody is left to trace: the report is not matched any more (its keys are gone).
    consent = report.consent.model_copy(update={"tracing": False})
    return without_reporter(report).model_copy(
        update={
            "child": child,
            "residence": residence,
            "event": event,
            "last_known_location": location,
            "consent": consent,
        }
    )


def mentions_reporter(text: str, report: Report) -> bool:
    """Whether a free text of a case may name its reporter or reach them: their e-mail
    address, their phone number (spaced or written nationally), or a word of their name.

    Asked when the text is written, by whoever may read both; the answer is kept beside
    the sealed text, so that erasing the reporter deletes the text without opening it.
    Erring towards yes costs a note; towards no, a reporter's address kept."""
    reporter = report.reporter
    folded = text.casefold()
    if reporter.email and reporter.email.casefold() in folded:
        return True
    if reporter.phone:
        # The subscriber's last nine digits, however the text spaces or prefixes them.
        wanted = re.sub(r"[^0-9]", "", reporter.phone)[-9:]
        runs = re.findall(r"[0-9][0-9 ().-]{5,}[0-9]", text)
        if any(wanted in re.sub(r"[^0-9]", "", run) for run in runs):
            return True
    words = set(re.findall(r"\w{3,}", folded))
    return bool(reporter.name) and any(
        w in words for w in re.findall(r"\w{3,}", (reporter.name or "").casefold())
    )


def erase_reporter(traces: Traces) -> Erasure:
    """A person's request to be forgotten, for one case they reported: their contact
    details, and the notes that name them."""
    return Erasure(
        report=without_reporter(traces.report),
        consent=replace(traces.consent, may_contact=False),
        groups=frozenset({REPORTER_GROUP}),
        reporter_keys=traces.reporter_keys,
        notes=traces.reporter_notes,
    )


def withdraw(traces: Traces, *, intake_desk: frozenset[str], now: dt.datetime) -> Erasure:
    """The reporter withdrew: only the intake desk keeps the case, nothing is shared or
    matched, nobody contacts the reporter, whose contact details go."""
    kept = traces.agencies & intake_desk
    return Erasure(
        report=withdrawn(traces.report),
        consent=ConsentGiven.none_left(),
        groups=frozenset({REPORTER_GROUP}),
        agencies=kept,
        blocking_keys=traces.blocking_keys,
        reporter_keys=traces.reporter_keys,
        pairs=traces.pairs,
        revoked=tuple(sorted(traces.agencies - kept)),
        notes=traces.reporter_notes,
        withdrawn_at=traces.withdrawn_at or now,
    )


def anonymise(traces: Traces, *, now: dt.datetime) -> Erasure:
    """Retention ran out: nobody is left in the case, and nothing derived from them."""
    return Erasure(
        report=anonymised(traces.report),
        consent=replace(traces.consent, tracing=False, may_contact=False),
        groups=frozenset({REPORTER_GROUP, CHILD_GROUP}),
        blocking_keys=traces.blocking_keys,
        reporter_keys=traces.reporter_keys,
        search_keys=traces.search_keys,
        pairs=traces.pairs,
        notes=traces.notes,
        events=traces.events,
        grants=traces.grants,
        files=True,
        exports=True,
        aftercare=True,
        withdrawn_at=traces.withdrawn_at,
        anonymised_at=now,
    )
