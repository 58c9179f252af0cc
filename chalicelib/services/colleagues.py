"""Staff as colleagues know them: recorded when they sign in, named instead of login ids,
and the only people a case can be assigned to."""

from __future__ import annotations

import datetime as dt
import time

from chalicelib.domain.colleagues import Colleague, StaffList, UnknownAssignee
from chalicelib.domain.staff import StaffMember
from chalicelib.services.access import Caller, refuse
from chalicelib.services.ports import StaffDirectory, Stores

__all__ = [
    "StaffCache",
    "UnknownAssignee",
    "assignable",
    "check_assignee",
    "record",
    "sign_out",
    "signed_out",
]


def record(staff: StaffMember, *, stores: Stores, now: dt.datetime | None = None) -> Colleague:
    """Remember who signed in, as their token says now (a new name, a new role)."""
    person = Colleague.of(staff, now or dt.datetime.now(dt.UTC))
    stores.staff.record(person)
    return person


def sign_out(session_id: str, until: int, *, stores: Stores) -> None:
    """End a console session on the server: a kept copy of its cookie opens nothing."""
    stores.staff.sign_out(session_id, until)


def signed_out(session_id: str, *, stores: Stores) -> bool:
    return stores.staff.signed_out(session_id)


def assignable(caller: Caller, agencies: frozenset[str], people: StaffList) -> list[Colleague]:
    return people.assignable(caller.staff, agencies)


def check_assignee(
    caller: Caller, reference: str, agencies: frozenset[str], subject: str, *, stores: Stores
) -> Colleague:
    """The colleague a case is being given to; UnknownAssignee (recorded) for anybody
    else: a free text, a person nobody recorded, or one who may not work this case."""
    person = stores.staff.get(subject)
    if person is None or person not in assignable(caller, agencies, StaffList((person,))):
        refuse(caller, reference, "assign", stores, UnknownAssignee(subject))
    assert person is not None
    return person


class StaffCache:
    """Everyone's names as the pages read them, read again at most once per `ttl`
    seconds by a warm function: a name changed at sign-in shows within that time."""

    def __init__(self, store: StaffDirectory, ttl: float) -> None:
        self._store = store
        self._ttl = ttl
        self._people = StaffList()
        self._loaded_at = float("-inf")

    def forget(self) -> None:
        self._loaded_at = float("-inf")

    def current(self) -> StaffList:
        if time.monotonic() - self._loaded_at > self._ttl:
            self._people = self._store.everyone()
            self._loaded_at = time.monotonic()
        return self._people
