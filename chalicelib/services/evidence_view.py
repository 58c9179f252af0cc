"""What a case's page shows of its evidence: each original's hash, whether its chain of
custody holds, the last daily time stamp over it, and the chain itself; or why nothing.

Who may see it is the disclosure policy's (`may_see_evidence`): a coordinator with the
evidence role, on a case whose reporter agreed and did not withdraw. Everyone else learns
only why nothing is shown, and nothing of any item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain.disclosure import holds_evidence_role, may_see_evidence
from chalicelib.domain.evidence import ChainProblem, CustodyEntry, EvidenceItem, chain_problems
from chalicelib.domain.statements import is_statement_slot
from chalicelib.services import evidence
from chalicelib.services.access import Caller, visible_case
from chalicelib.services.ports import Stores


class Standing(StrEnum):
    SHOWN = "shown"
    NOT_YOUR_ROLE = "not_your_role"  # not a coordinator with the evidence role
    NO_CONSENT = "no_consent"  # the reporter never agreed to its use as evidence
    WITHDRAWN = "withdrawn"  # agreed, then withdrew (`withdrawn_at`)
    NO_FILES = "no_files"  # agreed, but sent no file


@dataclass(frozen=True)
class ShownItem:
    item: EvidenceItem
    chain: list[CustodyEntry]
    # What does not hold in the chain (domain/evidence.chain_problems); empty: it holds.
    problems: list[ChainProblem]
    # The last daily anchor over this chain: its day (ISO) and the entry it fixed.
    stamped_day: str | None = None
    stamped_seq: int | None = None


@dataclass(frozen=True)
class CaseEvidence:
    standing: Standing
    given_at: dt.datetime | None = None
    withdrawn_at: dt.datetime | None = None
    items: tuple[ShownItem, ...] = ()
    # Packages' recipients by package id: the custody's "exported" and "handed over".
    recipients: dict[str, str] = field(default_factory=dict)


def case_evidence(caller: Caller, reference: str, *, stores: Stores) -> CaseEvidence:
    """The case's evidence as this caller may see it (nothing read without the role)."""
    if not holds_evidence_role(caller.staff):
        return CaseEvidence(Standing.NOT_YOUR_ROLE)
    case = visible_case(caller, reference, "read-evidence", stores)
    withdrawn = stores.evidence.withdrawn_at(reference)
    if withdrawn is not None:
        return CaseEvidence(Standing.WITHDRAWN, withdrawn_at=withdrawn)
    consent = evidence.consent_of(reference, stores)
    if consent is None or not may_see_evidence(caller.staff, consent):
        return CaseEvidence(Standing.NO_CONSENT)
    # The reporter's originals; witness statements have their own section (statements.py).
    kept, stamps = stores.evidence.items_and_stamps(reference)
    items = [i for i in kept if not is_statement_slot(i.slot)]
    given = case.case.received_at
    if not items:
        return CaseEvidence(Standing.NO_FILES, given_at=given)
    # Recorded before anything is returned, as a case's read is (services/casework.py).
    stores.audit.record([caller.entry(reference, "read-evidence")])
    # An item's last stamp fixed the entry its chain then ended with; every anchor since
    # covered that entry too (a later head would have had a stamp of its own), so it was
    # last time-stamped on the last anchor's day.
    last_day = stores.evidence.last_anchor_day()
    stamped = {s.item: s.seq for s in stamps}  # oldest first: the last wins
    shown = []
    for item in items:
        chain = stores.evidence.chain(item)
        seq = stamped.get(item.item)
        shown.append(
            ShownItem(
                item,
                chain,
                chain_problems(item.item, chain),
                last_day if seq is not None else None,
                seq,
            )
        )
    # Every package's: one the case left (a withdrawal) still names a step of its custody.
    recipients = {p.package_id: p.recipient for p in stores.evidence.packages()}
    return CaseEvidence(Standing.SHOWN, given, None, tuple(shown), recipients)
