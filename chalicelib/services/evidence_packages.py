"""A prosecutor's package: built by a coordinator with the evidence role, for a named
recipient, from the cases whose reporters agreed to their use as evidence.

A package holds each original as received, a manifest of their hashes with the capture
metadata and the consent and legal basis, each original's chain of custody, every daily
RFC 3161 anchor that stamped those chains (its Merkle root and token, with only these
chains' leaves and audit paths: nothing of another case) with the TSA's certificate, a
README, and
Homeward's signature over the manifest. Building it records "exported" in each chain
and puts a legal hold on each original (kept past its retention); handing it over
renders it again from what is still allowed (a reporter may have withdrawn meanwhile:
services/evidence.py took their case out) and records "handed over" in each chain. Each
case's audit trail says so too, in the same unit of work (an auditor sees that its
evidence left Homeward, and for whom; never what it holds).
`homeward evidence verify` checks it offline (chalicelib/cli/evidence.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace

from chalicelib.domain.attachments import ACCEPTED_TYPES
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import iso
from chalicelib.domain.disclosure import may_package_statement, may_use_as_evidence
from chalicelib.domain.errors import Refused
from chalicelib.domain.evidence import (
    PACKAGE_README,
    CustodyAction,
    EvidenceItem,
    Package,
    PackageState,
    Stamp,
    Step,
    canonical,
)
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.statements import Statement, is_statement_slot
from chalicelib.services import access, evidence
from chalicelib.services.evidence_ports import EvidenceFiles
from chalicelib.services.ports import Stores

# One package is one transaction (at most 100 writes): two custody writes per original,
# an audit entry per case (at most one per original) and the package itself.
MAX_ITEMS = 33
LEGAL_BASIS = (
    "The reporter's explicit consent, given on Homeward's report form apart from every "
    "other consent, that what they sent may be used as evidence by national and "
    "international prosecutors; withdrawable until the package is handed over."
)

STATEMENT_LEGAL_BASIS = (
    "The witness's explicit consent, given when the statement was taken and sealed with "
    "it, that it may be used as evidence by national and international prosecutors."
)


class NotPermitted(access.NotPermitted):
    """Only a coordinator who holds the evidence role builds or hands over packages."""


class PackageRefused(ValueError):
    """Said to the coordinator: nothing was recorded."""


@dataclass(frozen=True)
class Signer:
    """Homeward's package signature (adapters/signatures.py): sign bytes, and the public
    key (PEM) a recipient checks it with."""

    sign: Callable[[bytes], bytes]
    public_pem: bytes


def _require(coordinator: StaffMember) -> None:
    if not (coordinator.is_coordinator and coordinator.evidence):
        raise NotPermitted()


def _audited(coordinator: StaffMember, package: Package, action: str, now: dt.datetime):
    """The package's act in each of its cases' audit trails (the recipient, no content),
    to stage with the package; the package's id ties the entries together."""
    entries = [
        AuditEntry.of(
            coordinator, reference, action, package.package_id, detail=package.recipient, at=now
        )
        for reference in package.items
    ]

    def stage(uow, stores: Stores) -> None:
        for entry in entries:
            stores.audit.add(uow, entry)

    return stage


@dataclass(frozen=True)
class Choice:
    """A case kept as evidence, as a coordinator choosing cases for a package sees it:
    how many files it would add, or only that it is not allowed (nothing else of it)."""

    reference: str
    files: int  # 0: not allowed (no evidence consent, or it was withdrawn)


def overview(coordinator: StaffMember, *, stores: Stores) -> tuple[list[Package], list[Choice]]:
    """Every package, the newest first, and every case with originals kept as evidence,
    each offered or not by the rule that `build` applies."""
    _require(coordinator)
    packages = sorted(stores.evidence.packages(), key=lambda p: p.built_at, reverse=True)
    choices = [
        Choice(r, len(allowed_items(r, stores))) for r in sorted(stores.evidence.references())
    ]
    return packages, choices


def build(
    coordinator: StaffMember,
    recipient: str,
    references: list[str],
    *,
    stores: Stores,
    files: EvidenceFiles,
    now: dt.datetime,
) -> tuple[Package, list[str]]:
    """A new package (not yet rendered: `render`), and the references left out because
    their reporters did not agree (or no longer agree) to their use as evidence."""
    _require(coordinator)
    recipient = " ".join(recipient.split())
    if not recipient:
        raise PackageRefused("name the recipient (e.g. the Prosecutor General's Office)")
    chosen: dict[str, list[EvidenceItem]] = {}
    left_out = []
    for reference in dict.fromkeys(references):
        items = allowed_items(reference, stores)
        if not items:
            left_out.append(reference)
            continue
        chosen[reference] = items
    everything = [i for items in chosen.values() for i in items]
    if not everything:
        raise PackageRefused("no case named may go into a package")
    if len(everything) > MAX_ITEMS:
        raise PackageRefused(f"at most {MAX_ITEMS} files in one package: make two")
    package = Package(
        package_id=f"P-{secrets.token_hex(6).upper()}",
        recipient=recipient,
        built_at=now,
        built_by=coordinator.subject,
        items={r: tuple(i.item for i in items) for r, items in chosen.items()},
        key="",
        sha256="",
    )
    for item in everything:
        if not is_statement_slot(item.slot):  # a statement lies in the table, not the bucket
            files.hold(item.key, item.version_id)  # kept past retention: a case is in court
    step = Step(CustodyAction.EXPORTED, coordinator.subject, f"package {package.package_id}")
    audited = _audited(coordinator, package, "evidence-package", now)
    evidence.record(
        stores,
        everything,
        # An original is held in the bucket; a statement, kept at retention while a
        # package holds it (services/erasure.py): each chain says which is true of it.
        lambda item: replace(
            step,
            detail=f"for {recipient}; "
            + (
                "kept while a package holds it"
                if is_statement_slot(item.slot)
                else "legal hold placed"
            ),
        ),
        now,
        also=lambda uow: (stores.evidence.save_package(uow, package), audited(uow, stores)),
    )
    return package, left_out


def allowed_items(reference: str, stores: Stores) -> list[EvidenceItem]:
    """What of a case may go into a package: the reporter's originals on the reporter's
    evidence consent, each witness statement on its witness's own."""
    consent = evidence.consent_of(reference, stores)
    files = consent is not None and may_use_as_evidence(consent)
    withdrawn = stores.evidence.statement_withdrawals(reference)
    consented = {
        s.statement_id
        for s in stores.evidence.statements_of(reference)
        if may_package_statement(s.evidence_consent, withdrawn=s.statement_id in withdrawn)
    }
    return [
        i
        for i in stores.evidence.items_of(reference)
        if (i.item in consented if is_statement_slot(i.slot) else files)
    ]


def render(package: Package, *, stores: Stores, files: EvidenceFiles, tsa_pem: bytes, signer):
    """The package's zip, as it stands (its cases may have shrunk by a withdrawal)."""
    kept = {r: stores.evidence.items_and_stamps(r) for r in package.items}
    items = [
        item
        for reference, names in package.items.items()
        for item in kept[reference][0]
        if item.item in names
    ]
    out = io.BytesIO()
    manifest: dict = {
        "package": package.package_id,
        "recipient": package.recipient,
        "built_at": iso(package.built_at),
        "hash": "sha256",
        "items": [],
        "timestamps": [],
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        names = {i.item for i in items}
        statements = {
            s.statement_id: s for r in package.items for s in stores.evidence.statements_of(r)
        }
        for item in items:
            custody = f"custody/{item.item}.jsonl"
            if item.item in statements:  # the sealed record itself, checked as a file is
                name = f"statements/{item.item}.json"
                zipped.writestr(name, statements[item.item].sealed())
                entry = _statement_entry(item, name, custody, statements[item.item])
            else:
                name = f"originals/{item.item}{ACCEPTED_TYPES.get(item.content_type, '')}"
                zipped.writestr(name, files.read(item.key, item.version_id))
                entry = _entry(item, name, custody, stores)
            chain = stores.evidence.chain(item)
            zipped.writestr(custody, "".join(json.dumps(e.as_record()) + "\n" for e in chain))
            manifest["items"].append(entry)
        # Each day that stamped one of these chains: the day's root, count and token, and
        # only these chains' leaves and audit paths (no other case's name is in a path).
        by_day: dict[str, list[Stamp]] = {}
        for _, stamps in kept.values():
            for stamp in stamps:
                if stamp.item in names:
                    by_day.setdefault(stamp.day, []).append(stamp)
        for day, stamps in sorted(by_day.items()):
            anchor = stores.evidence.anchor(day)
            if anchor is None:
                continue
            proofs = f"timestamps/{day}.json"
            token = f"timestamps/{day}.tsr"
            stamped = {"day": day, "root": anchor.root, "leaves": anchor.leaves}
            stamped["stamps"] = {s.item: s.as_record() for s in stamps}
            zipped.writestr(proofs, canonical(stamped))
            zipped.writestr(token, anchor.token)
            manifest["timestamps"].append({"day": day, "proofs": proofs, "token": token})
        zipped.writestr("tsa.pem", tsa_pem)
        body = canonical(manifest)
        zipped.writestr("manifest.json", body)
        zipped.writestr("manifest.sig", signer.sign(body))
        zipped.writestr("signer.pem", signer.public_pem)
        built = package.built_at.astimezone(dt.UTC).strftime("%d %B %Y, %H:%M UTC")
        zipped.writestr(
            "README.txt", PACKAGE_README.format(recipient=package.recipient, built=built)
        )
    return out.getvalue()


def _entry(item: EvidenceItem, name: str, custody: str, stores: Stores) -> dict:
    withdrawn = stores.evidence.withdrawn_at(item.reference)
    return {
        "item": item.item,
        "kind": "original",
        "case": item.reference,
        "file": name,
        "sha256": item.sha256,
        "size": item.size,
        "content_type": item.content_type,
        "custody": custody,
        # What Homeward knows of how the file came: never who sent it.
        "capture": {
            "received_at": iso(item.received_at),
            "channel": "Homeward's public report form, uploaded by the reporter",
            "working_copy_sha256": item.working_sha256,
            "working_copy": "re-encoded without metadata for staff"
            if item.working_sha256 != item.sha256
            else "identical to the original",
        },
        "consent": {
            "evidence": withdrawn is None,
            "given_at": iso(item.received_at),
            "withdrawn_at": iso(withdrawn) if withdrawn else None,
        },
        "legal_basis": LEGAL_BASIS,
    }


def _statement_entry(item: EvidenceItem, name: str, custody: str, statement: Statement):
    return {
        "item": item.item,
        "kind": "statement",
        "case": item.reference,
        "file": name,
        "sha256": statement.sha256,
        "size": item.size,
        "content_type": item.content_type,
        "custody": custody,
        # How it was taken; who gave it and their words are in the sealed record.
        "capture": {
            "received_at": iso(item.received_at),
            "channel": "a witness statement taken by Homeward's staff or hotline from an "
            "adult witness, sealed on receipt (canonical JSON, SHA-256)",
        },
        "consent": {"evidence": statement.evidence_consent, "given_by": "the witness"},
        "legal_basis": STATEMENT_LEGAL_BASIS,
    }


def hand_over(
    coordinator: StaffMember,
    package_id: str,
    *,
    stores: Stores,
    files: EvidenceFiles,
    tsa_pem: bytes,
    signer: Signer,
    now: dt.datetime,
) -> tuple[Package, bytes]:
    """Render the package as it now stands, keep it, and record its hand-over in each of
    its originals' chains; the package is then final."""
    _require(coordinator)
    for _ in range(4):
        package = stores.evidence.package(package_id)
        if package is None or package.state != PackageState.BUILT:
            raise PackageRefused("no package waiting to be handed over has this id")
        if not package.items:
            raise PackageRefused("every case of this package was withdrawn: nothing to give")
        data = render(package, stores=stores, files=files, tsa_pem=tsa_pem, signer=signer)
        key = f"packages/{package.package_id}.zip"
        files.put_package(key, data)
        given = replace(
            package,
            key=key,
            sha256=hashlib.sha256(data).hexdigest(),
            state=PackageState.HANDED_OVER,
            handed_over_at=now,
        )
        items = [
            i
            for reference, names in package.items.items()
            for i in stores.evidence.items_of(reference)
            if i.item in names
        ]
        step = Step(
            CustodyAction.HANDED_OVER,
            coordinator.subject,
            f"package {package.package_id}",
            f"to {package.recipient}; package sha256 {given.sha256}",
        )
        audited = _audited(coordinator, package, "evidence-hand-over", now)
        try:
            evidence.record(
                stores,
                items,
                step,
                now,
                also=lambda uow, given=given, package=package, audited=audited: (
                    stores.evidence.save_package(uow, given, was=package),
                    audited(uow, stores),
                ),
            )
        except Refused as refused:
            if "package" in refused.names:
                continue  # withdrawn meanwhile: render what is left
            raise
        return given, data
    raise PackageRefused("the package kept changing; try again")
