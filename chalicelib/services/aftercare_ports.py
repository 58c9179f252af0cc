"""What the return's use cases need from storage (services/ports.py's `Stores.aftercare`):
a case's return record, mediation lists, and the pointers that find them. Beside
services/ports.py, in the same terms: every write staged into a unit of work."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from chalicelib.domain.aftercare import Aftercare
from chalicelib.domain.mediation import MediationList
from chalicelib.domain.referrals import Referral

UnitOfWork = Any


class AftercareStore(Protocol):
    """A case's return record (domain/aftercare.py), mediation lists, and their pointers."""

    def get(self, reference: str) -> Aftercare | None: ...
    def save(self, uow: UnitOfWork, record: Aftercare, *, follow_up_due: dt.date | None) -> None:
        """Refused ("aftercare") unless the stored record is at `record.version`; the
        reporter's word of it (domain/progress.py return_stage) is kept beside the case."""
        ...

    def reporter_word(self, reference: str) -> str | None:
        """The return's word for the reporter's status page, and nothing else of it."""
        ...

    def all(self) -> list[Aftercare]: ...
    def follow_ups_due_before(self, day: dt.date, limit: int = 100) -> list[str]: ...
    def add_referral(self, uow: UnitOfWork, referral: Referral) -> None: ...
    def referrals_of(self, provider: str, limit: int = 200) -> list[tuple[str, str]]: ...
    def closure_waiting(self, uow: UnitOfWork, reference: str, waiting: bool) -> None: ...
    def closures_waiting(self) -> list[str]: ...
    def mediation_list(self, list_id: str) -> MediationList | None: ...
    def save_list(self, uow: UnitOfWork, listed: MediationList) -> None:
        """Refused ("mediation-list") unless the stored list is at `listed.version`."""
        ...

    def mediation_lists(self) -> list[MediationList]: ...
    def erase(self, uow: UnitOfWork, record: Aftercare) -> None:
        """The record, its referrals in the providers' inboxes and its closure marker
        deleted (a case anonymised: services/erasure.py); deleting what is gone is no error."""
        ...
