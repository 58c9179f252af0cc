"""Evidence for justice: originals, their chain of custody, and what a court can check.

A reporter may agree, apart from every other consent, that what they sent "may be used as
evidence by prosecutors" (`Consent.evidence`, never implied by tracing or sharing). Then
every file of the report is kept twice: the working copy staff open (a photo re-encoded,
its metadata gone: domain/images.py), and the original, byte for byte as received, in
the evidence bucket under S3 Object Lock (adapters/evidence_files.py).

Each original is an evidence item with a chain of custody: an append-only list of
entries (received, hashed, copied, viewed, exported, handed over, withdrawn; who, when,
why), each entry's hash covering the entry before it, written in the same transaction as
what it records. Changing or removing one entry breaks every hash after it; a daily RFC
3161 timestamp over a Merkle tree of every chain's head (services/evidence.py, below)
fixes when the chain was so.

Everything here is pure: the hashes a prosecutor's verifier recomputes offline are
these functions, and `chalicelib/evidence_check.py` uses them without AWS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain import merkle

# The hash before a chain's first entry.
GENESIS = "0" * 64


class CustodyAction(StrEnum):
    """What happened to an evidence item, in the Berkeley Protocol's sense of custody."""

    RECEIVED = "received"  # the file arrived from the reporter, as it is kept
    HASHED = "hashed"  # its SHA-256 was computed and recorded
    COPIED = "copied"  # a working copy was made for staff (a photo without metadata)
    VIEWED = "viewed"  # a staff member opened the working copy
    EXPORTED = "exported"  # the original was put in a prosecutor's package
    HANDED_OVER = "handed_over"  # that package was given to its recipient
    WITHDRAWN = "withdrawn"  # the reporter (or a statement's witness) withdrew the consent
    ERASED = "erased"  # a statement's words went at its case's retention; its hash stays


# Who acts when no staff member does: the reporter's own upload, Homeward's intake.
REPORTER = "reporter"
HOMEWARD = "homeward"

# Why staff saw a working copy ("viewed"): kept in the chain as written, worded by the
# console (web/console/evidence.py).
OPENED = "opened in the console"
SHOWN_SMALL = "shown small beside another report"


@dataclass(frozen=True)
class CustodyEntry:
    """One step of an item's custody. `why` and `detail` carry no personal data."""

    item: str
    seq: int
    action: CustodyAction
    actor: str
    at: dt.datetime
    why: str
    detail: str = ""
    previous: str = GENESIS
    hash: str = ""

    def body(self) -> dict[str, object]:
        """What the hash covers: every field but the hash itself, the previous hash too."""
        return {
            "item": self.item,
            "seq": self.seq,
            "action": str(self.action),
            "actor": self.actor,
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "why": self.why,
            "detail": self.detail,
            "previous": self.previous,
        }

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical(self.body())).hexdigest()

    def as_record(self) -> dict[str, object]:
        return self.body() | {"hash": self.hash}

    @classmethod
    def from_record(cls, record: dict) -> CustodyEntry:
        return cls(
            item=str(record["item"]),
            seq=int(record["seq"]),
            action=CustodyAction(record["action"]),
            actor=str(record["actor"]),
            at=dt.datetime.fromisoformat(str(record["at"])),
            why=str(record["why"]),
            detail=str(record.get("detail") or ""),
            previous=str(record["previous"]),
            hash=str(record.get("hash") or ""),
        )


def canonical(value: object) -> bytes:
    """The one byte form of a record that is hashed or signed: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Step:
    """What is about to be recorded, before it takes its place in a chain."""

    action: CustodyAction
    actor: str
    why: str
    detail: str = ""


def extend(
    item: str, head: tuple[int, str] | None, steps: list[Step], at: dt.datetime
) -> list[CustodyEntry]:
    """The entries that follow `head` (the last entry's seq and hash; None: a new chain)."""
    seq, previous = (-1, GENESIS) if head is None else head
    entries = []
    for step in steps:
        seq += 1
        entry = CustodyEntry(
            item, seq, step.action, step.actor, at, step.why, step.detail, previous
        )
        entry = CustodyEntry(**{**entry.__dict__, "hash": entry.computed_hash()})
        entries.append(entry)
        previous = entry.hash
    return entries


class ChainFault(StrEnum):
    """How one custody entry fails its chain."""

    OUT_OF_PLACE = "out_of_place"  # missing or reordered entries
    BROKEN_LINK = "broken_link"  # it does not follow the entry before it
    CHANGED = "changed"  # its hash is not that of its contents


@dataclass(frozen=True)
class ChainProblem:
    """One fault of one entry: the verifier prints it (`str`), the console words it in
    the reader's language from `fault` and `seq` (an entry's position, from 0)."""

    item: str
    seq: int
    fault: ChainFault

    def __str__(self) -> str:
        name = f"custody entry {self.seq} of {self.item}"
        return {
            ChainFault.OUT_OF_PLACE: f"{name} is out of place (missing or reordered entries)",
            ChainFault.BROKEN_LINK: f"{name} does not follow the entry before it",
            ChainFault.CHANGED: f"{name} was changed after it was written (its hash differs)",
        }[self.fault]


def chain_problems(item: str, entries: list[CustodyEntry]) -> list[ChainProblem]:
    """What does not hold in one item's chain, each named (empty: the chain holds)."""
    problems = []
    previous = GENESIS
    for expected, entry in enumerate(entries):
        if entry.item != item or entry.seq != expected:
            problems.append(ChainProblem(item, expected, ChainFault.OUT_OF_PLACE))
        if entry.previous != previous:
            problems.append(ChainProblem(item, expected, ChainFault.BROKEN_LINK))
        if entry.computed_hash() != entry.hash:
            problems.append(ChainProblem(item, expected, ChainFault.CHANGED))
        previous = entry.hash
    return problems


@dataclass(frozen=True)
class EvidenceItem:
    """One original kept as evidence: where it lies, what it is, and its chain's head."""

    item: str
    reference: str
    slot: int
    key: str
    version_id: str | None
    sha256: str
    size: int
    content_type: str
    received_at: dt.datetime
    head_seq: int
    head_hash: str
    # The working copy staff open (a re-encoded photo's own hash; else the original's).
    working_sha256: str

    @property
    def head(self) -> tuple[int, str]:
        return self.head_seq, self.head_hash


def item_id(reference: str, slot: int) -> str:
    """An evidence item's name: the case's reference and the file's slot on it."""
    return f"{reference}-{slot}"


def intake_steps(sha256: str, size: int, working_sha256: str) -> list[Step]:
    """The first three entries of every original: as it arrived, its hash, its copy."""
    copied = (
        "working copy re-encoded without metadata, sha256 " + working_sha256
        if working_sha256 != sha256
        else "working copy identical to the original"
    )
    return [
        Step(CustodyAction.RECEIVED, REPORTER, "filed with the report", f"{size} bytes"),
        Step(CustodyAction.HASHED, HOMEWARD, "on receipt", f"sha256 {sha256}"),
        Step(CustodyAction.COPIED, HOMEWARD, "for staff to view", copied),
    ]


# -- the daily anchor: every chain's head under one RFC 3161 time stamp -----------------
#
# Once a day every chain's head (its last entry's number and hash) becomes a leaf,
# canonical {"item", "seq", "head"}, of a Merkle tree built as Certificate Transparency
# builds one (domain/merkle.py, RFC 6962), its leaves in the order of the items' names.
# The Time-Stamp Authority's token is over `anchor_message`: canonical {"day", "root",
# "leaves"}, the tree's root (hex) and how many leaves it has. So the day's anchor is a few
# hundred bytes whatever the number of items, and what shows that one item's chain was so
# that day is its leaf and audit path (a `Stamp`): a package carries those of its own
# items only, and names no other case (a sibling on the path is a hash, nothing more).


@dataclass(frozen=True)
class Anchor:
    """One day's time stamp: the root over every chain's head, their count, the token."""

    day: str
    root: str
    leaves: int
    token: bytes = b""

    def message(self) -> bytes:
        return anchor_message(self.day, self.root, self.leaves)


def anchor_message(day: str, root: str, leaves: int) -> bytes:
    """What the Time-Stamp Authority's token is over (its SHA-256 is the imprint)."""
    return canonical({"day": day, "root": root, "leaves": leaves})


@dataclass(frozen=True)
class Stamp:
    """One chain's head under one day's anchor: the leaf (item, seq, head), its place
    among the day's leaves and its audit path (sibling hashes, hex, leaf to root)."""

    day: str
    item: str
    seq: int
    head: str
    index: int
    path: tuple[str, ...]

    def leaf(self) -> bytes:
        return leaf_of(self.item, self.seq, self.head)

    def root(self, leaves: int) -> str | None:
        """The root this leaf and path lead to in a tree of `leaves` (None: they cannot)."""
        try:
            path = [bytes.fromhex(step) for step in self.path]
        except ValueError:
            return None
        found = merkle.root_from_path(self.leaf(), self.index, leaves, path)
        return found.hex() if found else None

    def under(self, anchor: Anchor) -> bool:
        return self.day == anchor.day and self.root(anchor.leaves) == anchor.root

    def as_record(self) -> dict[str, object]:
        return {"seq": self.seq, "head": self.head, "index": self.index, "path": list(self.path)}

    @classmethod
    def from_record(cls, day: str, item: str, record: dict) -> Stamp:
        return cls(
            day,
            item,
            int(record["seq"]),
            str(record["head"]),
            int(record["index"]),
            tuple(str(s) for s in record["path"]),
        )


def leaf_of(item: str, seq: int, head: str) -> bytes:
    return canonical({"item": item, "seq": seq, "head": head})


def anchor_heads(
    day: str, heads: dict[str, tuple[int, str]], proving: set[str]
) -> tuple[str, int, list[Stamp]]:
    """The day's tree over `heads` (item -> (seq, hash)): its root (hex), its number of
    leaves, and the stamps (leaf and audit path) of the items in `proving`."""
    names = sorted(heads)
    built = merkle.levels([leaf_of(n, *heads[n]) for n in names])
    stamps = [
        Stamp(
            day, name, *heads[name], index, tuple(s.hex() for s in merkle.audit_path(built, index))
        )
        for index, name in enumerate(names)
        if name in proving
    ]
    return built[-1][0].hex(), len(names), stamps


# -- the prosecutor's package -----------------------------------------------------------


class PackageState(StrEnum):
    BUILT = "built"  # made, not yet given: a withdrawal still takes items out
    HANDED_OVER = "handed_over"  # given to its recipient: recorded, final


PACKAGE_README = """\
Homeward evidence package
=========================

Prepared by the International Coalition for the Return of Ukrainian Children for:
    {recipient}
Built {built}.

What is inside
- originals/      each file exactly as the reporter sent it (before any metadata
                  was removed for staff viewing)
- statements/     each witness statement the witness agreed prosecutors may use, as
                  it was sealed when taken: canonical JSON (sorted keys, no spaces)
                  whose SHA-256 is in the manifest; what the witness saw themselves
                  ("account.saw") kept apart from what they heard from others
                  ("account.heard"); a correction is a further statement whose
                  "adds_to" names the one it adds to
- custody/        each file's and statement's chain of custody, one JSON entry per
                  line; every entry's "hash" is the SHA-256 of its other fields
                  (sorted keys, no spaces), "previous" included, so no entry can
                  change or go missing unnoticed
- timestamps/     per day that time-stamped these files' chains: DAY.tsr, the RFC 3161
                  time-stamp response, and DAY.json, what it covers: the root of that
                  day's Merkle tree over every chain's head Homeward keeps (RFC 6962:
                  SHA-256, leaf 0x00, node 0x01), its number of leaves, and for each
                  chain in this package only, its leaf ({{"item", "seq", "head"}}, sorted
                  keys, no spaces), its place in the tree and its audit path. The
                  token's imprint is the SHA-256 of {{"day", "root", "leaves"}} (sorted
                  keys, no spaces); no other case is named
- tsa.pem         the Time-Stamp Authority's certificate
- manifest.json   per file and statement: its SHA-256, size and type, when it was
                  received, the consent to its use as evidence (the reporter's for
                  a file, the witness's for a statement) and the legal basis
- manifest.sig    Homeward's signature over manifest.json (Ed25519), with the public key
                  in signer.pem

How to check it, offline
    pip install homeward   (or a clone of the repository)
    homeward evidence verify THIS-PACKAGE.zip

The command recomputes every hash, walks every chain, climbs each audit path to its
day's root, checks every time stamp is over that root and against tsa.pem, and the
signature against signer.pem, and names anything that does not hold.

Homeward never asks a child to give a statement: every statement here was given by
an adult, as its taker confirmed ("witness.adult_confirmed").
"""


@dataclass(frozen=True)
class Package:
    """A prosecutor's package, as Homeward remembers it (the zip lies in the bucket)."""

    package_id: str
    recipient: str
    built_at: dt.datetime
    built_by: str
    # The evidence items inside, by case: a withdrawal takes a case's out before hand-over.
    items: dict[str, tuple[str, ...]]
    key: str
    sha256: str
    state: PackageState = PackageState.BUILT
    handed_over_at: dt.datetime | None = None

    @property
    def references(self) -> tuple[str, ...]:
        return tuple(sorted(self.items))
