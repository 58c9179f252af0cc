"""Taking a witness statement on a case, listing them, and reading one's words.

A statement is kept in one unit of work with its evidence item, its first custody
entries (received, hashed) and the audit entry of its taking: it exists exactly when
its custody says it was received. It is never changed (there is no route that would):
a correction is a new statement that names the one it adds to.

That a case has statements (who gave each, when, in which language, how it was taken)
is shown to whoever may work the case; their words only to those the disclosure
policy lets read evidence (`may_read_statement`), and each reading is a "viewed"
entry in the statement's chain, written with its audit entry, as opening a file is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.disclosure import Disclosure, may_read_statement
from chalicelib.domain.errors import Refused
from chalicelib.domain.evidence import CustodyAction, EvidenceItem, Step, extend
from chalicelib.domain.statements import (
    CONTENT_TYPE,
    Statement,
    StatementLanguage,
    StatementRefused,
    TakenHow,
    TakerRole,
    WitnessRelation,
    intake_steps,
    seal,
    slot_of,
)
from chalicelib.services import evidence
from chalicelib.services.access import (
    Caller,
    CaseNotFound,
    NotPermitted,
    changeable_case,
    refuse,
    view_of,
    visible_case,
)
from chalicelib.services.ports import Stores

_ATTEMPTS = 5


@dataclass(frozen=True)
class NewStatement:
    """What the taker writes down (web/schemas_statements.py parses it)."""

    relation: WitnessRelation
    given_at: dt.datetime
    language: StatementLanguage
    saw: str
    heard: str
    taker_role: TakerRole
    taken_how: TakenHow
    adult_confirmed: bool
    evidence_consent: bool
    witness_name: str | None = None
    other_language: str | None = None
    adds_to: str | None = None


@dataclass(frozen=True)
class ShownStatement:
    """A statement as one reader may see it: its words only where the policy allows."""

    statement: Statement
    words_shown: bool


def take(
    caller: Caller, reference: str, new: NewStatement, *, stores: Stores, now: dt.datetime
) -> Statement:
    """Seal and keep a statement on the case the caller works (refused, with nothing
    kept, when the witness is not confirmed an adult or the account is missing)."""
    changeable_case(caller, reference, "take-statement", stores, now)
    for _ in range(_ATTEMPTS):
        kept = stores.evidence.statements_of(reference)
        if new.adds_to and new.adds_to not in {s.statement_id for s in kept}:
            raise StatementRefused("adds_to", "the statement this one adds to is not on this case")
        number = max((s.number for s in kept), default=0) + 1
        statement = seal(
            reference=reference,
            number=number,
            relation=new.relation,
            given_at=new.given_at,
            language=new.language,
            saw=new.saw,
            heard=new.heard,
            taken_by=caller.staff.subject,
            taker_name=caller.staff.name,
            taker_role=new.taker_role,
            taken_how=new.taken_how,
            adult_confirmed=new.adult_confirmed,
            evidence_consent=new.evidence_consent,
            now=now,
            witness_name=new.witness_name,
            other_language=new.other_language,
            adds_to=new.adds_to,
        )
        entries = extend(statement.statement_id, None, intake_steps(statement), now)
        item = EvidenceItem(
            item=statement.statement_id,
            reference=reference,
            slot=slot_of(number),
            key=f"statements/{statement.statement_id}.json",
            version_id=None,
            sha256=statement.sha256,
            size=len(statement.sealed()),
            content_type=CONTENT_TYPE,
            received_at=now,
            head_seq=entries[-1].seq,
            head_hash=entries[-1].hash,
            working_sha256=statement.sha256,
        )
        uow = stores.unit_of_work()
        stores.evidence.keep_statement(uow, item, entries, statement)
        stores.evidence.register(uow, reference)
        stores.audit.add(
            uow, caller.entry(reference, "take-statement", detail=statement.statement_id, at=now)
        )
        try:
            uow.commit()
        except Refused as refused:
            if "evidence" in refused.names:
                continue  # another statement took this number meanwhile: the next one
            raise
        return statement
    raise Refused(frozenset({"evidence"}))


def _readable_case(caller: Caller, reference: str, action: str, stores: Stores, now):
    case = visible_case(caller, reference, action, stores)
    if view_of(caller, case, now).level < Disclosure.DETAILS:
        refuse(caller, reference, action, stores, CaseNotFound())
    return case


def list_statements(
    caller: Caller, reference: str, *, stores: Stores, now: dt.datetime
) -> list[ShownStatement]:
    """The case's statements, oldest first, without their words: who gave each, when,
    in which language and how it was taken (reading the words is `read`)."""
    _readable_case(caller, reference, "list-statements", stores, now)
    return [ShownStatement(s, False) for s in stores.evidence.statements_of(reference)]


def read(
    caller: Caller, reference: str, statement_id: str, *, stores: Stores, now: dt.datetime
) -> ShownStatement:
    """One statement with its words, for a reader the disclosure policy allows; the
    reading is a "viewed" entry in its chain, written with the audit entry."""
    _readable_case(caller, reference, "read-statement", stores, now)
    if not may_read_statement(caller.staff):
        refuse(caller, reference, "read-statement", stores, NotPermitted())
    found = next(
        (s for s in stores.evidence.statements_of(reference) if s.statement_id == statement_id),
        None,
    )
    item = next((i for i in stores.evidence.items_of(reference) if i.item == statement_id), None)
    if found is None or item is None:
        raise CaseNotFound()
    entry = caller.entry(reference, "read-statement", detail=statement_id, at=now)
    step = Step(CustodyAction.VIEWED, caller.staff.subject, "read in the console", "its words")
    evidence.record(stores, [item], step, now, also=lambda uow: stores.audit.add(uow, entry))
    return ShownStatement(found, True)
