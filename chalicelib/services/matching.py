"""Finding earlier reports of the same child, off the request path, and reviewing them.

Matching never merges anything: it stores candidate pairs for staff to confirm or
reject. A confirmed pair links the two cases (each keeps all its data) and alerts the
people of both. Nothing about matches is ever visible to the public.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from chalicelib import config
from chalicelib.adapters.caseload import Caseload
from chalicelib.adapters.dynamo import Repository, alert_item
from chalicelib.adapters.matchbook import AlreadyDecided, Matchbook
from chalicelib.domain.alerts import Alert
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.matching import blocking_keys, score
from chalicelib.domain.report import Report, identity_of
from chalicelib.domain.staff import StaffMember
from chalicelib.services.casework import CaseNotFound, workable_case

log = logging.getLogger("homeward.matching")

__all__ = ["AlreadyDecided", "find_matches", "matches_of", "review_match"]


@dataclass(frozen=True)
class Findings:
    candidates: int
    pairs: int
    queries: int


def find_matches(
    reference: str,
    report: Report,
    *,
    matchbook: Matchbook,
    now: dt.datetime | None = None,
) -> Findings:
    """Score the new case against every earlier case sharing a blocking key."""
    now = now or dt.datetime.now(dt.UTC)
    me = identity_of(report)
    references, queries = matchbook.candidates(blocking_keys(me), exclude=reference)
    pairs = 0
    for other, other_report in matchbook.reports(references).items():
        assessment = score(me, identity_of(Report.model_validate(other_report)))
        if assessment.verdict is None:
            continue
        pairs += matchbook.record_pair(
            reference,
            other,
            verdict=assessment.verdict,
            score=assessment.score,
            explanation=assessment.explanation,
            now=now,
        )
    log.info("case %s: %d candidates, %d pairs to review", reference, len(references), pairs)
    return Findings(candidates=len(references), pairs=pairs, queries=queries)


def _pair(match: dict[str, Any]) -> dict[str, Any]:
    return {
        "reference": match["other"],
        "verdict": match["verdict"],
        "score": float(match["score"]),
        "explanation": match["explanation"],
        "review": match["review"],
        "found_at": match["found_at"],
        "decided_by": match.get("decided_by"),
        "decided_at": match.get("decided_at"),
    }


def matches_of(
    staff: StaffMember,
    reference: str,
    *,
    matchbook: Matchbook,
    caseload: Caseload,
    request_id: str,
) -> list[dict[str, Any]]:
    """The candidate pairs of a case, limited to cases the staff member may see."""
    workable_case(staff, reference, caseload)
    matches = matchbook.matches_of(reference)
    if staff.role != "coordinator":
        agencies = caseload.agencies_of([m["other"] for m in matches])
        matches = [m for m in matches if staff.may_read_case(agencies.get(m["other"], ()))]
    caseload.record([AuditEntry.of(staff, reference, "read-matches", request_id)])
    return sorted((_pair(m) for m in matches), key=lambda m: -m["score"])


def review_match(
    staff: StaffMember,
    reference: str,
    other: str,
    *,
    decision: str,
    repository: Repository,
    matchbook: Matchbook,
    caseload: Caseload,
    request_id: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Confirm or reject a pair. Confirming links both cases and alerts both sides."""
    now = now or dt.datetime.now(dt.UTC)
    workable_case(staff, reference, caseload)
    workable_case(staff, other, caseload)
    pair = next((m for m in matchbook.matches_of(reference) if m["other"] == other), None)
    if pair is None:
        raise CaseNotFound()
    entries = [
        AuditEntry.of(staff, a, f"match-{decision}", request_id, detail=b, at=now)
        for a, b in ((reference, other), (other, reference))
    ]
    extra = [caseload.audit_put(e) for e in entries]
    if decision == "confirmed":
        mine, theirs = repository.get_case(reference), repository.get_case(other)
        assert mine is not None and theirs is not None
        settings = config.settings()
        alerts = [
            alert_item(
                alert,
                alert.acknowledge_by(
                    settings.escalate_urgent_after, settings.escalate_normal_after
                ),
            )
            for alert in (
                Alert.match_confirmed(mine, other, now),
                Alert.match_confirmed(theirs, reference, now),
            )
        ]
        extra += matchbook.link_and_alert(reference, other, alerts, now)
    matchbook.decide(
        reference, other, decision=decision, decided_by=staff.subject, now=now, extra=extra
    )
    updated = next(m for m in matchbook.matches_of(reference) if m["other"] == other)
    return _pair(updated)
