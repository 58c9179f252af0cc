"""Staff as their colleagues know them: a name, a role, an agency; and who may take a case.

A staff member is recorded the first time they sign in to the console (and again when
their name or role changes), so that notes, decisions and the audit trail show names
rather than login ids, and so that a case is assigned to a person who exists, works
cases, and may open this one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.domain.staff import Role, StaffMember


@dataclass(frozen=True)
class Colleague:
    subject: str
    name: str | None
    role: Role
    agency: str
    seen_at: dt.datetime

    @classmethod
    def of(cls, staff: StaffMember, now: dt.datetime) -> Colleague:
        return cls(staff.subject, staff.name, staff.role, staff.agency, now)

    @property
    def shown(self) -> str:
        """What colleagues read: the name, or the agency and role when Cognito has none."""
        return self.name or f"{self.role}, {self.agency}"

    def same_person(self, other: Colleague) -> bool:
        """Nothing to record again: the same name, role and agency."""
        return (self.name, self.role, self.agency) == (other.name, other.role, other.agency)


@dataclass(frozen=True)
class StaffList:
    """Everyone recorded, by login id."""

    people: tuple[Colleague, ...] = ()

    def get(self, subject: str | None) -> Colleague | None:
        return next((p for p in self.people if p.subject == subject), None)

    def name_of(self, subject: str | None) -> str | None:
        """A login id as colleagues should read it; None for an id nobody recorded."""
        found = self.get(subject)
        return found.shown if found else None

    def assignable(self, caller: StaffMember, case_agencies: Iterable[str]) -> list[Colleague]:
        """Whom `caller` may give a case routed to `case_agencies`.

        Only people who work cases and may open this one: coordinators, and caseworkers of
        an agency the case was routed to. A caseworker chooses among the colleagues of
        their own agency; a coordinator among all of them.
        """
        agencies = set(case_agencies)
        chosen = [
            p
            for p in self.people
            if p.role == Role.COORDINATOR or (p.role == Role.CASEWORKER and p.agency in agencies)
        ]
        if not caller.is_coordinator:
            chosen = [p for p in chosen if p.agency == caller.agency]
        return sorted(chosen, key=lambda p: (p.shown.casefold(), p.subject))


class UnknownAssignee(ValueError):
    """Nobody by that id may be given this case (unknown, or not one who may work it)."""
