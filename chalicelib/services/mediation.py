"""Mediation lists: a coordinator lists verified children for a named mediator and
exports exactly what the disclosure policy releases to a mediator.

Adding a child takes its return pathway to "on a mediation list" in the same unit of
work; each export is a new version of the list, audited on every case it holds. A child
whose reporter's consent no longer allows it (withdrawn since, say) is left out of the
export and counted, never named.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.aftercare import AftercareError, FollowUpPolicy, ReturnStage
from chalicelib.domain.disclosure import Release, may_release, released
from chalicelib.domain.mediation import MediationList
from chalicelib.domain.referrals import ConsentMissing
from chalicelib.services.access import Caller, require_role, visible_case
from chalicelib.services.aftercare import alert_step, commit, record_of
from chalicelib.services.ports import Stores

# The audit trail of mediation lists themselves, beside the cases'.
MEDIATION_TRAIL = "mediation"


class ListNotFound(Exception):
    pass


@dataclass(frozen=True)
class ListExport:
    listed: MediationList
    version: int
    children: list[dict[str, Any]]
    # Children on the list whose consent no longer lets them be released.
    withheld: int


def _coordinator(caller: Caller, action: str, stores: Stores) -> None:
    require_role(caller, caller.staff.is_coordinator, MEDIATION_TRAIL, action, stores)


def _list(list_id: str, stores: Stores) -> MediationList:
    found = stores.aftercare.mediation_list(list_id)
    if found is None:
        raise ListNotFound()
    return found


def lists(caller: Caller, *, stores: Stores) -> list[MediationList]:
    _coordinator(caller, "mediation-lists", stores)
    return stores.aftercare.mediation_lists()


def create_list(
    caller: Caller, *, mediator: str, stores: Stores, now: dt.datetime
) -> MediationList:
    _coordinator(caller, "mediation-list", stores)
    if not mediator.strip():
        raise AftercareError("name the mediator")
    listed = MediationList(
        list_id=secrets.token_hex(4),
        mediator=mediator.strip(),
        created_by=caller.staff.subject,
        created_at=now,
    )
    uow = stores.unit_of_work()
    stores.aftercare.save_list(uow, listed)
    stores.audit.add(uow, caller.entry(MEDIATION_TRAIL, "mediation-list", detail=listed.list_id))
    commit(uow)
    return listed.model_copy(update={"version": 1})


def add_child(
    caller: Caller,
    list_id: str,
    reference: str,
    *,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
    on: dt.date | None = None,
) -> MediationList:
    """Put a verified child on the list (`on` that day, today unless recorded after the
    fact): their pathway moves on in the same write."""
    _coordinator(caller, "mediation-list", stores)
    listed = _list(list_id, stores)
    case = visible_case(caller, reference, "mediation-list", stores)
    if not may_release(Release.MEDIATION, case.case.consent):
        raise ConsentMissing(
            "the reporter did not allow tracing and sharing with the authorities: "
            "a mediator may not receive this child"
        )
    record = record_of(case, stores)
    if record.stage != ReturnStage.VERIFIED:
        raise AftercareError("only a verified child is put on a mediation list")
    moved = record.step(
        ReturnStage.ON_MEDIATION_LIST,
        on=on or now.date(),
        by=caller.staff.subject,
        agency=caller.staff.agency,
        how=f"on the list for {listed.mediator}",
        now=now,
    )
    grown = listed.with_child(reference)
    uow = stores.unit_of_work()
    stores.aftercare.save_list(uow, grown)
    stores.aftercare.save(uow, moved, follow_up_due=moved.next_follow_up(policy))
    stores.audit.add(uow, caller.entry(reference, "mediation-list", detail=list_id, at=now))
    alert_step(uow, case, moved, stores=stores, now=now)
    commit(uow)
    return grown.model_copy(update={"version": grown.version + 1})


def export_list(caller: Caller, list_id: str, *, stores: Stores, now: dt.datetime) -> ListExport:
    """The mediator's fields of every child on the list, as a new version of the list."""
    _coordinator(caller, "mediation-export", stores)
    listed = _list(list_id, stores)
    exported = listed.exported(by=caller.staff.subject, now=now)
    version = exported.exports[-1].version
    children, withheld = [], 0
    for reference in listed.references:
        case = stores.cases.get(reference)
        if case is None or not may_release(Release.MEDIATION, case.consent):
            withheld += 1
            continue
        children.append(released(Release.MEDIATION, case.report.model_dump(mode="json")))
    uow = stores.unit_of_work()
    stores.aftercare.save_list(uow, exported)
    stores.audit.add(
        uow, caller.entry(MEDIATION_TRAIL, "mediation-export", detail=f"{list_id} v{version}")
    )
    commit(uow)
    # Each child's own trail says they left in this export (recorded once it was made).
    stores.audit.record(
        [
            caller.entry(r, "mediation-export", detail=f"{list_id} v{version}", at=now)
            for r in listed.references
        ]
    )
    saved = exported.model_copy(update={"version": exported.version + 1})
    return ListExport(saved, version, children, withheld)
