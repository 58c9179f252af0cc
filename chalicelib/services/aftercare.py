"""The return and the help after it, as staff and service providers work it.

Caseworkers (in the case's mandate) and coordinators record the return pathway, the
family's consent, the needs, services, referrals and follow-ups, and ask for closure; a
coordinator approves closures and may refer without consent, with a reason (audited, the
auditors alerted). A provider's people see only the referrals to their organisation, and
of each only what the disclosure policy releases for a referral.

Every change is one unit of work: the record (guarded by its version), the pointers that
find it, its audit entry and any alert it causes. Every read is audited before it is
answered.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.aftercare import Aftercare, ClosureReason, FollowUpPolicy, ReturnStage
from chalicelib.domain.alerts import Alert
from chalicelib.domain.casefile import CaseFile
from chalicelib.domain.errors import Refused
from chalicelib.domain.kpis import return_kpis
from chalicelib.domain.referrals import (
    Need,
    Service,
    ServiceType,
)
from chalicelib.domain.staff import Role
from chalicelib.services.access import Caller, require_role, visible_case
from chalicelib.services.ports import Stores


@dataclass(frozen=True)
class ReturnFile:
    """A case's return record, as staff who may work the case see it."""

    record: Aftercare
    policy: FollowUpPolicy
    now: dt.datetime

    @property
    def next_follow_up(self) -> dt.date | None:
        return self.record.next_follow_up(self.policy)

    @property
    def overdue(self) -> bool:
        return self.record.overdue(self.policy, self.now) is not None


# -- reading and saving ------------------------------------------------------------------


def record_of(case: CaseFile, stores: Stores) -> Aftercare:
    found = stores.aftercare.get(case.reference)
    if found is not None:
        return found
    return Aftercare(
        reference=case.reference, oblast=case.case.oblast, received_at=case.case.received_at
    )


# Reads and writes of one change before a race is the caller's to retry.
ATTEMPTS = 3


class RecordChanged(Exception):
    """Someone changed the child's record (or the list) between this read and write."""


def commit(uow: Any) -> None:
    try:
        uow.commit()
    except Refused as refused:
        if "aftercare" in refused.names or "mediation-list" in refused.names:
            raise RecordChanged() from None
        raise


def save_retrying(
    step,
    caller: Caller,
    reference: str,
    action: str,
    *,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
    detail: str | None = None,
    extra=None,
):
    """Write what `step()` makes of the record as it reads it now (it returns the changed
    record and whatever its caller wants back), with the audit entry and what `extra`
    stages, in one unit of work. When another write came first (the overdue schedule, a
    colleague's step, a provider's answer), the step runs again on the new record, a few
    times, before the caller is told. Returns what the last step returned."""
    attempts = 0
    while True:
        changed, result = step()
        uow = stores.unit_of_work()
        stores.aftercare.save(uow, changed, follow_up_due=changed.next_follow_up(policy))
        stores.audit.add(uow, caller.entry(reference, action, detail=detail, at=now))
        if extra is not None:
            extra(uow, changed)
        try:
            commit(uow)
            return changed, result
        except RecordChanged:
            attempts += 1
            if attempts == ATTEMPTS:
                raise


def change_record(
    caller: Caller,
    reference: str,
    action: str,
    change,
    *,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
    detail: str | None = None,
    extra=None,
) -> ReturnFile:
    """Read the record, apply `change` (a domain step, which refuses in words), and write
    it with its audit entry (and what `extra` stages) in one unit of work.

    A change is a function of the record as read: when another write came first (the
    overdue schedule marking the record, a colleague's step), it is read and applied
    again, a few times, before the caller is told."""
    case = visible_case(caller, reference, action, stores)
    changed, _ = save_retrying(
        lambda: (change(record_of(case, stores)), None),
        caller,
        reference,
        action,
        stores=stores,
        policy=policy,
        now=now,
        detail=detail,
        extra=None if extra is None else lambda uow, record: extra(uow, case, record),
    )
    return ReturnFile(changed.model_copy(update={"version": changed.version + 1}), policy, now)


def read_return(
    caller: Caller, reference: str, *, stores: Stores, policy: FollowUpPolicy, now: dt.datetime
) -> ReturnFile:
    case = visible_case(caller, reference, "read-return", stores)
    stores.audit.record([caller.entry(reference, "read-return", at=now)])
    return ReturnFile(record_of(case, stores), policy, now)


# -- the pathway, consent, needs, services ------------------------------------------------


def record_step(
    caller: Caller,
    reference: str,
    *,
    stage: ReturnStage,
    on: dt.date,
    how: str,
    with_whom: str | None = None,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    def change(record: Aftercare) -> Aftercare:
        staff = caller.staff
        return record.step(
            stage,
            on=on,
            by=staff.subject,
            agency=staff.agency,
            how=how,
            now=now,
            with_whom=with_whom,
        )

    return change_record(
        caller,
        reference,
        "return-step",
        change,
        stores=stores,
        policy=policy,
        now=now,
        detail=str(stage),
        extra=lambda uow, case, record: alert_step(uow, case, record, stores=stores, now=now),
    )


def alert_step(uow: Any, case: CaseFile, record: Aftercare, *, stores: Stores, now) -> None:
    """Stage, with the step's write, the alert to the desk that owns the next step
    (domain/routing.py): the stage in words, never the route or the journey's dates."""
    alert = Alert.return_step(case.case, str(record.stage), len(record.steps), now)
    stores.alerts.add(uow, alert, name="step-alert")


def record_consent(
    caller: Caller,
    reference: str,
    *,
    services: bool,
    disclosure: bool,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    def change(record: Aftercare) -> Aftercare:
        return record.with_consent(services, disclosure, by=caller.staff.subject, now=now)

    detail = f"services={'yes' if services else 'no'} disclosure={'yes' if disclosure else 'no'}"
    return change_record(
        caller,
        reference,
        "services-consent",
        change,
        stores=stores,
        policy=policy,
        now=now,
        detail=detail,
    )


def assess_needs(
    caller: Caller,
    reference: str,
    *,
    needs: tuple[Need, ...],
    on: dt.date,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    def change(record: Aftercare) -> Aftercare:
        return record.assessed(needs, on=on, by=caller.staff.subject)

    detail = ", ".join(str(n.type) for n in needs)
    return change_record(
        caller, reference, "needs", change, stores=stores, policy=policy, now=now, detail=detail
    )


def plan_service(
    caller: Caller,
    reference: str,
    *,
    service: ServiceType,
    agency: str,
    due: dt.date,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    planned = Service(
        service_id=secrets.token_hex(4),
        type=service,
        agency=agency,
        due=due,
        planned_by=caller.staff.subject,
        planned_at=now,
    )
    return change_record(
        caller,
        reference,
        "service",
        lambda r: r.planned(planned),
        stores=stores,
        policy=policy,
        now=now,
        detail=f"{service} by {agency}",
    )


def record_service_done(
    caller: Caller,
    reference: str,
    service_id: str,
    *,
    on: dt.date,
    outcome: str,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    return change_record(
        caller,
        reference,
        "service-done",
        lambda r: r.service_done(service_id, on=on, outcome=outcome),
        stores=stores,
        policy=policy,
        now=now,
        detail=service_id,
    )


# -- follow-ups and closure --------------------------------------------------------------


def record_follow_up(
    caller: Caller,
    reference: str,
    *,
    on: dt.date,
    note: str,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    def change(record: Aftercare) -> Aftercare:
        return record.followed_up(on=on, by=caller.staff.subject, note=note, now=now, policy=policy)

    return change_record(
        caller, reference, "follow-up", change, stores=stores, policy=policy, now=now
    )


def alert_overdue_follow_ups(
    *, stores: Stores, policy: FollowUpPolicy, now: dt.datetime, limit: int = 100
) -> int:
    """The schedule: each case whose follow-up is late alerts its desk, once per due date
    (the alert's name carries the date: a second run finds it written and moves on)."""
    alerted = 0
    due_cases = stores.aftercare.follow_ups_due_before(now.date(), limit=limit)
    briefs = {}
    for start in range(0, len(due_cases), 50):
        briefs.update(stores.case_index.briefs(due_cases[start : start + 50]))
    for reference in due_cases:
        record = stores.aftercare.get(reference)
        brief = briefs.get(reference)
        due = record.overdue(policy, now) if record is not None else None
        if due is None or brief is None or record.overdue_alerted == due:
            continue
        location = brief.report.last_known_location if brief.report else None
        country = location.country if location else None
        changed = record.model_copy(update={"overdue_alerted": due})
        uow = stores.unit_of_work()
        stores.aftercare.save(uow, changed, follow_up_due=changed.next_follow_up(policy))
        alert = Alert.follow_up_overdue(brief.summary, country, due, now)
        stores.alerts.add(uow, alert, name="follow-up-alert")
        try:
            uow.commit()
        except Refused:
            continue  # another run (or a change to the record) came first
        alerted += 1
    return alerted


def request_closure(
    caller: Caller,
    reference: str,
    *,
    reason: ClosureReason,
    note: str,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    def change(record: Aftercare) -> Aftercare:
        return record.closure_requested(reason, note, by=caller.staff.subject, now=now)

    def extra(uow: Any, case: CaseFile, changed: Aftercare) -> None:
        stores.aftercare.closure_waiting(uow, reference, True)

    return change_record(
        caller,
        reference,
        "closure-requested",
        change,
        stores=stores,
        policy=policy,
        now=now,
        detail=str(reason),
        extra=extra,
    )


def decide_closure(
    caller: Caller,
    reference: str,
    *,
    approve: bool,
    note: str | None,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> ReturnFile:
    require_role(caller, caller.staff.is_coordinator, reference, "closure", stores)

    def change(record: Aftercare) -> Aftercare:
        return record.closure_decided(approve, by=caller.staff.subject, now=now, note=note)

    def extra(uow: Any, case: CaseFile, changed: Aftercare) -> None:
        stores.aftercare.closure_waiting(uow, reference, False)

    return change_record(
        caller,
        reference,
        "closure-approved" if approve else "closure-refused",
        change,
        stores=stores,
        policy=policy,
        now=now,
        extra=extra,
    )


def closures_waiting(
    caller: Caller, *, stores: Stores, policy: FollowUpPolicy, now: dt.datetime
) -> list[ReturnFile]:
    require_role(caller, caller.staff.is_coordinator, "closures", "closures", stores)
    records = [stores.aftercare.get(r) for r in stores.aftercare.closures_waiting()]
    found = [ReturnFile(r, policy, now) for r in records if r is not None]
    stores.audit.record([caller.entry(f.record.reference, "list") for f in found])
    return found


# -- key figures -------------------------------------------------------------------------


def kpis(caller: Caller, *, stores: Stores, policy: FollowUpPolicy, now: dt.datetime) -> dict:
    """Counts and days only, no child in them: for coordinators and auditors (a figure per
    oblast could single a child out to an agency outside its mandate)."""
    require_role(
        caller, caller.staff.role in (Role.COORDINATOR, Role.AUDITOR), "kpis", "kpis", stores
    )
    return return_kpis(stores.aftercare.all(), policy, now)
