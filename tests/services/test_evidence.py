"""Evidence for justice, on the fakes: the evidence consent apart from every other, the
originals kept as received, and each one's chain of custody written with its action."""

import datetime as dt

import pytest
from evidence_fixtures import INTAKE, KEEPER, OLENA, SENT, body, filed
from pydantic import ValidationError

from chalicelib.domain.disclosure import (
    ConsentGiven,
    may_see_evidence,
    may_use_as_evidence,
)
from chalicelib.domain.evidence import SHOWN_SMALL, CustodyAction, chain_problems
from chalicelib.domain.imports import read_csv
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import attachment_links, evidence, reporter
from chalicelib.services.access import Caller

# -- 1. the consent ------------------------------------------------------------------------


def test_the_evidence_consent_is_its_own_answer_never_implied_by_the_others():
    everything_else = Report.model_validate(body())
    assert everything_else.consent.evidence is False
    given = ConsentGiven(True, True, True, True)
    assert not may_use_as_evidence(given) and not may_use_as_evidence(ConsentGiven.everything())
    assert may_use_as_evidence(ConsentGiven(False, False, False, False, evidence=True))
    assert not may_use_as_evidence(ConsentGiven.none_left())
    with pytest.raises(ValidationError):  # a JSON boolean, never "yes"
        Report.model_validate(body(evidence="yes"))


def test_only_a_coordinator_with_the_evidence_role_sees_evidence_and_only_with_consent():
    consented = ConsentGiven(True, True, True, True, evidence=True)
    assert may_see_evidence(KEEPER, consented)
    assert not may_see_evidence(OLENA, consented)  # a coordinator without the role
    caseworker = StaffMember("t-1", "caseworker", "UA-NIB", evidence=True)
    assert not may_see_evidence(caseworker, consented)
    assert not may_see_evidence(KEEPER, ConsentGiven.everything())


def test_an_import_asks_for_the_evidence_consent_in_its_own_optional_column():
    header = (
        "family_name,given_name,sex,birth_year,oblast,category,reporter_relationship,"
        "may_contact,tracing,share_with_coalition,share_with_authorities"
    )
    row = "Коваль,Ілля,male,2013,UA-65,deported,ngo,no,yes,yes,yes"
    rows, errors = read_csv(f"{header},evidence\n{row},так\n{row},\n")
    assert not errors
    assert [r.report.consent.evidence for r in rows] == [True, False]
    _, errors = read_csv(f"{header},evidence\n{row},maybe\n")
    assert [e.field for e in errors] == ["evidence"]


# -- 2. originals apart from working copies --------------------------------------------


def test_with_the_evidence_consent_the_original_is_kept_as_received(stores, settings):
    receipt, store, bucket = filed(stores, settings, evidence_consent=True)
    (item,) = stores.evidence.items_of(receipt.reference)
    assert bucket.read(item.key, item.version_id) == SENT
    assert item.key.startswith(f"originals/{receipt.reference}/1-")
    # Staff work on the re-encoded copy, which lost what followed the image.
    (attachment,) = stores.cases.attachments_of(receipt.reference)
    working = store.read(attachment.key, attachment.version_id)
    assert b"GPS" not in working and item.working_sha256 == attachment.sha256 != item.sha256


def test_without_the_evidence_consent_no_original_is_kept(stores, settings):
    receipt, _, bucket = filed(stores, settings, evidence_consent=False)
    assert bucket.objects == {} and stores.evidence.items_of(receipt.reference) == []


# -- 3. the chain of custody ---------------------------------------------------------------


def test_the_chain_begins_with_the_case_and_a_staff_view_is_in_it(stores, settings, db):
    receipt, store, _ = filed(stores, settings, evidence_consent=True)
    reference = receipt.reference
    (item,) = stores.evidence.items_of(reference)
    chain = stores.evidence.chain(item)
    assert [e.action for e in chain] == ["received", "hashed", "copied"]
    assert item.sha256 in chain[1].detail and not chain_problems(item.item, chain)

    (attachment,) = stores.cases.attachments_of(reference)
    caller = Caller(OLENA, "r-9", INTAKE)
    attachment_links.open_attachment(
        caller, reference, attachment.sha256, stores=stores, files=store
    )
    (item,) = stores.evidence.items_of(reference)
    chain = stores.evidence.chain(item)
    assert chain[-1].action == CustodyAction.VIEWED and chain[-1].actor == "c-1"
    assert not chain_problems(item.item, chain) and item.head == (3, chain[-1].hash)
    assert any(e.action == "open-attachment" for e in db.audit[reference])


def test_a_photo_shown_small_beside_another_report_is_a_view_in_its_custody(stores, settings, db):
    """The match review shows a case's photos small: each is a viewing of the working
    copy, recorded in its chain with the audit entry of the showing, as an opening is."""
    from chalicelib.services import casework

    receipt, store, _ = filed(stores, settings, evidence_consent=True)
    reference = receipt.reference
    caller = Caller(OLENA, "r-9", INTAKE)
    shown = casework.read_case(caller, reference, stores=stores)
    assert len(attachment_links.thumbnails(caller, shown, stores=stores, files=store)) == 1
    (item,) = stores.evidence.items_of(reference)
    chain = stores.evidence.chain(item)
    viewed = chain[-1]
    assert (viewed.action, viewed.actor, viewed.why) == ("viewed", "c-1", SHOWN_SMALL)
    assert not chain_problems(item.item, chain)
    (audited,) = [e for e in db.audit[reference] if e.action == "open-attachment"]
    assert audited.at == viewed.at and item.working_sha256.startswith(audited.detail)


def test_a_photo_without_the_evidence_consent_shown_small_is_audited_only(stores, settings, db):
    from chalicelib.services import casework

    receipt, store, _ = filed(stores, settings, evidence_consent=False)
    caller = Caller(OLENA, "r-9", INTAKE)
    shown = casework.read_case(caller, receipt.reference, stores=stores)
    assert len(attachment_links.thumbnails(caller, shown, stores=stores, files=store)) == 1
    assert [e.action for e in db.audit[receipt.reference]].count("open-attachment") == 1
    assert stores.evidence.items_of(receipt.reference) == []


def test_a_changed_entry_breaks_the_chain_and_is_named(stores, settings):
    receipt, _, _ = filed(stores, settings, evidence_consent=True)
    (item,) = stores.evidence.items_of(receipt.reference)
    chain = stores.evidence.chain(item)
    forged = [chain[0], type(chain[1])(**{**chain[1].__dict__, "actor": "someone"}), chain[2]]
    assert [str(p) for p in chain_problems(item.item, forged)] == [
        f"custody entry 1 of {item.item} was changed after it was written (its hash differs)"
    ]
    assert [str(p) for p in chain_problems(item.item, [chain[0], chain[2]])] == [
        f"custody entry 1 of {item.item} is out of place (missing or reordered entries)",
        f"custody entry 1 of {item.item} does not follow the entry before it",
    ]


def test_two_views_at_once_both_enter_the_chain_one_after_the_other(stores, settings, db):
    receipt, _, _ = filed(stores, settings, evidence_consent=True)
    (stale,) = stores.evidence.items_of(receipt.reference)
    now = dt.datetime.now(dt.UTC)
    step = evidence.Step(CustodyAction.VIEWED, "c-1", "opened in the console")
    evidence.record(stores, [stale], step, now)
    evidence.record(stores, [stale], step, now)  # from the head read before the first
    (item,) = stores.evidence.items_of(receipt.reference)
    chain = stores.evidence.chain(item)
    assert [e.seq for e in chain] == [0, 1, 2, 3, 4] and not chain_problems(item.item, chain)


def test_the_reporter_withdraws_the_evidence_consent_and_each_chain_records_it(stores, settings):
    receipt, _, _ = filed(stores, settings, evidence_consent=True)
    reference, token = receipt.reference, receipt.status_token
    asked = dict(source="198.51.100.7", stores=stores, settings=settings)
    assert reporter.withdraw_evidence(reference, "wrong", **asked) == "not_found"
    assert reporter.withdraw_evidence(reference, token, **asked) == "withdrawn"
    assert reporter.withdraw_evidence(reference, token, **asked) == "nothing_left"
    (item,) = stores.evidence.items_of(reference)
    last = stores.evidence.chain(item)[-1]
    assert (last.action, last.actor, last.why) == ("withdrawn", "reporter", "asked by the reporter")
    assert not evidence.consent_of(reference, stores).evidence
    # The other consents stand: only the evidence one was withdrawn.
    assert evidence.consent_of(reference, stores).share_with_authorities


def test_without_the_evidence_consent_there_is_nothing_to_withdraw(stores, settings):
    receipt, _, _ = filed(stores, settings, evidence_consent=False)
    asked = dict(source="198.51.100.7", stores=stores, settings=settings)
    outcome = reporter.withdraw_evidence(receipt.reference, receipt.status_token, **asked)
    assert outcome == "nothing_left"
