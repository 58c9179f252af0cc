"""A person's requests about their data, answered by a coordinator: what is held about
them (export), and to be forgotten (erase).

A person is found by the e-mail address or phone number they reported with (the
reporters' blind index: keyed hashes, domain/erasure.py), or by a case's reference. Every
request is recorded on each case it touches and in a trail of its own (DATA_REQUESTS),
where auditors read it; neither says the address that was asked about; and the auditors
are alerted (by e-mail, as for a break-glass access) of every request that reached a case.

A request opens a case whole, so it goes through the disclosure policy like any read:
it is the intake desk's coordinators' to answer (the desk sees every report), or a
coordinator's who broke the glass on that case. A lookup by address finds only such
cases; one by reference is "not found" where the case read would be, and refused where
the case may be read but not opened whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.domain.alerts import Alert
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.casefile import CaseFile
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.erasure import reporter_key
from chalicelib.services import erasure
from chalicelib.services.access import (
    Caller,
    CaseNotFound,
    NotPermitted,
    broke_glass,
    refuse,
    require_role,
    view_of,
)
from chalicelib.services.ports import Stores

# The audit trail of data requests, kept beside the cases' (as the directory's is).
DATA_REQUESTS = "data-requests"
# More cases than one person ever reported; a bound on what one request reads.
MAX_CASES = 200


@dataclass(frozen=True)
class Person:
    """Whom a request is about: exactly one of these."""

    email: str | None = None
    phone: str | None = None
    reference: str | None = None

    @property
    def by(self) -> str:
        """How the person was found, for the audit trail (never the address itself)."""
        return "email" if self.email else "phone" if self.phone else "reference"


@dataclass(frozen=True)
class Held:
    """One case a person reported, with everything held about it."""

    file: CaseFile
    audit: list[AuditEntry]


@dataclass(frozen=True)
class Erased:
    # Cases whose reporter was erased now; cases where nothing of them was left.
    erased: list[str]
    nothing_left: list[str]


def _coordinator(caller: Caller, action: str, stores: Stores) -> None:
    require_role(caller, caller.staff.is_coordinator, DATA_REQUESTS, action, stores)


def cases_of(person: Person, *, stores: Stores, settings: Settings) -> list[str]:
    """The cases a person reported, newest first (NotAnAddress for neither an e-mail
    address nor a phone number). Not yet narrowed to what a caller may open."""
    if person.reference:
        return [person.reference] if stores.cases.status_of(person.reference) else []
    identifier = person.email or person.phone or ""
    return stores.reporters.references(reporter_key(settings.signing_key, identifier), MAX_CASES)


def may_answer(caller: Caller, file: CaseFile, now: dt.datetime | None = None) -> bool:
    """Whether the caller may answer a data request on this case: it opens the case whole,
    which is the intake desk's, or that of a coordinator who broke the glass on it."""
    return caller.recipient.intake_desk or broke_glass(caller, file, now)


def _answerable(
    caller: Caller, person: Person, action: str, *, stores: Stores, settings: Settings
) -> list[CaseFile]:
    """The cases of the person this caller may answer for, newest first. By reference, a
    case the caller may not open whole is refused (and recorded) as its read would be."""
    _coordinator(caller, action, stores)
    files = []
    for reference in cases_of(person, stores=stores, settings=settings):
        file = stores.cases.file(reference)
        if file is None:
            continue
        if may_answer(caller, file):
            files.append(file)
        elif person.reference:
            hidden = view_of(caller, file).level == Disclosure.NOTHING
            refuse(caller, reference, action, stores, CaseNotFound() if hidden else NotPermitted())
    return files


def _tell_auditors(
    caller: Caller, action: str, person: Person, references: list[str], stores: Stores
) -> None:
    """One e-mail to the auditors for a request that reached any case (on the newest)."""
    if not references:
        return
    case = stores.cases.get(references[0])
    if case is None:
        return
    who = caller.staff.name or caller.staff.subject
    note = f"{who} ({caller.staff.agency}): {action} by {person.by}, {', '.join(references)}"
    uow = stores.unit_of_work()
    stores.alerts.add(
        uow,
        Alert.data_request(case, note, dt.datetime.now(dt.UTC), request_id=caller.request_id),
        name="data-request-alert",
    )
    uow.commit()


def export(caller: Caller, person: Person, *, stores: Stores, settings: Settings) -> list[Held]:
    """Everything held about a person: the cases they reported that the caller may answer
    for, whole (sealed fields opened), with their notes, files' records and audit trails.
    Recorded on every case and in the requests' trail before it is answered; the auditors
    are alerted."""
    files = _answerable(caller, person, "data-export", stores=stores, settings=settings)
    found = [Held(file, stores.audit.trail(file.reference)) for file in files]
    references = [h.file.reference for h in found]
    detail = f"by {person.by}: {', '.join(references) or 'nothing held'}"
    stores.audit.record(
        [caller.entry(r, "data-export", detail=f"by {person.by}") for r in references]
        + [caller.entry(DATA_REQUESTS, "data-export", detail=detail)]
    )
    _tell_auditors(caller, "data-export", person, references, stores)
    return found


def erase(caller: Caller, person: Person, *, stores: Stores, settings: Settings) -> Erased:
    """Forget a person who reported: their contact details go from every case they
    reported that the caller may answer for (the cases stay, for the children); each
    erasure is audited on its case, and the auditors are alerted."""
    files = _answerable(caller, person, "data-erase", stores=stores, settings=settings)
    erased, nothing_left = [], []
    for reference in [f.reference for f in files]:
        entry = caller.entry(reference, "data-erase", detail=f"by {person.by}")
        done = erasure.erase_reporter_of(reference, lambda _, e=entry: [e], stores=stores)
        if done is None:
            continue
        if done[1] is None:
            nothing_left.append(reference)
            stores.audit.record([caller.entry(reference, "data-erase", detail="nothing left")])
        else:
            erased.append(reference)
    summary = ", ".join(erased + nothing_left) or "nothing held"
    stores.audit.record(
        [caller.entry(DATA_REQUESTS, "data-erase", detail=f"by {person.by}: {summary}")]
    )
    _tell_auditors(caller, "data-erase", person, erased + nothing_left, stores)
    return Erased(erased, nothing_left)


def audit_trail(caller: Caller, *, stores: Stores) -> list[AuditEntry]:
    """The requests' own trail, for auditors; reading it is recorded too."""
    require_role(caller, caller.staff.reads_audit, DATA_REQUESTS, "read-audit", stores)
    trail = stores.audit.trail(DATA_REQUESTS)
    stores.audit.record([caller.entry(DATA_REQUESTS, "read-audit")])
    return trail
