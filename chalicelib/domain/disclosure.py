"""The one disclosure policy: what a reporter consented to is what happens to the report.

A reporter says whether the child may be traced (`tracing`), whether the report may be
shared with the coalition's member organisations (`share_with_coalition`), whether with
the authorities (`share_with_authorities`), and whether they may be contacted
(`reporter.may_contact`). Everything that takes a report anywhere asks here: routing and
the mandate, alert content, the staff API and console, matching, statistics, exports.

Who is who, in the coalition's words (each contact in the directory says which it is):

- the **intake desk**: the national information bureau of the report's country, the
  coalition's front door. It receives every report, whatever the consent: the reporter
  gave the report to it, and somebody must work it;
- a **coalition member**: a member state's ministry or a coalition body (e.g. a foreign
  ministry's liaison);
- a **national authority**: a state body that is not the police (e.g. an ombudsman);
- **law enforcement**: police, prosecutors;
- an **NGO** that works for the coalition.

| consent | intake desk | coalition member, NGO | authority, law enforcement |
| --- | --- | --- | --- |
| shared with coalition and authorities | details | details | details |
| not with the authorities | details | details | nothing |
| not with the coalition | details | that it exists | that it exists, or nothing (*) |
| withdrawn by the reporter | details | nothing | nothing |

(*) nothing when the authorities were refused too.

A reporter may withdraw their consent later (the status page): then nothing more is
shared with anyone but the intake desk, nobody else keeps the case in their mandate, the
reporter is no longer contacted (their contact details are erased), and the report is not
matched; the case itself stays, for the child (services/erasure.py).

"Details" means the child and the event; the reporter's name, e-mail and phone are shown
only where the reporter agreed to be contacted, and only to those who work the case.
"That a report exists" means the reference, category, oblast and urgency, never whom it
is about, and no access to the case. Without `tracing`, the report is never matched with
others, in either direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Literal

from chalicelib.domain.staff import StaffMember


class OrganisationKind(StrEnum):
    """What an organisation in the directory is, for the disclosure policy."""

    COALITION_MEMBER = "coalition_member"
    NATIONAL_AUTHORITY = "national_authority"
    LAW_ENFORCEMENT = "law_enforcement"
    NGO = "ngo"
    # A clinic, psychologist or legal aid: learns nothing of reports, only what a referral
    # to it releases (RELEASED below).
    SERVICE_PROVIDER = "service_provider"


AUTHORITIES = frozenset({OrganisationKind.NATIONAL_AUTHORITY, OrganisationKind.LAW_ENFORCEMENT})


class Disclosure(IntEnum):
    """How much of a report a recipient may learn; ordered, so the least can be taken."""

    NOTHING = 0  # not alerted, cannot open the case
    EXISTENCE = 1  # that a report exists: reference, category, oblast, urgency
    DETAILS = 2  # the report, and the case in its mandate


class BreakGlassReason(StrEnum):
    """Why a coordinator opens what the policy withholds (break-glass): a choice the
    auditors weigh without reading free text. The coordinator's own words, which often
    name the child, are sealed on the case and go with it; the auditors never get them."""

    CHILD_AT_RISK = "child_at_risk"  # the child's life or health is in danger now
    CHILD_LOCATED = "child_located"  # the child was found: who they are must be verified
    DATA_REQUEST = "data_request"  # the reporter asked for, or about, their own data
    LEGAL_ORDER = "legal_order"  # a court's or a prosecutor's order
    OTHER = "other"


# What an answer names as kept from its reader (never the values themselves).
Withheld = Literal["report", "reporter.contact"]
# How much an alert discloses, as the routing preview names it (Disclosure's names).
Disclosed = Literal["existence", "details"]


@dataclass(frozen=True)
class ConsentGiven:
    """The four answers of a reporter, as every part of Homeward reads them."""

    tracing: bool
    share_with_coalition: bool
    share_with_authorities: bool
    may_contact: bool
    # The reporter took their consent back: the four answers above are then all False.
    withdrawn: bool = False
    # "May be used as evidence by prosecutors": asked apart, never implied by the others
    # (so `everything()` leaves it out), and withdrawable on its own (domain/evidence.py).
    evidence: bool = False

    @classmethod
    def everything(cls) -> ConsentGiven:
        return cls(True, True, True, True)

    @classmethod
    def none_left(cls) -> ConsentGiven:
        """What is left after a reporter withdrew: no sharing, no tracing, no contact."""
        return cls(False, False, False, False, withdrawn=True)


@dataclass(frozen=True)
class Recipient:
    """Who would receive or read a report: an organisation's kind, and whether it is the
    intake desk."""

    kind: OrganisationKind
    intake_desk: bool = False


def disclosure(recipient: Recipient, consent: ConsentGiven) -> Disclosure:
    """How much of a report with this consent this recipient may learn."""
    if recipient.intake_desk:
        return Disclosure.DETAILS
    if consent.withdrawn or recipient.kind == OrganisationKind.SERVICE_PROVIDER:
        return Disclosure.NOTHING
    authority = recipient.kind in AUTHORITIES
    if authority and not consent.share_with_authorities:
        return Disclosure.NOTHING
    if not consent.share_with_coalition:
        return Disclosure.EXISTENCE
    return Disclosure.DETAILS


def shows_reporter_contact(recipient: Recipient, consent: ConsentGiven) -> bool:
    """Whether the reporter's name, e-mail and phone may be shown to this recipient."""
    return consent.may_contact and disclosure(recipient, consent) == Disclosure.DETAILS


def may_use_as_evidence(consent: ConsentGiven) -> bool:
    """Whether a report's files may go into a prosecutor's package: only on the evidence
    consent itself, never on the sharing consents, and never after any withdrawal."""
    return consent.evidence and not consent.withdrawn


def holds_evidence_role(reader: StaffMember) -> bool:
    """A coordinator who also holds the evidence role: who handles evidence at all."""
    return reader.is_coordinator and reader.evidence


def may_see_evidence(reader: StaffMember, consent: ConsentGiven) -> bool:
    """Who may see a case's evidence (its originals, their custody, packages) at all: a
    coordinator who also holds the evidence role, and only where the reporter agreed."""
    return holds_evidence_role(reader) and may_use_as_evidence(consent)


def may_read_statement(reader: StaffMember) -> bool:
    """Who may read a witness statement's words (the witness, their account): as for
    originals, a coordinator who holds the evidence role. That a statement was given (by
    whom to the child, when, how) is part of the case for whoever works it."""
    return reader.is_coordinator and reader.evidence


def may_package_statement(witness_consent: bool, *, withdrawn: bool) -> bool:
    """A witness statement goes into a prosecutor's package only on its witness's own
    consent, given when it was taken (the reporter's consent covers the reporter's files),
    and never after the witness withdrew it (domain/statements.py ConsentWithdrawal)."""
    return witness_consent and not withdrawn


def may_be_matched(consent: ConsentGiven) -> bool:
    """Only a report whose reporter allowed tracing is compared with others."""
    return consent.tracing


@dataclass(frozen=True)
class View:
    """What one reader may see of one report."""

    level: Disclosure
    reporter_contact: bool

    @property
    def withheld(self) -> tuple[Withheld, ...]:
        """What the reader is not shown, named for the answer (never the values)."""
        if self.level < Disclosure.DETAILS:
            return ("report",)
        return () if self.reporter_contact else ("reporter.contact",)

    @classmethod
    def everything(cls) -> View:
        """Break-glass: a coordinator's stated, audited need to see all of it."""
        return cls(Disclosure.DETAILS, reporter_contact=True)


def view_for(recipient: Recipient, consent: ConsentGiven) -> View:
    return View(disclosure(recipient, consent), shows_reporter_contact(recipient, consent))


# -- what leaves a case beyond the coalition: referrals and mediation lists -------------


class Release(StrEnum):
    """A release of part of a case to someone outside the coalition's staff."""

    # To a service provider, on a referral: enough to see the child, nothing of the
    # report, the route home, the mediator or the reporter.
    REFERRAL = "referral"
    # To a mediator (a state that negotiates returns), on a mediation list: enough to
    # find the child, nothing of the family or the reporter.
    MEDIATION = "mediation"


RELEASED: dict[Release, tuple[str, ...]] = {
    Release.REFERRAL: (
        "child.family_name",
        "child.given_name",
        "child.sex",
        "child.date_of_birth",
        "child.birth_year",
        "residence.oblast",
    ),
    Release.MEDIATION: (
        "child.family_name",
        "child.given_name",
        "child.patronymic",
        "child.sex",
        "child.date_of_birth",
        "child.birth_year",
        "last_known_location.country",
        "last_known_location.region",
        "last_known_location.settlement",
        "last_known_location.institution",
    ),
}


def may_release(release: Release, consent: ConsentGiven) -> bool:
    """Whether the reporter's consent lets this release happen at all. A mediator is a
    state: the child must be traceable and shared with authorities. A referral also needs
    the family's consent to services (domain/aftercare.py), or a coordinator's override."""
    if consent.withdrawn:
        return False
    if release == Release.MEDIATION:
        return consent.tracing and consent.share_with_authorities
    return True


def released(release: Release, report: dict) -> dict:
    """Only the released fields of a report (as `Report.model_dump(mode="json")` gives
    it), nested as they were; a field the report lacks is left out."""
    out: dict = {}
    for path in RELEASED[release]:
        section, name = path.split(".")
        value = (report.get(section) or {}).get(name)
        if value is not None:
            out.setdefault(section, {})[name] = value
    return out
