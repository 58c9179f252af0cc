"""Evidence for justice: keeping originals, recording their custody, withdrawing them.

What a use case does to an evidence item and the custody entry that records it are
staged in one unit of work: the entry exists exactly when the action happened. The
chain is extended only from the head that was read, so two writers racing on one item
both succeed, one after the other (the loser reads the new head and tries again).

Who may see evidence at all is the disclosure policy's (domain/disclosure.py
`may_see_evidence`, `may_use_as_evidence`); building and handing over packages is in
services/evidence_packages.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from chalicelib.domain.attachments import Upload
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.evidence import (
    REPORTER,
    Anchor,
    CustodyAction,
    EvidenceItem,
    Package,
    PackageState,
    Step,
    anchor_heads,
    anchor_message,
    extend,
    intake_steps,
    item_id,
)
from chalicelib.domain.statements import is_statement_slot
from chalicelib.services.evidence_ports import EvidenceFiles
from chalicelib.services.ports import Stores, UnitOfWork

log = logging.getLogger("homeward.evidence")

_ATTEMPTS = 5


def original_key(reference: str, slot: int, sha256: str) -> str:
    """Where an original lies in the evidence bucket: named by its content."""
    return f"originals/{reference}/{slot}-{sha256}"


@dataclass(frozen=True)
class Original:
    """A file as the reporter sent it, kept in the evidence bucket before its case."""

    slot: int
    key: str
    version_id: str | None
    sha256: str
    size: int
    content_type: str
    # What staff open instead: a photo re-encoded without its metadata, or the same file.
    working_sha256: str


def keep_originals(
    files: EvidenceFiles, reference: str, uploads: list[Upload], read: Callable[[Upload], bytes]
) -> tuple[Original, ...]:
    """Copy each upload, byte for byte, into the evidence bucket (before the case is
    stored, as the working copies are). A file whose bytes are not those checked on
    submit is not kept as evidence: it is not what was received."""
    import hashlib

    kept = []
    for upload in uploads:
        data = read(upload)
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            log.warning("an upload changed after it was checked; not kept as evidence")
            continue
        key = original_key(reference, upload.slot, upload.sha256)
        version = files.keep(key, data, upload.content_type)
        working = hashlib.sha256(upload.cleaned).hexdigest() if upload.cleaned else upload.sha256
        kept.append(
            Original(
                upload.slot, key, version, upload.sha256, upload.size, upload.content_type, working
            )
        )
    return tuple(kept)


def receive(uow: UnitOfWork, reference: str, originals, now: dt.datetime, stores: Stores):
    """Stage each original's evidence item and its first custody entries (received,
    hashed, copied) into the unit of work that stores the case."""
    for original in originals:
        name = item_id(reference, original.slot)
        entries = extend(
            name,
            None,
            intake_steps(original.sha256, original.size, original.working_sha256),
            now,
        )
        item = EvidenceItem(
            item=name,
            reference=reference,
            slot=original.slot,
            key=original.key,
            version_id=original.version_id,
            sha256=original.sha256,
            size=original.size,
            content_type=original.content_type,
            received_at=now,
            head_seq=entries[-1].seq,
            head_hash=entries[-1].hash,
            working_sha256=original.working_sha256,
        )
        stores.evidence.keep(uow, item, entries)
    if originals:
        stores.evidence.register(uow, reference)


def consent_of(reference: str, stores: Stores) -> ConsentGiven | None:
    """The case's consent as the evidence rules read it: the evidence consent is gone once
    the reporter withdrew it (alone, or with all their consent)."""
    consent = stores.cases.consent_of(reference)
    if consent is None:
        return None
    if consent.evidence and stores.evidence.withdrawn_at(reference) is not None:
        return replace(consent, evidence=False)
    return consent


def record(
    stores: Stores,
    items: list[EvidenceItem],
    step: Step | Callable[[EvidenceItem], Step],
    now: dt.datetime,
    also: Callable[[UnitOfWork], None] = lambda uow: None,
) -> None:
    """Append one step to each item's chain (the same, or each item's own) with whatever
    `also` stages, in one unit of work; read the heads again and retry if another writer
    moved one meanwhile."""
    step_of = step if callable(step) else lambda item: step
    for _ in range(_ATTEMPTS):
        uow = stores.unit_of_work()
        also(uow)
        for item in items:
            stores.evidence.append(uow, item, extend(item.item, item.head, [step_of(item)], now))
        try:
            uow.commit()
            return
        except (Refused, Conflict) as failed:
            if isinstance(failed, Refused) and "custody-head" not in failed.names:
                raise
        fresh = {
            i.item: i for r in {i.reference for i in items} for i in stores.evidence.items_of(r)
        }
        items = [fresh[i.item] for i in items]
    raise Conflict()


def viewed(
    stores: Stores,
    reference: str,
    hashes: list[str],
    who: str,
    why: str,
    now: dt.datetime,
    also: Callable[[UnitOfWork], None],
) -> bool:
    """A staff member saw the working copy of some of the case's files (opened, or shown
    small): one "viewed" entry in each one's chain, written with `also` (the audit
    entries of the showing); False if none is an evidence item (nothing written here)."""
    items = [
        i for i in stores.evidence.items_of(reference) if {i.sha256, i.working_sha256} & set(hashes)
    ]
    if not items:
        return False
    record(stores, items, Step(CustodyAction.VIEWED, who, why, "working copy"), now, also)
    return True


def withdraw(
    reference: str, *, stores: Stores, now: dt.datetime, why: str, with_all: bool = False
) -> bool:
    """The reporter withdrew the evidence consent (alone, or `with_all` their consent,
    after which the case no longer says it was ever given): recorded once, a "withdrawn" entry in
    each item's chain, and the case taken out of every package not yet handed over, in
    one unit of work. False if it was withdrawn before (or there is no evidence)."""
    for _ in range(_ATTEMPTS):
        given = stores.cases.consent_of(reference)
        if given is None or not (given.evidence or with_all):
            return False  # never given (or withdrawn with all the rest before)
        if stores.evidence.withdrawn_at(reference) is not None:
            return False
        # The reporter's own originals: a witness statement on the case is the witness's,
        # kept or packaged on the witness's consent (domain/statements.py).
        items = [i for i in stores.evidence.items_of(reference) if not is_statement_slot(i.slot)]
        if with_all and not items:
            return False  # no evidence was ever kept
        theirs = {i.item for i in items}
        packages = holding(stores, reference, theirs, PackageState.BUILT)

        def also(uow: UnitOfWork, packages=packages, theirs=theirs) -> None:
            stores.evidence.withdraw(uow, reference, now)
            take_out(uow, stores, packages, reference, theirs)

        detail = f"taken out of {len(packages)} package(s) not handed over" if packages else ""
        step = Step(CustodyAction.WITHDRAWN, REPORTER, why, detail)
        try:
            if items:
                record(stores, items, step, now, also)
            else:  # a report without files: only the consent's withdrawal to record
                uow = stores.unit_of_work()
                also(uow)
                uow.commit()
        except Refused as refused:
            if "withdrawal" in refused.names:
                return False
            if "package" in refused.names:
                continue  # a package was built or handed over meanwhile: look again
            raise
        log.info("evidence consent withdrawn for %s", reference)
        return True
    raise Conflict()


def holding(stores: Stores, reference: str, names: set[str], state: PackageState) -> list[Package]:
    """The packages in `state` that hold any of the case's items named."""
    return [
        p
        for p in stores.evidence.packages()
        if p.state == state and names & set(p.items.get(reference, ()))
    ]


def take_out(
    uow: UnitOfWork, stores: Stores, packages: list[Package], reference: str, names: set[str]
) -> None:
    """Stage each package (not yet handed over) without the case's items named; a case
    left with nothing in a package leaves it. Refused "package" if one changed meanwhile."""
    for package in packages:
        left = {
            r: kept
            for r, held in package.items.items()
            if (kept := tuple(n for n in held if r != reference or n not in names))
        }
        stores.evidence.save_package(uow, replace(package, items=left), was=package)


def anchor(
    stores: Stores, stamp: Callable[[bytes], bytes], day: str, now: dt.datetime | None = None
) -> Anchor | None:
    """The day's anchor: one RFC 3161 time stamp over the root of a Merkle tree of every
    chain's head as it stands (domain/evidence.py), so that no entry before it can be
    changed later without the stamp showing it. Once a day (a second run that day keeps
    the first); None when nothing is kept as evidence.

    The anchor itself is small (root, count, token). What shows one chain was so is kept
    with its case: a stamp (leaf and audit path) for each chain whose head is new since
    its last stamp; an unchanged head was proven on the day it first was. The anchor is
    claimed before the stamps are written: a run that dies between leaves those chains
    to the next day's anchor, which stamps every head not yet stamped."""
    if stores.evidence.anchor(day) is not None:
        return None
    heads: dict[str, tuple[int, str]] = {}
    new: dict[str, str] = {}  # item -> its case, for the heads not stamped as they stand
    for reference in stores.evidence.references():
        items, stamps = stores.evidence.items_and_stamps(reference)
        stamped = {s.item: (s.seq, s.head) for s in stamps}  # oldest first: the last wins
        for item in items:
            heads[item.item] = item.head
            if stamped.get(item.item) != item.head:
                new[item.item] = reference
    if not heads:
        return None
    root, leaves, proofs = anchor_heads(day, heads, set(new))
    made = Anchor(day, root, leaves, stamp(anchor_message(day, root, leaves)))
    if not stores.evidence.add_anchor(made):
        return None
    stores.evidence.add_stamps([(new[s.item], s) for s in proofs])
    log.info("anchored %d custody chains for %s (%d new heads)", leaves, day, len(proofs))
    return made
