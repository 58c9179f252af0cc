"""Shapes of the staff API's answers on evidence, as the console shows it: a case's
originals with their chains of custody (services/evidence_view.py), and the prosecutors'
packages with the cases that may go into one (services/evidence_packages.overview).
web/operations.py resolves a name here beside the other schema modules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.domain.case import iso


class CustodyStep(BaseModel):
    seq: int
    action: Literal[
        "received", "hashed", "copied", "viewed", "exported", "handed_over", "withdrawn"
    ]
    actor: str = Field(description="a staff member's id; reporter; homeward")
    at: str
    why: str
    detail: str
    previous: str
    hash: str


class EvidenceFile(BaseModel):
    item: str
    slot: int
    content_type: str
    size: int
    received_at: str
    sha256: str = Field(description="the original's, as received")
    working_sha256: str = Field(description="the copy staff open (a photo without metadata)")
    chain_holds: bool
    problems: list[str] = Field(description="what does not hold in the chain, each named")
    stamped_day: str | None = Field(description="the last daily RFC 3161 anchor over it")
    stamped_seq: int | None = Field(description="the custody entry that anchor fixed")
    custody: list[CustodyStep]


class CaseEvidence(BaseModel):
    standing: Literal["shown", "not_your_role", "no_consent", "withdrawn", "no_files"] = Field(
        description="shown; else why nothing is: not a coordinator with the evidence role, "
        "no evidence consent, consent withdrawn (when: withdrawn_at), no file sent"
    )
    consent_given_at: str | None
    withdrawn_at: str | None
    files: list[EvidenceFile]

    @classmethod
    def of(cls, found) -> CaseEvidence:
        return cls(
            standing=str(found.standing),  # type: ignore[arg-type]
            consent_given_at=iso(found.given_at) if found.given_at else None,
            withdrawn_at=iso(found.withdrawn_at) if found.withdrawn_at else None,
            files=[
                EvidenceFile(
                    item=s.item.item,
                    slot=s.item.slot,
                    content_type=s.item.content_type,
                    size=s.item.size,
                    received_at=iso(s.item.received_at),
                    sha256=s.item.sha256,
                    working_sha256=s.item.working_sha256,
                    chain_holds=not s.problems,
                    problems=[str(p) for p in s.problems],
                    stamped_day=s.stamped_day,
                    stamped_seq=s.stamped_seq,
                    custody=[CustodyStep(**e.as_record()) for e in s.chain],
                )
                for s in found.items
            ],
        )


class PackageEntry(BaseModel):
    package_id: str
    recipient: str
    built_at: str
    built_by: str
    cases: list[str]
    files: int
    state: Literal["built", "handed_over"]
    handed_over_at: str | None


class PackageChoice(BaseModel):
    reference: str
    allowed: bool = Field(description="false: no evidence consent (or it was withdrawn)")
    files: int = Field(description="the originals it would add; 0 when not allowed")


class EvidencePackages(BaseModel):
    packages: list[PackageEntry]
    cases: list[PackageChoice]

    @classmethod
    def of(cls, found) -> EvidencePackages:
        packages, choices = found
        return cls(
            packages=[
                PackageEntry(
                    package_id=p.package_id,
                    recipient=p.recipient,
                    built_at=iso(p.built_at),
                    built_by=p.built_by,
                    cases=list(p.references),
                    files=sum(len(i) for i in p.items.values()),
                    state=str(p.state),  # type: ignore[arg-type]
                    handed_over_at=iso(p.handed_over_at) if p.handed_over_at else None,
                )
                for p in packages
            ],
            cases=[
                PackageChoice(reference=c.reference, allowed=c.files > 0, files=c.files)
                for c in choices
            ],
        )
