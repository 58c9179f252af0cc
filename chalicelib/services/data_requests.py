"""A person's requests about their data, answered by a coordinator: what is held about
them (export), and to be forgotten (erase).

A person is found by the e-mail address or phone number they reported with (the
reporters' blind index: keyed hashes, domain/erasure.py), or by a case's reference. Every
request is recorded on each case it touches and in a trail of its own (DATA_REQUESTS),
where auditors read it; neither says the address that was asked about.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.casefile import CaseFile
from chalicelib.domain.erasure import reporter_key
from chalicelib.services import erasure
from chalicelib.services.access import Caller, require_role
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
    address nor a phone number)."""
    if person.reference:
        return [person.reference] if stores.cases.status_of(person.reference) else []
    identifier = person.email or person.phone or ""
    return stores.reporters.references(reporter_key(settings.signing_key, identifier), MAX_CASES)


def export(caller: Caller, person: Person, *, stores: Stores, settings: Settings) -> list[Held]:
    """Everything held about a person: the cases they reported, whole (sealed fields
    opened), with their notes, files' records and audit trails. Recorded on every case
    and in the requests' trail before it is answered."""
    _coordinator(caller, "data-export", stores)
    references = cases_of(person, stores=stores, settings=settings)
    found = []
    for reference in references:
        file = stores.cases.file(reference)
        if file is not None:
            found.append(Held(file, stores.audit.trail(reference)))
    detail = f"by {person.by}: {', '.join(h.file.reference for h in found) or 'nothing held'}"
    stores.audit.record(
        [caller.entry(h.file.reference, "data-export", detail=f"by {person.by}") for h in found]
        + [caller.entry(DATA_REQUESTS, "data-export", detail=detail)]
    )
    return found


def erase(caller: Caller, person: Person, *, stores: Stores, settings: Settings) -> Erased:
    """Forget a person who reported: their contact details go from every case they
    reported (the cases stay, for the children); each erasure is audited on its case."""
    _coordinator(caller, "data-erase", stores)
    erased, nothing_left = [], []
    for reference in cases_of(person, stores=stores, settings=settings):
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
    return Erased(erased, nothing_left)


def audit_trail(caller: Caller, *, stores: Stores) -> list[AuditEntry]:
    """The requests' own trail, for auditors; reading it is recorded too."""
    require_role(caller, caller.staff.reads_audit, DATA_REQUESTS, "read-audit", stores)
    trail = stores.audit.trail(DATA_REQUESTS)
    stores.audit.record([caller.entry(DATA_REQUESTS, "read-audit")])
    return trail
