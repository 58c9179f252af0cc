"""Finding earlier reports of the same child, off the request path, and reviewing them.

Matching never merges anything: it stores candidate pairs for staff to confirm or
reject. A confirmed pair links the two cases (each keeps all its data) and alerts the
people of both. Nothing about matches is ever visible to the public.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from chalicelib.config import Settings
from chalicelib.domain.alerts import Alert
from chalicelib.domain.errors import Refused
from chalicelib.domain.matching import CandidatePair, Review, blocking_keys, is_narrow, score
from chalicelib.domain.report import Report, identity_of
from chalicelib.services.access import (
    Caller,
    CaseNotFound,
    changeable_case,
    may_know_of,
    refuse,
    visible_case,
)
from chalicelib.services.casework import event
from chalicelib.services.ports import Stores

log = logging.getLogger("homeward.matching")

# How many of the newest cases one key may bring, and how many candidates are scored: a
# very common name in a very common year must not make matching cost grow with the table.
# Narrow keys (a name and the date of birth...) hold a handful of cases even at registry
# scale, so the same child is found through them however old the first report; broad
# keys only add what the narrow ones could not (domain/matching.py).
PER_KEY = 50
MAX_CANDIDATES = 50
# What sharing one narrow key is worth against sharing one broad key, when ranking.
NARROW_EVIDENCE = 10


class AlreadyDecided(Exception):
    pass


@dataclass(frozen=True)
class Findings:
    candidates: int
    pairs: int
    queries: int


def candidates(keys: list[str], *, exclude: str, stores: Stores) -> tuple[list[str], int]:
    """The cases sharing blocking keys with a report, the best evidence first (a narrow
    key shared counts NARROW_EVIDENCE broad ones; then the newest); and the queries it
    took. At most len(keys) queries of PER_KEY items, and MAX_CANDIDATES candidates."""
    evidence: dict[str, int] = {}
    order: dict[str, int] = {}
    ordered = sorted(keys, key=lambda k: not is_narrow(k))  # narrow keys first
    for key in ordered:
        weight = NARROW_EVIDENCE if is_narrow(key) else 1
        for rank, reference in enumerate(stores.match_index.references(key, PER_KEY)):
            if reference == exclude:
                continue
            evidence[reference] = evidence.get(reference, 0) + weight
            order[reference] = min(order.get(reference, rank), rank)
    ranked = sorted(evidence, key=lambda r: (-evidence[r], order[r]))
    return ranked[:MAX_CANDIDATES], len(ordered)


def find_matches(
    reference: str, report: Report, *, stores: Stores, now: dt.datetime | None = None
) -> Findings:
    """Score the new case against every earlier case sharing a blocking key."""
    now = now or dt.datetime.now(dt.UTC)
    if not report.consent.tracing:
        # The reporter did not allow the child to be traced: no comparison at all.
        return Findings(candidates=0, pairs=0, queries=0)
    current = stores.cases.consent_of(reference)
    if current is not None and not current.tracing:
        # Withdrawn (or anonymised) since the report came: its keys are gone, and no
        # pair may be made of it either.
        return Findings(candidates=0, pairs=0, queries=0)
    me = identity_of(report)
    references, queries = candidates(blocking_keys(me), exclude=reference, stores=stores)
    pairs = 0
    paired = []
    for other, other_report in stores.cases.reports(references).items():
        assessment = score(me, identity_of(other_report))
        if assessment.verdict is None:
            continue
        paired.append((other, assessment))
        pairs += stores.pairs.record(
            CandidatePair(
                reference=reference,
                other=other,
                verdict=assessment.verdict,
                score=assessment.score,
                explanation=assessment.explanation,
                found_at=now,
            )
        )
    _tell_the_return(reference, [o for o, _ in paired], stores=stores, now=now)
    log.info("case %s: %d candidates, %d pairs to review", reference, len(references), pairs)
    return Findings(candidates=len(references), pairs=pairs, queries=queries)


def _tell_the_return(
    reference: str, others: list[str], *, stores: Stores, now: dt.datetime
) -> None:
    """A new report that may be of a child already on the way home or home: the desk of
    that case hears of it, once (the alert is named after the new report), naming no
    child. Read from the return's one word beside the case (no return record opened)."""
    on_return = [o for o in others if stores.aftercare.reporter_word(o) is not None]
    briefs = stores.case_index.briefs(on_return) if on_return else {}
    for other in on_return:
        brief = briefs.get(other)
        if brief is None:
            continue
        location = brief.report.last_known_location if brief.report else None
        country = location.country if location else None
        uow = stores.unit_of_work()
        alert = Alert.report_on_return(brief.summary, country, reference, now)
        stores.alerts.add(uow, alert, name="return-match-alert")
        try:
            uow.commit()
        except Refused as refused:
            if refused.names != {"return-match-alert"}:
                raise  # else: told already (a replayed stream record)


def rematch(
    reference: str, report: Report, *, stores: Stores, now: dt.datetime | None = None
) -> Findings:
    """After a correction: the pairs the corrected report makes, and the undecided pairs
    it had scored again (a decision stays as it was made)."""
    now = now or dt.datetime.now(dt.UTC)
    found = find_matches(reference, report, stores=stores, now=now)
    if not report.consent.tracing:
        return found
    me = identity_of(report)
    undecided = [p for p in stores.pairs.of_case(reference) if p.review == Review.POTENTIAL]
    reports = stores.cases.reports([p.other for p in undecided])
    for pair in undecided:
        if pair.other not in reports:
            continue
        assessment = score(me, identity_of(reports[pair.other]))
        if assessment.verdict is not None:
            stores.pairs.rescore(
                replace(
                    pair,
                    verdict=assessment.verdict,
                    score=assessment.score,
                    explanation=assessment.explanation,
                )
            )
    return found


def matches_of(caller: Caller, reference: str, *, stores: Stores) -> list[CandidatePair]:
    """The candidate pairs of a case, limited to cases the caller may see."""
    visible_case(caller, reference, "read-matches", stores)
    matches = stores.pairs.of_case(reference)
    if not caller.staff.is_coordinator:
        agencies = stores.mandates.agencies_of([m.other for m in matches])
        matches = [m for m in matches if caller.staff.may_read_case(agencies.get(m.other, ()))]
    # Not even that another report exists, where its reporter's consent keeps it out.
    matches = [m for m in matches if may_know_of(caller, m.other, stores)]
    stores.audit.record([caller.entry(reference, "read-matches")])
    return sorted(matches, key=lambda m: -m.score)


def review_match(
    caller: Caller,
    reference: str,
    other: str,
    *,
    decision: Review,
    stores: Stores,
    settings: Settings,
    now: dt.datetime | None = None,
) -> CandidatePair:
    """Confirm or reject a pair. Confirming links both cases and alerts both sides."""
    now = now or dt.datetime.now(dt.UTC)
    # Deciding changes both cases: both must be open to the caller in full.
    mine = changeable_case(caller, reference, f"match-{decision}", stores, now)
    theirs = changeable_case(caller, other, f"match-{decision}", stores, now)
    pair = next((m for m in stores.pairs.of_case(reference) if m.other == other), None)
    if pair is None:
        refuse(caller, reference, f"match-{decision}", stores, CaseNotFound())
    uow = stores.unit_of_work()
    stores.pairs.decide(
        uow, reference, other, decision=decision, decided_by=caller.staff.subject, now=now
    )
    for a, b in ((reference, other), (other, reference)):
        stores.audit.add(uow, caller.entry(a, f"match-{decision}", detail=b, at=now))
        stores.history.add_event(uow, a, event(caller, f"match-{decision}", now, other=b))
    if decision == Review.CONFIRMED:
        stores.cases.link_back(uow, reference, other, now)
        stores.cases.link_back(uow, other, reference, now)
        # One alert for the pair, not one per case: it reaches each desk of either case
        # once, and not the confirming caseworker's own agency (domain/routing.py).
        organisation = stores.directory.read().organisation_of(caller.staff.agency)
        person = ", ".join(n for n in (caller.staff.name, organisation) if n)
        alert = Alert.match_confirmed(
            mine.case,
            theirs.case,
            now,
            confirmed_by=caller.staff.agency,
            confirmed_by_person=person or None,
        )
        stores.alerts.add(
            uow,
            alert,
            acknowledge_by=alert.acknowledge_by(
                settings.escalate_urgent_after, settings.escalate_normal_after
            ),
        )
    try:
        uow.commit()
    except Refused as refused:
        if "pair" in refused.names:
            raise AlreadyDecided() from None
        raise
    return next(m for m in stores.pairs.of_case(reference) if m.other == other)
