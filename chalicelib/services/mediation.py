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
from chalicelib.domain.mediation import (
    ANSWER_MOVES,
    AnswerLine,
    AnswerRefused,
    MediationList,
    RecordedAnswer,
)
from chalicelib.domain.referrals import ConsentMissing, Why
from chalicelib.services.access import Caller, require_role, visible_case
from chalicelib.services.aftercare import (
    ATTEMPTS,
    RecordChanged,
    alert_step,
    commit,
    record_of,
    save_retrying,
)
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
        raise AftercareError(Why.NAME_MEDIATOR)
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
        raise ConsentMissing(Why.NO_TRACING)
    record = record_of(case, stores)
    if record.stage != ReturnStage.VERIFIED:
        raise AftercareError(Why.NOT_VERIFIED)
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
    children, withheld, lines = [], 0, []
    for reference in listed.references:
        case = stores.cases.get(reference)
        if case is None or not may_release(Release.MEDIATION, case.consent):
            withheld += 1
            continue
        lines.append(reference)
        children.append(released(Release.MEDIATION, case.report.model_dump(mode="json")))
    exported = listed.exported(by=caller.staff.subject, now=now, references=tuple(lines))
    version = exported.exports[-1].version
    uow = stores.unit_of_work()
    stores.aftercare.save_list(uow, exported)
    stores.audit.add(
        uow, caller.entry(MEDIATION_TRAIL, "mediation-export", detail=f"{list_id} v{version}")
    )
    commit(uow)
    # Each child's own trail says they left in this export (recorded once it was made).
    stores.audit.record(
        [caller.entry(r, "mediation-export", detail=f"{list_id} v{version}", at=now) for r in lines]
    )
    saved = exported.model_copy(update={"version": exported.version + 1})
    return ListExport(saved, version, children, withheld)


@dataclass(frozen=True)
class AnswerImported:
    listed: MediationList
    # The lines taken now (a line imported before is taken once, and not listed again)...
    taken: list[RecordedAnswer]
    # ...and those a change to the child's pathway overtook between the check and the
    # write (each with why): said, never dropped silently.
    overtaken: list[tuple[int, str]]


def import_answer(
    caller: Caller,
    list_id: str,
    *,
    version: int,
    lines: list[AnswerLine],
    on: dt.date | None = None,
    stores: Stores,
    policy: FollowUpPolicy,
    now: dt.datetime,
) -> AnswerImported:
    """The mediator's answer to export `version` of the list, line by line: every line is
    checked before any is taken (AnswerRefused names each line that cannot be, and then
    none is). Each child's pathway moves as the answer says (being returned: on the way
    home; not found or refused: back to verified, for another list), audited and alerting
    the desk of the next step; the answers are recorded on the list. `on`: the day the
    answer came (today unless recorded after the fact)."""
    _coordinator(caller, "mediation-answer", stores)
    listed = _list(list_id, stores)
    export = next((e for e in listed.exports if e.version == version), None)
    stages = {}
    for reference in export.references if export else ():
        record = stores.aftercare.get(reference) if reference else None
        stages[reference] = record.stage if record else None
    try:
        taken = listed.answer_lines(version, lines, stages)
    except AnswerRefused as refused:
        stores.audit.record(
            [caller.entry(MEDIATION_TRAIL, "refused", detail=f"answer {list_id} v{version}")]
        )
        raise refused from None
    recorded, overtaken = [], []
    for line, reference in taken:
        case = visible_case(caller, reference, "mediation-answer", stores)
        moves_to = ANSWER_MOVES[line.answer]
        how = f"{listed.mediator}: {line.answer}" + (f" ({line.note})" if line.note else "")

        def step(case=case, moves_to=moves_to, how=how):
            record = record_of(case, stores)
            if moves_to is None:
                return record, None
            staff = caller.staff
            moved = record.step(
                moves_to,
                on=on or now.date(),
                by=staff.subject,
                agency=staff.agency,
                how=how,
                now=now,
            )
            return moved, None

        save_retrying(
            step,
            caller,
            reference,
            "mediation-answer",
            stores=stores,
            policy=policy,
            now=now,
            detail=f"{list_id} v{version} line {line.line}: {line.answer}",
            extra=None
            if moves_to is None
            else lambda uow, record, case=case: alert_step(
                uow, case, record, stores=stores, now=now
            ),
        )
        recorded.append(
            RecordedAnswer(
                version=version,
                line=line.line,
                reference=reference,
                answer=line.answer,
                at=now,
                by=caller.staff.subject,
            )
        )
    # The answers are added to the list as it is now (another import may have come first).
    for attempt in range(ATTEMPTS):
        answered = _list(list_id, stores).answered(recorded)
        uow = stores.unit_of_work()
        stores.aftercare.save_list(uow, answered)
        detail = f"{list_id} v{version}: {len(recorded)} taken, {len(overtaken)} overtaken"
        stores.audit.add(uow, caller.entry(MEDIATION_TRAIL, "mediation-answer", detail=detail))
        try:
            commit(uow)
            break
        except RecordChanged:
            if attempt == ATTEMPTS - 1:
                raise
    saved = answered.model_copy(update={"version": answered.version + 1})
    return AnswerImported(saved, recorded, overtaken)
