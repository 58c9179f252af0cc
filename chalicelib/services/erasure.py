"""Erasing what is stored of a case: a reporter's withdrawal, a person's request to be
forgotten, a case's retention run out (domain/erasure.py says what each erases).

The derived items go first (blocking keys, candidate pairs, the reporters' index, staff
search keys, notes, corrections' events, mandates, files), each in units of work of their
own, then the case item, guarded by the version its traces were read at, together with
its audit entries. So an erasure cut short is finished by doing it again: the case item
still names everything left, and deleting what is gone already is no error. A case
changed meanwhile is read again and erased again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from chalicelib.domain.alerts import DeliveryState
from chalicelib.domain.attachments import case_prefix
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.disclosure import ConsentGiven, Disclosure, disclosure
from chalicelib.domain.erasure import Erasure, Traces, anonymise, erase_reporter, withdraw
from chalicelib.domain.errors import Conflict, Refused
from chalicelib.domain.exports import EXPORTS_PREFIX
from chalicelib.domain.report import REPORTER_GROUP
from chalicelib.domain.routing import Directory
from chalicelib.services.outside_ports import FileStore
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.erasure")

# Deletes per unit of work: DynamoDB takes 100 operations in a transaction.
BATCH = 90
_ATTEMPTS = 4

Plan = Callable[[Traces], Erasure | None]
Audit = Callable[[Traces, Erasure], list[AuditEntry]]


class FilesUnavailable(RuntimeError):
    """A case has files, but no bucket to erase them from is configured."""


def carry_out(
    reference: str,
    plan: Plan,
    audit: Audit,
    *,
    stores: Stores,
    files: FileStore | None = None,
) -> tuple[Traces, Erasure | None] | None:
    """Erase what `plan` says of one case; None if there is no such case, no Erasure if
    the plan found nothing to do. Agencies whose mandate is revoked stop counting the
    case in their statistics (all cases' counts keep it)."""
    for _ in range(_ATTEMPTS):
        traces = stores.lifecycle.traces(reference)
        if traces is None:
            return None
        erasure = plan(traces)
        if erasure is None:
            return traces, None
        _delete_derived(traces, erasure, stores)
        if erasure.files:
            _delete_files(traces, files)
        if erasure.exports:
            _delete_exports(files)
        if erasure.aftercare:
            _erase_aftercare(reference, stores)
        uow = stores.unit_of_work()
        stores.lifecycle.erase(uow, traces, erasure)
        if erasure.revoked:
            stores.statistics.count_removed(uow, traces.counted, erasure.revoked)
        for entry in audit(traces, erasure):
            stores.audit.add(uow, entry)
        try:
            uow.commit()
        except Refused as refused:
            if "case" in refused.names:
                continue  # changed meanwhile: read it again
            raise
        except Conflict:
            continue
        return traces, erasure
    raise Conflict()


def _delete_derived(traces: Traces, erasure: Erasure, stores: Stores) -> None:
    reference, received = traces.reference, traces.received_at
    steps: list[tuple[int, Callable]] = [
        *((1, lambda u, k=k: stores.match_index.remove(u, reference, received, [k]))
          for k in erasure.blocking_keys),
        *((1, lambda u, k=k: stores.reporters.remove(u, reference, received, [k]))
          for k in erasure.reporter_keys),
        *((1, lambda u, k=k: stores.search.remove(u, reference, received, [k]))
          for k in erasure.search_keys),
        *((1, lambda u, e=e: stores.history.remove_events(u, reference, [e]))
          for e in erasure.events),
        *((2, lambda u, o=o: stores.pairs.remove(u, reference, [o])) for o in erasure.pairs),
        *((1, lambda u, n=n: stores.lifecycle.remove_notes(u, reference, [n]))
          for n in erasure.notes),
        *((1, lambda u, g=g: stores.lifecycle.remove_grants(u, reference, [g]))
          for g in erasure.grants),
        *((2, lambda u, a=a: stores.mandates.revoke(u, reference, received, [a]))
          for a in erasure.revoked),
    ]  # fmt: skip
    while steps:
        uow, size = stores.unit_of_work(), 0
        while steps and size + steps[0][0] <= BATCH:
            count, stage = steps.pop(0)
            stage(uow)
            size += count
        uow.commit()


def _erase_aftercare(reference: str, stores: Stores) -> None:
    """The child off every mediation list (each list guarded by its version: a list
    changed meanwhile is read again), then the return record with its referrals and its
    closure marker. The record goes last: what an erasure cut short left is found again
    through it."""
    refused = 0
    while listed := [m for m in stores.aftercare.mediation_lists() if reference in m.references]:
        try:
            for one in listed:
                uow = stores.unit_of_work()
                stores.aftercare.save_list(uow, one.without_child(reference))
                uow.commit()
        except Refused:
            refused += 1
            if refused >= _ATTEMPTS:
                raise Conflict() from None
    record = stores.aftercare.get(reference)
    if record is not None:
        uow = stores.unit_of_work()
        stores.aftercare.erase(uow, record)
        uow.commit()


def _delete_files(traces: Traces, files: FileStore | None) -> None:
    """Every version of every file under the case's prefix: what the case records, and
    anything an attempt that failed half-way may have left there."""
    if files is None:
        if traces.attachments:
            raise FilesUnavailable(traces.reference)
        return
    for key, version_id in files.versions(case_prefix(traces.reference)):
        files.delete(key, version_id)


def _delete_exports(files: FileStore | None) -> None:
    """Every staff export still kept (they expire after a day; services/exports.py): which
    of them list this case is not recorded, and a copy of the list must not outlive it."""
    if files is None:
        return
    for key, version_id in files.versions(EXPORTS_PREFIX):
        files.delete(key, version_id)


# -- the three erasures ---------------------------------------------------------------------


def system_entry(
    reference: str, actor: str, action: str, at: dt.datetime, request_id: str, detail=None
) -> AuditEntry:
    """An audit entry of something nobody on the staff did (the reporter, a schedule)."""
    return AuditEntry(
        reference=reference,
        actor=actor,
        role=actor,
        agency="",
        action=action,
        at=at,
        request_id=request_id,
        detail=detail,
    )


def intake_desks(directory: Directory) -> frozenset[str]:
    """The agencies of the intake desk: what keeps working a case its reporter withdrew."""
    return frozenset(c.agency for c in directory.contacts if c.intake_desk and c.active)


def withdraw_consent(
    reference: str,
    *,
    stores: Stores,
    directory: Directory,
    request_id: str,
    now: dt.datetime | None = None,
) -> tuple[Traces, Erasure | None] | None:
    """The reporter withdrew (services/reporter.py checked who asks): their contact
    details go, nothing more is shared or matched, and only the intake desk keeps the
    case. No Erasure: it was withdrawn (or anonymised) already."""
    now = now or dt.datetime.now(dt.UTC)
    desks = intake_desks(directory)

    def plan(traces: Traces) -> Erasure | None:
        if traces.withdrawn_at or traces.anonymised_at:
            return None
        return withdraw(traces, intake_desk=desks, now=now)

    def audit(traces: Traces, erasure: Erasure) -> list[AuditEntry]:
        # Who withdrew is the reporter, unnamed: the entry carries no personal data.
        detail = f"mandate revoked: {', '.join(erasure.revoked)}" if erasure.revoked else None
        return [system_entry(reference, "reporter", "withdraw", now, request_id, detail)]

    done = carry_out(reference, plan, audit, stores=stores)
    if done is None or done[1] is None:
        return done
    traces, erasure = done
    if not erasure.agencies and desks:
        # Nobody at the intake desk had the case: it is theirs now, as the policy says.
        uow = stores.unit_of_work()
        stores.mandates.grant(uow, reference, traces.received_at, sorted(desks))
        stores.statistics.count_new(uow, traces.counted, sorted(desks))
        uow.commit()
    _cancel_pending(reference, directory, stores=stores, now=now)
    # The evidence consent goes with all the rest: recorded in each file's custody.
    from chalicelib.services import evidence

    evidence.withdraw(
        reference, stores=stores, now=now, why="the reporter withdrew all consent", with_all=True
    )
    log.info("consent withdrawn for %s", reference)
    return done


def _cancel_pending(reference: str, directory: Directory, *, stores: Stores, now: dt.datetime):
    """Alerts routed under the consent that was withdrawn and not sent yet stay unsent,
    except to the intake desk (what is still to be routed follows the consent as it now
    is: services/dispatch.py reads it)."""
    left = ConsentGiven.none_left()
    for stored in stores.deliveries.of_case(reference):
        recipient = directory.recipient(stored.delivery.agency)
        if stored.state == DeliveryState.PENDING and (
            disclosure(recipient, left) == Disclosure.NOTHING
        ):
            stores.deliveries.settle(
                reference,
                stored.delivery_id,
                DeliveryState.FAILED,
                now,
                error="consent withdrawn",
                was=DeliveryState.PENDING,
            )


def erase_reporter_of(
    reference: str, entries: Callable[[Traces], list[AuditEntry]], *, stores: Stores
) -> tuple[Traces, Erasure | None] | None:
    """A person asked to be forgotten: their contact details in this case they reported
    go; the child's case stays as it is."""

    def plan(traces: Traces) -> Erasure | None:
        gone = REPORTER_GROUP not in traces.sealed and not traces.reporter_keys
        return None if gone else erase_reporter(traces)

    return carry_out(reference, plan, lambda traces, _: entries(traces), stores=stores)


def anonymise_case(
    reference: str,
    *,
    still_due: Callable[[Traces], bool],
    stores: Stores,
    files: FileStore | None,
    request_id: str,
    now: dt.datetime | None = None,
) -> bool:
    """Nobody left in the case, if it is still due (the index a run read may be a moment
    behind the case); whether it was anonymised."""
    now = now or dt.datetime.now(dt.UTC)
    traces = stores.lifecycle.traces(reference)
    if traces is not None and not traces.anonymised_at and still_due(traces):
        # Before the case item: a run cut short finds the case due again, and finishes.
        erase_statements(reference, stores=stores, request_id=request_id, now=now)

    def plan(traces: Traces) -> Erasure | None:
        if traces.anonymised_at or not still_due(traces):
            return None
        return anonymise(traces, now=now)

    def audit(traces: Traces, erasure: Erasure) -> list[AuditEntry]:
        return [system_entry(reference, "retention", "anonymise", now, request_id)]

    done = carry_out(reference, plan, audit, stores=stores, files=files)
    return done is not None and done[1] is not None


def erase_statements(
    reference: str, *, stores: Stores, request_id: str, now: dt.datetime
) -> tuple[list[str], list[str]]:
    """At the case's retention, the witnesses' words go (their names, their accounts, why
    a withdrawal was recorded): each statement keeps its hash and its chain, with an
    "erased" entry, written with the audit entry. A statement in a package built or handed
    over is held for a prosecutor (its original under legal hold): it is kept, and its
    audit entry says why. Nothing sealed is opened (the schedule holds no key to open it).
    The statements erased now, and those kept."""
    from chalicelib.domain.evidence import HOMEWARD, CustodyAction, Step, extend
    from chalicelib.domain.statements import is_statement_slot

    items = [i for i in stores.evidence.items_of(reference) if is_statement_slot(i.slot)]
    if not items:
        return [], []
    withdrawn = stores.evidence.statement_withdrawals(reference)
    packaged: dict[str, list[str]] = {}
    for package in stores.evidence.packages():
        for name in package.items.get(reference, ()):
            packaged.setdefault(name, []).append(package.package_id)
    erased, kept = [], []
    for item in items:
        if item.item in packaged:
            held = ", ".join(packaged[item.item])
            why = f"{item.item} kept: held for a prosecutor in package {held}"
            stores.audit.record(
                [system_entry(reference, "retention", "keep-statement", now, request_id, why)]
            )
            kept.append(item.item)
            continue
        entry = system_entry(reference, "retention", "erase-statement", now, request_id, item.item)
        step = Step(
            CustodyAction.ERASED,
            HOMEWARD,
            "its words erased at the case's retention",
            f"sha256 {item.sha256} kept",
        )
        for _ in range(_ATTEMPTS):
            uow = stores.unit_of_work()
            entries = extend(item.item, item.head, [step], now)
            stores.evidence.erase_statement(
                uow, item, entries, now, withdrawn=item.item in withdrawn
            )
            stores.audit.add(uow, entry)
            try:
                uow.commit()
            except Refused as refused:
                if "statement-erasure" not in refused.names:
                    raise
                fresh = next(i for i in stores.evidence.items_of(reference) if i.item == item.item)
                if fresh.head == item.head:
                    break  # its words were gone already (a run cut short, done again)
                item = fresh  # its chain grew meanwhile (a reading): from the new head
                continue
            erased.append(item.item)
            break
    return erased, kept
