"""Coalition staff: who they are and what their mandate lets them see and do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# An agency's code: its member state, then its own short name (UA-NIB, CA-RCMP...).
AGENCY_PATTERN = r"^[A-Z]{2}-[A-Z0-9-]{2,30}$"
AGENCY = re.compile(AGENCY_PATTERN)


class Role(StrEnum):
    """What a person does in the console; also the names of the user pool's groups."""

    CASEWORKER = "caseworker"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"
    # A person of a service provider's organisation (a clinic, a psychologist, legal
    # aid): they see only the referrals to their organisation (domain/aftercare.py).
    PROVIDER = "provider"


ROLES: tuple[Role, ...] = tuple(Role)
# A group held beside a role, never instead of one: coordinators who handle evidence.
EVIDENCE_GROUP = "evidence"
# Those who work cases (acknowledge, note, move, assign); an auditor only reads.
WORKERS: tuple[Role, ...] = (Role.CASEWORKER, Role.COORDINATOR)


class InvalidToken(Exception):
    """The sign-in token is missing, forged, expired, or not for Homeward. Says no more."""


@dataclass(frozen=True)
class StaffMember:
    """The verified identity behind a staff request (from a Cognito ID token)."""

    subject: str
    role: Role
    agency: str
    # The person's display name (Cognito's `name`), shown to colleagues instead of ids.
    name: str | None = None
    # A verified e-mail address: the alerts sent to a contact at this address are the
    # person's own to acknowledge in the console.
    email: str | None = None
    # The evidence role (the user pool's `evidence` group, beside the role): a coordinator
    # who may see originals and custody and build prosecutors' packages (domain/evidence.py).
    evidence: bool = False

    def may_read_case(self, case_agencies: Iterable[str]) -> bool:
        """Coordinators see every case; caseworkers only those routed to their agency."""
        if self.is_coordinator:
            return True
        return self.is_caseworker and self.agency in set(case_agencies)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def is_caseworker(self) -> bool:
        return self.role == Role.CASEWORKER

    @property
    def works_cases(self) -> bool:
        return self.role in WORKERS

    @property
    def provides_services(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def reads_audit(self) -> bool:
        return self.role == Role.AUDITOR
