"""Witness statements on the fakes: kept with their custody and audit entries in one
unit of work, never written twice under one id, their words only for the evidence role
(each reading in the statement's chain), a child's refused before anything is kept."""

import datetime as dt

import pytest
from evidence_fixtures import INTAKE, KEEPER, OLENA, filed

from chalicelib.domain.errors import Refused
from chalicelib.domain.evidence import CustodyAction, chain_problems
from chalicelib.domain.statements import (
    ChildWitness,
    NothingToWithdraw,
    StatementLanguage,
    StatementRefused,
    TakenHow,
    TakerRole,
    WitnessRelation,
    sealed_problem,
)
from chalicelib.services import statements
from chalicelib.services.access import Caller, NotPermitted

NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)


def given(**changes) -> statements.NewStatement:
    fields = {
        "relation": WitnessRelation.NEIGHBOUR,
        "given_at": NOW - dt.timedelta(hours=2),
        "language": StatementLanguage.UK,
        "saw": "Бачила, як дітей садили в автобус біля школи",
        "heard": "Сусідка казала, що їх везуть до Криму",
        "taker_role": TakerRole.HOTLINE,
        "taken_how": TakenHow.BY_PHONE,
        "adult_confirmed": True,
        "evidence_consent": True,
        "witness_name": "Марія Коваль",
    }
    return statements.NewStatement(**(fields | changes))


@pytest.fixture
def case(stores, settings):
    receipt, _, _ = filed(stores, settings, evidence_consent=False)
    return receipt.reference


def caller(staff=KEEPER):
    return Caller(staff, "req-1", INTAKE)


def test_a_statement_is_kept_with_its_custody_and_audit_entries(stores, case, db):
    commits = db.commits
    statement = statements.take(caller(OLENA), case, given(), stores=stores, now=NOW)
    assert db.commits == commits + 1  # statement, item, custody, audit: one unit of work
    assert statement.statement_id == f"{case}-S1" and statement.taker_name == "Олена Коваль"
    (kept,) = stores.evidence.statements_of(case)
    assert kept == statement and sealed_problem(kept) is None
    (item,) = [i for i in stores.evidence.items_of(case) if i.item == statement.statement_id]
    chain = stores.evidence.chain(item)
    assert [e.action for e in chain] == [CustodyAction.RECEIVED, CustodyAction.HASHED]
    assert chain[1].detail == f"sha256 {statement.sha256}" and chain[0].actor == "c-1"
    assert not chain_problems(item.item, chain)
    assert [(e.action, e.detail) for e in stores.audit.trail(case)][-1] == (
        "take-statement",
        statement.statement_id,
    )
    assert case in stores.evidence.references()  # its chain is anchored daily


def test_a_statement_from_a_child_is_refused_and_nothing_is_kept(stores, case):
    with pytest.raises(ChildWitness, match="never asks a child to testify"):
        statements.take(caller(), case, given(adult_confirmed=False), stores=stores, now=NOW)
    assert stores.evidence.statements_of(case) == [] and stores.evidence.items_of(case) == []


def test_a_correction_is_a_new_statement_naming_the_one_it_adds_to(stores, case):
    first = statements.take(caller(), case, given(), stores=stores, now=NOW)
    second = statements.take(
        caller(), case, given(saw="", adds_to=first.statement_id), stores=stores, now=NOW
    )
    assert (second.number, second.adds_to) == (2, first.statement_id)
    assert stores.evidence.statements_of(case) == [first, second]  # the first unchanged
    with pytest.raises(StatementRefused) as refused:
        statements.take(caller(), case, given(adds_to=f"{case}-S9"), stores=stores, now=NOW)
    assert refused.value.field == "adds_to"


def test_a_second_write_under_the_same_id_is_refused(stores, case):
    statement = statements.take(caller(), case, given(), stores=stores, now=NOW)
    (item,) = stores.evidence.items_of(case)
    changed = statements.seal(
        **{
            **{k: getattr(statement, k) for k in ("reference", "number", "relation")},
            "given_at": statement.given_at,
            "language": statement.language,
            "saw": "another account",
            "heard": "",
            "taken_by": "c-9",
            "taker_name": None,
            "taker_role": TakerRole.STAFF,
            "taken_how": TakenHow.IN_PERSON,
            "adult_confirmed": True,
            "evidence_consent": True,
            "now": NOW,
        }
    )
    uow = stores.unit_of_work()
    stores.evidence.keep_statement(uow, item, stores.evidence.chain(item), changed)
    with pytest.raises(Refused):
        uow.commit()
    assert stores.evidence.statements_of(case) == [statement]


def test_only_the_evidence_role_reads_the_words_and_each_reading_is_in_the_chain(stores, case):
    statement = statements.take(caller(OLENA), case, given(), stores=stores, now=NOW)
    (listed,) = statements.listing(caller(OLENA), case, stores=stores, now=NOW)[0]
    assert not listed.words_shown
    with pytest.raises(NotPermitted):
        statements.read(caller(OLENA), case, statement.statement_id, stores=stores, now=NOW)
    assert "refused" in [e.action for e in stores.audit.trail(case)]
    shown = statements.read(caller(), case, statement.statement_id, stores=stores, now=NOW)
    assert shown.words_shown and shown.statement.saw.startswith("Бачила")
    (item,) = stores.evidence.items_of(case)
    viewed = stores.evidence.chain(item)[-1]
    assert (viewed.action, viewed.actor) == (CustodyAction.VIEWED, "c-2")
    read = [e for e in stores.audit.trail(case) if e.action == "read-statement"]
    assert [(e.actor, e.detail) for e in read] == [("c-2", statement.statement_id)]


# -- the witness withdraws the consent to a statement's use by prosecutors ---------------


def _package(stores, reference, recipient="ICC OTP"):
    from fakes import FakeEvidenceFiles

    from chalicelib.services import evidence_packages

    package, _ = evidence_packages.build(
        KEEPER, recipient, [reference], stores=stores, files=FakeEvidenceFiles(), now=NOW
    )
    return package


def _hand_over(stores, package):
    from fakes import FakeEvidenceFiles

    from chalicelib.adapters.signatures import package_signer
    from chalicelib.services import evidence_packages

    given, _ = evidence_packages.hand_over(
        KEEPER,
        package.package_id,
        stores=stores,
        files=FakeEvidenceFiles(),
        tsa_pem=b"",
        signer=package_signer(b"statements"),
        now=NOW,
    )
    return given


def test_a_withdrawal_is_recorded_in_the_chain_and_takes_it_out_of_a_built_package(
    stores, case, db
):
    from chalicelib.services import evidence_packages

    statement = statements.take(caller(OLENA), case, given(), stores=stores, now=NOW)
    other = statements.take(caller(OLENA), case, given(saw="Інше"), stores=stores, now=NOW)
    package = _package(stores, case)
    assert set(package.items[case]) == {statement.statement_id, other.statement_id}
    later = NOW + dt.timedelta(days=2)
    commits = db.commits
    done = statements.withdraw_consent(
        caller(OLENA),
        case,
        statement.statement_id,
        "  Мати зателефонувала, \n просить не передавати ",
        stores=stores,
        now=later,
    )
    assert db.commits == commits + 1  # withdrawal, custody, package, audit: one unit of work
    assert done.taken_out_of == (package.package_id,) and done.handed_over_to == ()
    assert (done.withdrawal.at, done.withdrawal.taken_by) == (later, "c-1")
    assert done.withdrawal.why == "Мати зателефонувала, просить не передавати"
    # The sealed record is not touched: the consent as given, the seal holding.
    (kept, _) = stores.evidence.statements_of(case)
    assert kept == statement and kept.evidence_consent and sealed_problem(kept) is None
    item = next(i for i in stores.evidence.items_of(case) if i.item == statement.statement_id)
    chain = stores.evidence.chain(item)
    assert not chain_problems(item.item, chain)
    last = chain[-1]
    assert (last.action, last.actor) == (CustodyAction.WITHDRAWN, "c-1")
    assert "taken out of 1 package" in last.detail and "Мати" not in last.why + last.detail
    assert stores.evidence.package(package.package_id).items == {case: (other.statement_id,)}
    assert [(e.action, e.detail) for e in stores.audit.trail(case)][-1] == (
        "withdraw-statement-consent",
        statement.statement_id,
    )
    (listed, _) = statements.listing(caller(OLENA), case, stores=stores, now=later)[0]
    assert listed.withdrawal.at == later and listed.withdrawal.why is None  # left sealed
    # The evidence role reads why with the statement's words.
    read = statements.read(caller(), case, statement.statement_id, stores=stores, now=later)
    assert read.withdrawal == done.withdrawal
    # A package built afterwards does not take it; the other statement still goes.
    assert _package(stores, case).items == {case: (other.statement_id,)}
    assert [i.item for i in evidence_packages.allowed_items(case, stores)] == [other.statement_id]

    # Once only: the second is refused with words, and nothing more is written.
    chain = stores.evidence.chain(item)
    with pytest.raises(NothingToWithdraw, match="withdrew this consent before") as again:
        statements.withdraw_consent(
            caller(), case, statement.statement_id, "again", stores=stores, now=later
        )
    assert again.value.withdrawn_at == later
    assert stores.evidence.chain(item) == chain


def test_a_statement_already_handed_over_says_who_holds_it(stores, case):
    statement = statements.take(caller(OLENA), case, given(), stores=stores, now=NOW)
    given_package = _hand_over(stores, _package(stores, case, "Office of the Prosecutor General"))
    done = statements.withdraw_consent(
        caller(OLENA), case, statement.statement_id, "by phone", stores=stores, now=NOW
    )
    assert done.handed_over_to == ("Office of the Prosecutor General",)
    assert done.taken_out_of == ()
    # What was handed over stays as it was given; the chain records the withdrawal.
    assert stores.evidence.package(given_package.package_id) == given_package
    item = next(i for i in stores.evidence.items_of(case) if i.item == statement.statement_id)
    last = stores.evidence.chain(item)[-1]
    assert last.action == CustodyAction.WITHDRAWN and "already handed over" in last.detail


def test_a_withdrawal_needs_a_reason_a_consent_and_a_worker(stores, case):
    from chalicelib.domain.staff import StaffMember

    agreed = statements.take(caller(OLENA), case, given(), stores=stores, now=NOW)
    never = statements.take(
        caller(OLENA), case, given(evidence_consent=False), stores=stores, now=NOW
    )
    with pytest.raises(StatementRefused) as refused:
        statements.withdraw_consent(
            caller(), case, agreed.statement_id, "  ", stores=stores, now=NOW
        )
    assert refused.value.field == "why"
    with pytest.raises(NothingToWithdraw, match="never agreed"):
        statements.withdraw_consent(
            caller(), case, never.statement_id, "by phone", stores=stores, now=NOW
        )
    auditor = StaffMember("a-1", "auditor", "UA-NIB", "Аудитор")
    with pytest.raises(NotPermitted):
        statements.withdraw_consent(
            caller(auditor), case, agreed.statement_id, "by phone", stores=stores, now=NOW
        )
    assert stores.evidence.statement_withdrawals(case) == {}


def test_retention_erases_the_words_of_statements_no_package_holds(stores, settings):
    from chalicelib.services import erasure

    receipt, files, _ = filed(stores, settings, evidence_consent=False)
    case = receipt.reference
    loose = statements.take(caller(OLENA), case, given(), stores=stores, now=NOW)
    packaged = statements.take(caller(OLENA), case, given(saw="Інше"), stores=stores, now=NOW)
    statements.withdraw_consent(
        caller(OLENA), case, loose.statement_id, "Марія зателефонувала", stores=stores, now=NOW
    )
    package = _package(stores, case)
    later = NOW + dt.timedelta(days=400)
    assert erasure.anonymise_case(
        case,
        still_due=lambda traces: True,
        stores=stores,
        files=files,
        request_id="run-1",
        now=later,
    )
    # Nothing of the witness is left of the loose one: its hash and chain are.
    assert stores.evidence.statements_of(case) == [packaged]
    shown, erased = statements.listing(caller(), case, stores=stores, now=later)
    assert [s.statement for s in shown] == [packaged] and erased == [loose.number]
    assert stores.evidence.withdrawal_reason(case, loose.statement_id) is None
    assert loose.statement_id in stores.evidence.statement_withdrawals(case)  # when, who
    item = next(i for i in stores.evidence.items_of(case) if i.item == loose.statement_id)
    assert item.sha256 == loose.sha256
    chain = stores.evidence.chain(item)
    assert not chain_problems(item.item, chain)
    assert (chain[-1].action, chain[-1].at) == (CustodyAction.ERASED, later)
    assert "erased at the case's retention" in chain[-1].why
    trail = [(e.actor, e.action, e.detail) for e in stores.audit.trail(case)]
    assert ("retention", "erase-statement", loose.statement_id) in trail
    assert (
        "retention",
        "keep-statement",
        f"{packaged.statement_id} kept: held for a prosecutor in package {package.package_id}",
    ) in trail
    # A package held one: it stays whole, its words too, and still renders.
    assert stores.evidence.package(package.package_id).items == {case: (packaged.statement_id,)}
    # Run again (a run cut short): nothing is erased twice; the kept one is named again.
    chain_before = stores.evidence.chain(item)
    assert erasure.erase_statements(case, stores=stores, request_id="run-2", now=later) == (
        [],
        [packaged.statement_id],
    )
    assert stores.evidence.chain(item) == chain_before
