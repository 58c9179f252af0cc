"""Prosecutors' packages on the fakes: only cases whose reporters agreed, a withdrawal
before hand-over takes a case out (and its chain says so), and `homeward evidence verify`
names each thing changed in a package: a file's byte, a custody entry, a time stamp."""

import datetime as dt
import io
import json
import zipfile

import pytest
from evidence_fixtures import KEEPER, OLENA, SENT, filed

from chalicelib.adapters.signatures import package_signer
from chalicelib.adapters.timestamps import stamp
from chalicelib.cli import evidence as verifier
from chalicelib.services import evidence, evidence_packages, reporter
from infra.local.tsa import authority

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
SIGNER = package_signer(b"service-tests")


@pytest.fixture
def kept(stores, settings):
    """Two reports with a photo each, one with the evidence consent, one without."""
    consented, _, bucket = filed(stores, settings, evidence_consent=True)
    refused, _, _ = filed(stores, settings, evidence_consent=False, bucket=bucket)
    tsa = authority()
    assert evidence.anchor(stores, lambda m: stamp(tsa, m), "2026-12-01")
    return consented, refused, bucket


def handed_over(stores, bucket, package, tmp_path):
    given, data = evidence_packages.hand_over(
        KEEPER,
        package.package_id,
        stores=stores,
        files=bucket,
        tsa_pem=authority().certificate_pem,
        signer=SIGNER,
        now=NOW,
    )
    path = tmp_path / "package.zip"
    path.write_bytes(data)
    return given, path


def rewritten(path, name, change):
    """The package with one member changed, as someone on the way might."""
    source = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            target.writestr(member, change(data) if member == name else data)
    changed = path.with_name(f"changed-{name.replace('/', '-')}.zip")
    changed.write_bytes(out.getvalue())
    return changed


def flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


def test_only_cases_with_the_evidence_consent_go_in_and_the_package_verifies(
    kept, stores, tmp_path
):
    consented, refused, bucket = kept
    with pytest.raises(evidence_packages.NotPermitted):
        evidence_packages.build(
            OLENA, "ICC OTP", [consented.reference], stores=stores, files=bucket, now=NOW
        )
    package, left_out = evidence_packages.build(
        KEEPER,
        "Office of the Prosecutor General of Ukraine",
        [consented.reference, refused.reference],
        stores=stores,
        files=bucket,
        now=NOW,
    )
    assert left_out == [refused.reference] and list(package.items) == [consented.reference]
    (item,) = stores.evidence.items_of(consented.reference)
    assert bucket.held(item.key, item.version_id)
    given, path = handed_over(stores, bucket, package, tmp_path)
    assert given.state == "handed_over"
    chain = stores.evidence.chain(item)
    assert [e.action for e in chain[-2:]] == ["exported", "handed_over"]
    assert chain[-2].detail.endswith("legal hold placed")

    found = verifier.verify(path)
    assert found.failed == [] and len(found.held) == 6
    with zipfile.ZipFile(path) as zipped:
        originals = [n for n in zipped.namelist() if n.startswith("originals/")]
        assert [zipped.read(n) for n in originals] == [SENT]  # as received, metadata and all
        assert "never asks a child" in zipped.read("README.txt").decode()
    # Handed over once: final.
    with pytest.raises(evidence_packages.PackageRefused):
        handed_over(stores, bucket, package, tmp_path)


def test_verify_names_a_changed_byte_a_changed_entry_and_a_changed_time_stamp(
    kept, stores, tmp_path
):
    consented, _, bucket = kept
    package, _ = evidence_packages.build(
        KEEPER, "ICC OTP", [consented.reference], stores=stores, files=bucket, now=NOW
    )
    _, path = handed_over(stores, bucket, package, tmp_path)
    with zipfile.ZipFile(path) as zipped:
        (original,) = [n for n in zipped.namelist() if n.startswith("originals/")]
        (custody,) = [n for n in zipped.namelist() if n.startswith("custody/")]
    item = custody.removeprefix("custody/").removesuffix(".jsonl")

    def staff_not_there(data: bytes) -> bytes:
        return data.replace(b'"actor": "homeward"', b'"actor": "c-1"', 1)

    cases = {
        original: (flip, f"{original}: its SHA-256 is not the manifest's (the file was changed)"),
        custody: (
            staff_not_there,
            f"custody entry 1 of {item} was changed after it was written (its hash differs)",
        ),
        "timestamps/2026-12-01.tsr": (
            lambda data: flip(data, len(data) - 40),
            "timestamps/2026-12-01.tsr: does not verify",
        ),
    }
    for name, (change, named) in cases.items():
        found = verifier.verify(rewritten(path, name, change))
        assert any(f.startswith(named) for f in found.failed), (name, found.failed)
        out = io.StringIO()
        assert verifier.run(rewritten(path, name, change), None, None, out) == 1
        assert "FAILS" in out.getvalue()


def test_a_package_names_no_other_case_and_verify_names_a_changed_proof(
    kept, stores, settings, tmp_path
):
    """Every chain is under each day's root, but a package carries only its own chains'
    leaves and audit paths: no other case's reference is anywhere in it. A proof, a leaf
    or a root changed on the way is named."""
    consented, refused, bucket = kept
    other, _, _ = filed(stores, settings, evidence_consent=True, bucket=bucket)
    tsa = authority()
    # The other case's chain is new on the 2nd (stamped); the consented one's is not.
    assert evidence.anchor(stores, lambda m: stamp(tsa, m), "2026-12-02").leaves == 2
    assert evidence.anchor(stores, lambda m: stamp(tsa, m), "2026-12-02") is None  # once
    package, _ = evidence_packages.build(
        KEEPER, "ICC OTP", [consented.reference], stores=stores, files=bucket, now=NOW
    )
    # Its export moved its head: the 3rd stamps it again.
    assert evidence.anchor(stores, lambda m: stamp(tsa, m), "2026-12-03").leaves == 2
    _, path = handed_over(stores, bucket, package, tmp_path)
    (item,) = stores.evidence.items_of(consented.reference)
    with zipfile.ZipFile(path) as zipped:
        members = {n: zipped.read(n) for n in zipped.namelist()}
    for name, data in members.items():
        for elsewhere in (other.reference, refused.reference):
            assert elsewhere.encode() not in data and elsewhere not in name, (name, elsewhere)
    assert sorted(n for n in members if n.startswith("timestamps/")) == [
        "timestamps/2026-12-01.json",
        "timestamps/2026-12-01.tsr",
        "timestamps/2026-12-03.json",
        "timestamps/2026-12-03.tsr",
    ]
    third = json.loads(members["timestamps/2026-12-03.json"])
    assert third["leaves"] == 2 and list(third["stamps"]) == [item.item]
    assert third["stamps"][item.item]["seq"] == 3  # the "exported" entry
    found = verifier.verify(path)
    assert found.failed == []
    assert f"custody of {item.item}: entry 3 is the one stamped on 2026-12-03" in " ".join(
        found.held
    )

    def changed(**change):
        def rewrite(data: bytes) -> bytes:
            day = json.loads(data)
            for key, value in change.items():
                if key == "root":
                    day["root"] = value
                else:
                    day["stamps"][item.item][key] = value
            return json.dumps(day).encode()

        return verifier.verify(rewritten(path, "timestamps/2026-12-03.json", rewrite)).failed

    record = third["stamps"][item.item]
    (step,) = record["path"]
    proof_fails = (
        f"custody of {item.item}: its proof in timestamps/2026-12-03.json does not lead to "
        "the root stamped on 2026-12-03 (the leaf or its path was changed)"
    )
    assert changed(path=["0" + step[1:] if step[0] != "0" else "1" + step[1:]]) == [proof_fails]
    assert changed(seq=2, head=stores.evidence.chain(item)[2].hash) == [proof_fails]
    assert changed(index=1 - record["index"]) == [proof_fails]
    (failed,) = changed(root="0" * 64)
    assert failed.startswith("timestamps/2026-12-03.tsr: does not verify")

    def former(data: bytes) -> bytes:  # a package of before: its days named every head
        manifest = json.loads(data)
        for day in manifest["timestamps"]:
            day["heads"] = day.pop("proofs")
        return json.dumps(manifest).encode()

    failed = verifier.verify(rewritten(path, "manifest.json", former)).failed
    assert "timestamps/2026-12-03.tsr: in the form of packages made before December 2026" in (
        " ".join(failed)
    )


def test_a_withdrawal_before_hand_over_takes_the_case_out_and_is_logged(
    kept, stores, settings, tmp_path
):
    consented, _, bucket = kept
    other, _, _ = filed(stores, settings, evidence_consent=True, bucket=bucket)
    package, _ = evidence_packages.build(
        KEEPER,
        "ICC OTP",
        [consented.reference, other.reference],
        stores=stores,
        files=bucket,
        now=NOW,
    )
    asked = dict(source="198.51.100.7", stores=stores, settings=settings)
    assert reporter.withdraw_evidence(other.reference, other.status_token, **asked) == "withdrawn"
    (item,) = stores.evidence.items_of(other.reference)
    last = stores.evidence.chain(item)[-1]
    assert last.action == "withdrawn" and "taken out of 1 package" in last.detail
    given, path = handed_over(stores, bucket, package, tmp_path)
    assert list(given.items) == [consented.reference]
    with zipfile.ZipFile(path) as zipped:
        assert not [n for n in zipped.namelist() if other.reference in n]
    assert verifier.verify(path).failed == []
    # Nor can a new package take it.
    with pytest.raises(evidence_packages.PackageRefused):
        evidence_packages.build(
            KEEPER, "ICC OTP", [other.reference], stores=stores, files=bucket, now=NOW
        )


def _statement(stores, reference, *, consent: bool, saw: str):
    from evidence_fixtures import INTAKE

    from chalicelib.domain.statements import StatementLanguage, TakenHow, TakerRole
    from chalicelib.services import statements
    from chalicelib.services.access import Caller

    given = statements.NewStatement(
        relation="neighbour", given_at=NOW - dt.timedelta(days=1),
        language=StatementLanguage.UK, saw=saw, heard="", taker_role=TakerRole.HOTLINE,
        taken_how=TakenHow.BY_PHONE, adult_confirmed=True, evidence_consent=consent,
    )  # fmt: skip
    return statements.take(Caller(OLENA, "req", INTAKE), reference, given, stores=stores, now=NOW)


def test_only_statements_the_witness_agreed_to_go_in_and_verify_names_a_changed_one(
    kept, stores, tmp_path
):
    consented, refused, bucket = kept
    agreed = _statement(stores, consented.reference, consent=True, saw="Бачила автобус")
    _statement(stores, consented.reference, consent=False, saw="Не для прокурорів")
    # The reporter did not agree; the witness did: only the statement goes.
    witness_only = _statement(stores, refused.reference, consent=True, saw="Бачив колону")
    package, left_out = evidence_packages.build(
        KEEPER,
        "ICC OTP",
        [consented.reference, refused.reference],
        stores=stores,
        files=bucket,
        now=NOW,
    )
    assert left_out == []
    assert package.items[refused.reference] == (witness_only.statement_id,)
    _, path = handed_over(stores, bucket, package, tmp_path)
    with zipfile.ZipFile(path) as zipped:
        kept_statements = sorted(n for n in zipped.namelist() if n.startswith("statements/"))
        assert kept_statements == sorted(
            f"statements/{s.statement_id}.json" for s in (agreed, witness_only)
        )
        assert "Не для прокурорів".encode() not in b"".join(
            zipped.read(n) for n in zipped.namelist()
        )
        assert not [n for n in zipped.namelist() if n.startswith(f"originals/{refused.reference}")]
        manifest = json.loads(zipped.read("manifest.json"))
    (entry,) = [i for i in manifest["items"] if i["item"] == agreed.statement_id]
    assert entry["sha256"] == agreed.sha256 and entry["consent"]["evidence"] is True
    assert verifier.verify(path).failed == []
    statement_item = next(
        i for i in stores.evidence.items_of(consented.reference) if i.item == agreed.statement_id
    )
    chain = stores.evidence.chain(statement_item)
    assert [e.action for e in chain] == ["received", "hashed", "exported", "handed_over"]
    # Its chain says what is true of a statement: no object in the bucket was held.
    assert (
        "legal hold" not in chain[2].detail and "kept while a package holds it" in chain[2].detail
    )

    name = f"statements/{agreed.statement_id}.json"
    changed = rewritten(
        path, name, lambda data: data.replace("автобус".encode(), "трактор".encode())
    )
    assert verifier.verify(changed).failed == [
        f"{name}: its SHA-256 is not the manifest's (the statement was changed after it was sealed)"
    ]


def test_a_reporters_withdrawal_leaves_a_witness_statement_the_witness_agreed_to(
    kept, stores, settings, tmp_path
):
    consented, _, bucket = kept
    agreed = _statement(stores, consented.reference, consent=True, saw="Бачила автобус")
    package, _ = evidence_packages.build(
        KEEPER, "ICC OTP", [consented.reference], stores=stores, files=bucket, now=NOW
    )
    asked = dict(source="198.51.100.7", stores=stores, settings=settings)
    token = consented.status_token
    assert reporter.withdraw_evidence(consented.reference, token, **asked) == "withdrawn"
    given, path = handed_over(stores, bucket, package, tmp_path)
    assert given.items == {consented.reference: (agreed.statement_id,)}
    statement_item = next(
        i for i in stores.evidence.items_of(consented.reference) if i.item == agreed.statement_id
    )
    assert "withdrawn" not in [e.action for e in stores.evidence.chain(statement_item)]
    assert verifier.verify(path).failed == []


def test_each_case_audit_trail_says_its_evidence_was_packaged_and_handed_over_and_for_whom(
    kept, stores, tmp_path
):
    from chalicelib.web.console.trail import sentence

    consented, refused, bucket = kept
    recipient = "Office of the Prosecutor General of Ukraine"
    package, _ = evidence_packages.build(
        KEEPER,
        recipient,
        [consented.reference, refused.reference],
        stores=stores,
        files=bucket,
        now=NOW,
    )
    handed_over(stores, bucket, package, tmp_path)
    acts = [e for e in stores.audit.trail(consented.reference) if e.action.startswith("evidence")]
    assert [(e.action, e.actor, e.detail, e.at) for e in acts] == [
        ("evidence-package", KEEPER.subject, recipient, NOW),
        ("evidence-hand-over", KEEPER.subject, recipient, NOW),
    ]
    assert {e.request_id for e in acts} == {package.package_id}
    # A case left out has no such entry; the auditor reads the act in words.
    assert not [e for e in stores.audit.trail(refused.reference) if "evidence" in e.action]
    words = sentence(acts[1], str, "en", None)
    assert words == f"handed the evidence of case {consented.reference} over to {recipient}"
