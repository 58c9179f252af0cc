"""Coalition staff: who they are and what their mandate lets them see and do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# An agency's code: its member state, then its own short name (UA-NIB, CA-RCMP...).
AGENCY_PATTERN = r"^[A-Z]{2}-[A-Z0-9-]{2,30}$"
AGENCY = re.compile(AGENCY_PATTERN)

# A provider is a person of a service provider's organisation (a clinic, a psychologist,
# legal aid): they see only the referrals to their organisation (domain/aftercare.py).
Role = Literal["caseworker", "coordinator", "auditor", "provider"]
ROLES: tuple[Role, ...] = ("caseworker", "coordinator", "auditor", "provider")


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

    def may_read_case(self, case_agencies: Iterable[str]) -> bool:
        """Coordinators see every case; caseworkers only those routed to their agency."""
        if self.role == "coordinator":
            return True
        return self.role == "caseworker" and self.agency in set(case_agencies)

    @property
    def works_cases(self) -> bool:
        return self.role in ("caseworker", "coordinator")

    @property
    def provides_services(self) -> bool:
        return self.role == "provider"

    @property
    def reads_audit(self) -> bool:
        return self.role == "auditor"
