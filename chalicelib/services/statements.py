"""Taking a witness statement on a case, listing them, and reading one's words.

A statement is kept in one unit of work with its evidence item, its first custody
entries (received, hashed) and the audit entry of its taking: it exists exactly when
its custody says it was received. It is never changed (there is no route that would):
a correction is a new statement that names the one it adds to.

That a case has statements (who gave each, when, in which language, how it was taken)
is shown to whoever may work the case; their words only to those the disclosure
policy lets read evidence (`may_read_statement`), and each reading is a "viewed"
entry in the statement's chain, written with its audit entry, as opening a file is.

A witness who withdraws the consent to a statement's use by prosecutors asks a staff
member, who records it (`withdraw_consent`): the withdrawal, a "withdrawn" entry in the
statement's chain, the statement taken out of every package not yet handed over and
the audit entry, in one unit of work, as a reporter's withdrawal is (services/evidence.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from chalicelib.domain.disclosure import Disclosure, may_read_statement
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.evidence import CustodyAction, EvidenceItem, PackageState, Step, extend
from chalicelib.domain.statements import (
    CONTENT_TYPE,
    FIRST_SLOT,
    WITHDRAWN_WHY,
    ConsentWithdrawal,
    Statement,
    StatementLanguage,
    StatementRefused,
    TakenHow,
    TakerRole,
    WitnessRelation,
    intake_steps,
    is_statement_slot,
    seal,
    slot_of,
    withdraw,
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
    # The witness withdrew the consent to its use by prosecutors (None: they did not).
    withdrawal: ConsentWithdrawal | None = None
    # Withdrawn, yet handed over before in a package: these recipients must be told.
    handed_over_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatementWithdrawn:
    """A witness's withdrawal, recorded: the packages not yet handed over it was taken
    out of, and the recipients who already hold it (they must be told: Homeward cannot
    take back what was handed over)."""

    withdrawal: ConsentWithdrawal
    taken_out_of: tuple[str, ...]
    handed_over_to: tuple[str, ...]


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
        # From the items: a statement whose words were erased keeps its number.
        slots = [i.slot for i in stores.evidence.items_of(reference) if is_statement_slot(i.slot)]
        number = max((slot - FIRST_SLOT for slot in slots), default=0) + 1
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


def listing(
    caller: Caller, reference: str, *, stores: Stores, now: dt.datetime
) -> tuple[list[ShownStatement], list[int]]:
    """The case's statements, oldest first, without their words (who gave each, when, in
    which language and how it was taken; reading the words is `read`), and the numbers of
    those whose words were erased at its retention (their hashes and chains stay)."""
    _readable_case(caller, reference, "list-statements", stores, now)
    withdrawn = stores.evidence.statement_withdrawals(reference)
    given = (
        evidence.holding(stores, reference, set(withdrawn), PackageState.HANDED_OVER)
        if withdrawn
        else []
    )

    def holders(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.recipient for p in given if name in p.items[reference]))

    kept = stores.evidence.statements_of(reference)
    shown = [
        ShownStatement(s, False, withdrawn.get(s.statement_id), holders(s.statement_id))
        for s in kept
    ]
    names = {s.statement_id for s in kept}
    erased = [
        i.slot - FIRST_SLOT
        for i in stores.evidence.items_of(reference)
        if is_statement_slot(i.slot) and i.item not in names
    ]
    return shown, erased


def read(
    caller: Caller, reference: str, statement_id: str, *, stores: Stores, now: dt.datetime
) -> ShownStatement:
    """One statement with its words, for a reader the disclosure policy allows; the
    reading is a "viewed" entry in its chain, written with the audit entry."""
    _readable_case(caller, reference, "read-statement", stores, now)
    if not may_read_statement(caller.staff):
        refuse(caller, reference, "read-statement", stores, NotPermitted())
    found, item = _kept(reference, statement_id, stores)
    entry = caller.entry(reference, "read-statement", detail=statement_id, at=now)
    step = Step(CustodyAction.VIEWED, caller.staff.subject, "read in the console", "its words")
    evidence.record(stores, [item], step, now, also=lambda uow: stores.audit.add(uow, entry))
    withdrawn = stores.evidence.statement_withdrawals(reference).get(statement_id)
    if withdrawn is not None:  # why it was recorded: words, shown with the statement's
        withdrawn = replace(
            withdrawn, why=stores.evidence.withdrawal_reason(reference, statement_id)
        )
    return ShownStatement(found, True, withdrawn)


def _kept(reference: str, statement_id: str, stores: Stores) -> tuple[Statement, EvidenceItem]:
    found = next(
        (s for s in stores.evidence.statements_of(reference) if s.statement_id == statement_id),
        None,
    )
    item = next((i for i in stores.evidence.items_of(reference) if i.item == statement_id), None)
    if found is None or item is None:
        raise CaseNotFound()
    return found, item


WITHDRAW = "withdraw-statement-consent"


def withdraw_consent(
    caller: Caller,
    reference: str,
    statement_id: str,
    why: str,
    *,
    stores: Stores,
    now: dt.datetime,
) -> StatementWithdrawn:
    """Record that the witness withdrew the consent to the statement's use by prosecutors,
    as the staff member who took their call or visit says (`why`, required); whoever may
    take a statement on the case may record it. Refused with words (NothingToWithdraw)
    when it was withdrawn before or never given; nothing is then written."""
    changeable_case(caller, reference, WITHDRAW, stores, now)
    names = {statement_id}
    for _ in range(_ATTEMPTS):
        statement, item = _kept(reference, statement_id, stores)
        before = stores.evidence.statement_withdrawals(reference).get(statement_id)
        withdrawal = withdraw(statement, before, taken_by=caller.staff.subject, why=why, now=now)
        built = evidence.holding(stores, reference, names, PackageState.BUILT)
        given = evidence.holding(stores, reference, names, PackageState.HANDED_OVER)
        detail = "; ".join(
            [f"taken out of {len(built)} package(s) not handed over"] * bool(built)
            + [f"already handed over in {len(given)} package(s)"] * bool(given)
        )
        step = Step(CustodyAction.WITHDRAWN, caller.staff.subject, WITHDRAWN_WHY, detail)
        entry = caller.entry(reference, WITHDRAW, detail=statement_id, at=now)

        def also(uow, built=built, withdrawal=withdrawal, statement=statement, entry=entry):
            stores.evidence.withdraw_statement(uow, statement, withdrawal)
            evidence.take_out(uow, stores, built, reference, names)
            stores.audit.add(uow, entry)

        try:
            evidence.record(stores, [item], step, now, also)
        except Refused as refused:
            if refused.names & {"statement-withdrawal", "package"}:
                continue  # withdrawn, or a package built or handed over, meanwhile: look again
            raise
        return StatementWithdrawn(
            withdrawal,
            tuple(p.package_id for p in built),
            tuple(dict.fromkeys(p.recipient for p in given)),
        )
    raise Conflict()
