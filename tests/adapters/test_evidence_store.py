"""The custody store and the evidence bucket keep the same promises on the fakes and on
DynamoDB and S3 (moto): an item once, a chain only from its head, an original never
replaced and held on request, the evidence bucket under Object Lock in compliance mode."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from fakes import FakeEvidenceFiles

from chalicelib.domain.errors import Refused
from chalicelib.domain.evidence import (
    Anchor,
    CustodyAction,
    EvidenceItem,
    Package,
    PackageState,
    Stamp,
    Step,
    chain_problems,
    extend,
    intake_steps,
)

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def kept(stores, reference="HW-EVID-1", slot=1):
    name = f"{reference}-{slot}"
    entries = extend(name, None, intake_steps("a" * 64, 10, "b" * 64), NOW)
    item = EvidenceItem(
        name, reference, slot, f"originals/{reference}/{slot}", "v1", "a" * 64, 10,
        "image/jpeg", NOW, entries[-1].seq, entries[-1].hash, "b" * 64,
    )  # fmt: skip
    uow = stores.unit_of_work()
    stores.evidence.keep(uow, item, entries)
    stores.evidence.register(uow, reference)
    uow.commit()
    return item


def test_an_item_is_kept_once_and_its_chain_grows_only_from_its_head(stores):
    item = kept(stores)
    with pytest.raises(Refused) as refused:
        kept(stores)
    assert "evidence" in refused.value.names
    (found,) = stores.evidence.items_of("HW-EVID-1")
    assert found == item and stores.evidence.references() == ["HW-EVID-1"]

    step = Step(CustodyAction.VIEWED, "c-1", "opened in the console")
    uow = stores.unit_of_work()
    stores.evidence.append(uow, item, extend(item.item, item.head, [step], NOW))
    uow.commit()
    # From the old head again: another writer got there first.
    uow = stores.unit_of_work()
    stores.evidence.append(uow, item, extend(item.item, item.head, [step], NOW))
    with pytest.raises(Refused) as refused:
        uow.commit()
    assert "custody-head" in refused.value.names
    (found,) = stores.evidence.items_of("HW-EVID-1")
    chain = stores.evidence.chain(found)
    assert [e.action for e in chain] == ["received", "hashed", "copied", "viewed"]
    assert found.head == (3, chain[-1].hash) and not chain_problems(item.item, chain)


def test_a_withdrawal_is_recorded_once(stores):
    kept(stores)
    assert stores.evidence.withdrawn_at("HW-EVID-1") is None
    uow = stores.unit_of_work()
    stores.evidence.withdraw(uow, "HW-EVID-1", NOW)
    uow.commit()
    uow = stores.unit_of_work()
    stores.evidence.withdraw(uow, "HW-EVID-1", NOW)
    with pytest.raises(Refused):
        uow.commit()
    assert stores.evidence.withdrawn_at("HW-EVID-1") == NOW


def test_one_anchor_a_day_and_a_handed_over_package_never_changes(stores):
    anchor = Anchor("2026-03-01", "c" * 64, 40_000, b"\x30\x03token")
    assert stores.evidence.last_anchor_day() is None
    assert stores.evidence.add_anchor(anchor) and not stores.evidence.add_anchor(anchor)
    assert stores.evidence.anchor("2026-03-01") == anchor
    assert stores.evidence.add_anchor(dataclasses.replace(anchor, day="2026-03-02"))
    assert stores.evidence.last_anchor_day() == "2026-03-02"
    assert stores.evidence.anchor("2026-03-03") is None

    package = Package("p1", "ICC OTP", NOW, "c-2", {"HW-EVID-1": ("HW-EVID-1-1",)}, "k", "d")
    uow = stores.unit_of_work()
    stores.evidence.save_package(uow, package)
    uow.commit()
    given = dataclasses.replace(package, state=PackageState.HANDED_OVER, handed_over_at=NOW)
    uow = stores.unit_of_work()
    stores.evidence.save_package(uow, given, was=package)
    uow.commit()
    uow = stores.unit_of_work()
    stores.evidence.save_package(uow, dataclasses.replace(package, items={}), was=package)
    with pytest.raises(Refused):
        uow.commit()
    assert stores.evidence.package("p1") == given and stores.evidence.packages() == [given]
    assert stores.evidence.package("p2") is None


@pytest.fixture(params=["fake", "s3"])
def evidence_bucket(request):
    if request.param == "fake":
        return FakeEvidenceFiles()
    request.getfixturevalue("aws")
    from chalicelib import wiring

    return wiring.evidence_files()


def test_an_original_is_written_once_held_on_request_and_read_back(evidence_bucket):
    files = evidence_bucket
    version = files.keep("originals/HW-1/1-aa", b"\xff\xd8\xffsent", "image/jpeg")
    assert files.keep("originals/HW-1/1-aa", b"\xff\xd8\xffother", "image/jpeg") is None
    assert files.read("originals/HW-1/1-aa", version) == b"\xff\xd8\xffsent"
    assert not files.held("originals/HW-1/1-aa", version)
    files.hold("originals/HW-1/1-aa", version)
    assert files.held("originals/HW-1/1-aa", version)
    files.put_package("packages/p1.zip", b"PK zip")
    assert files.read_package("packages/p1.zip") == b"PK zip"
    with pytest.raises(ValueError):
        files.keep("cases/HW-1/1", b"x", "image/jpeg")


def test_the_emulated_evidence_bucket_locks_originals_in_compliance_mode(aws):
    import boto3

    from chalicelib import wiring

    s3, bucket = boto3.client("s3"), aws["EvidenceBucketName"]
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    version = wiring.evidence_files().keep("originals/HW-1/1-bb", b"%PDF-1.7", "application/pdf")
    with pytest.raises(Exception, match="AccessDenied"):
        s3.delete_object(Bucket=bucket, Key="originals/HW-1/1-bb", VersionId=version)


def test_a_statement_is_kept_sealed_once_and_reads_back_as_it_was(stores):
    from chalicelib.domain.statements import (
        StatementLanguage,
        TakenHow,
        TakerRole,
        WitnessRelation,
        intake_steps,
        seal,
        slot_of,
    )

    def statement(saw: str):
        return seal(
            reference="HW-EVID-2", number=1, relation=WitnessRelation.TEACHER,
            given_at=NOW, language=StatementLanguage.RU, saw=saw, heard="",
            taken_by="c-1", taker_name="Olena", taker_role=TakerRole.STAFF,
            taken_how=TakenHow.IN_PERSON, adult_confirmed=True, evidence_consent=False,
            now=NOW, witness_name="Марія Коваль",
        )  # fmt: skip

    def keep(kept):
        entries = extend(kept.statement_id, None, intake_steps(kept), NOW)
        item = EvidenceItem(
            kept.statement_id, "HW-EVID-2", slot_of(1), "statements/x.json", None,
            kept.sha256, len(kept.sealed()), "application/json", NOW,
            entries[-1].seq, entries[-1].hash, kept.sha256,
        )  # fmt: skip
        uow = stores.unit_of_work()
        stores.evidence.keep_statement(uow, item, entries, kept)
        uow.commit()

    first = statement("Бачила автобус")
    keep(first)
    with pytest.raises(Refused) as refused:
        keep(statement("another account under the same id"))
    assert "evidence" in refused.value.names
    assert stores.evidence.statements_of("HW-EVID-2") == [first]
    assert stores.evidence.statements_of("HW-EVID-1") == []
    (item,) = stores.evidence.items_of("HW-EVID-2")
    assert [e.action for e in stores.evidence.chain(item)] == ["received", "hashed"]
    client = getattr(stores.evidence, "_client", None)
    if client is not None:  # on DynamoDB the table holds the seal, never the words or name
        raw = str(client.scan(TableName=stores.evidence._table)["Items"])
        assert first.sha256 in raw and "Марія" not in raw and "автобус" not in raw

    # The witness withdraws the consent: recorded once, apart from the sealed record,
    # its reason sealed too.
    from chalicelib.domain.statements import ConsentWithdrawal

    withdrawal = ConsentWithdrawal(first.statement_id, NOW, "c-1", "Марія зателефонувала")
    uow = stores.unit_of_work()
    stores.evidence.withdraw_statement(uow, first, withdrawal)
    uow.commit()
    uow = stores.unit_of_work()
    stores.evidence.withdraw_statement(uow, first, withdrawal)
    with pytest.raises(Refused) as refused:
        uow.commit()
    assert "statement-withdrawal" in refused.value.names
    # Listed without opening the reason; opened only when asked for.
    listed = dataclasses.replace(withdrawal, why=None)
    assert stores.evidence.statement_withdrawals("HW-EVID-2") == {first.statement_id: listed}
    assert stores.evidence.withdrawal_reason("HW-EVID-2", first.statement_id) == withdrawal.why
    assert stores.evidence.statement_withdrawals("HW-EVID-1") == {}
    assert stores.evidence.statements_of("HW-EVID-2") == [first]
    assert stores.evidence.withdrawn_at("HW-EVID-2") is None  # the reporter's is another
    if client is not None:
        raw = str(client.scan(TableName=stores.evidence._table)["Items"])
        assert "Марія" not in raw and "зателефонувала" not in raw

    # At the case's retention its words go, the withdrawal's reason too; hash and chain stay.
    erased = extend(item.item, item.head, [Step(CustodyAction.ERASED, "homeward", "")], NOW)
    uow = stores.unit_of_work()
    stores.evidence.erase_statement(uow, item, erased, NOW, withdrawn=True)
    uow.commit()
    assert stores.evidence.statements_of("HW-EVID-2") == []
    assert stores.evidence.withdrawal_reason("HW-EVID-2", first.statement_id) is None
    assert first.statement_id in stores.evidence.statement_withdrawals("HW-EVID-2")
    (after,) = stores.evidence.items_of("HW-EVID-2")
    assert after.sha256 == item.sha256 and after.head == (erased[-1].seq, erased[-1].hash)
    assert [e.action for e in stores.evidence.chain(after)][-1] == "erased"
    again = extend(item.item, after.head, [Step(CustodyAction.ERASED, "homeward", "")], NOW)
    uow = stores.unit_of_work()
    stores.evidence.erase_statement(uow, after, again, NOW, withdrawn=True)
    with pytest.raises(Refused) as refused:
        uow.commit()
    assert "statement-erasure" in refused.value.names


def test_stamps_are_kept_with_their_case_and_read_with_its_items_oldest_day_first(stores):
    """Each case's stamps lie in its own partition, written in batches (more than one
    BatchWriteItem's 25 records here), and come back with its items in one read."""
    item = kept(stores)
    other = kept(stores, "HW-EVID-2")

    def stamp(day, name, seq):
        return Stamp(day, name, seq, f"{seq:064x}", 7, ("d" * 64, "e" * 64))

    many = [(f"HW-MANY-{n}", stamp("2026-03-01", f"HW-MANY-{n}-1", 2)) for n in range(30)]
    stores.evidence.add_stamps(
        [
            ("HW-EVID-1", stamp("2026-03-02", item.item, 3)),
            ("HW-EVID-1", stamp("2026-03-01", item.item, 2)),
            ("HW-EVID-2", stamp("2026-03-01", other.item, 2)),
            *many,
        ]
    )
    items, stamps = stores.evidence.items_and_stamps("HW-EVID-1")
    assert items == [item]
    assert stamps == [stamp("2026-03-01", item.item, 2), stamp("2026-03-02", item.item, 3)]
    assert stores.evidence.items_and_stamps("HW-MANY-29") == (
        [],
        [stamp("2026-03-01", "HW-MANY-29-1", 2)],
    )


def test_a_day_anchored_in_the_former_form_counts_as_anchored(aws):
    """A stage anchored that day before its update (one item naming every head): the day
    keeps it, and the next day's tree stamps every head."""
    import boto3

    from chalicelib import wiring
    from chalicelib.adapters.dynamo import keys
    from chalicelib.adapters.timestamps import stamp
    from chalicelib.services import evidence
    from infra.local.tsa import authority

    stores = wiring.stores()
    item = kept(stores)
    former = {"kind": {"S": "anchor"}, "day": {"S": "2026-03-01"}, "token": {"S": "MAN0b2tlbg=="}}
    former["heads"] = {"S": '{"HW-EVID-1-1": [2, "' + item.head_hash + '"]}'}
    boto3.client("dynamodb").put_item(
        TableName=aws["TableName"], Item={**keys.evidence_index("ANCHOR", "2026-03-01"), **former}
    )
    tsa = authority()
    assert evidence.anchor(stores, lambda m: stamp(tsa, m), "2026-03-01") is None
    assert evidence.anchor(stores, lambda m: stamp(tsa, m), "2026-03-02").leaves == 1
    _, (stamped,) = stores.evidence.items_and_stamps("HW-EVID-1")
    assert stamped.under(stores.evidence.anchor("2026-03-02"))
