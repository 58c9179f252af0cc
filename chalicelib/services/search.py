"""Staff search: by reference, by the child's name in any script, by birth date or year.

A search costs at most MAX_LOOKUPS indexed queries of PER_KEY items and two batch reads
of the candidates, whatever the size of the table: never a scan. What it finds passes
the same mandate and disclosure policy as a case list, and a search by name or birth
finds only cases whose details the person may see (domain/search.py says why search is
not matching). Every case shown is audited as found; the words typed are not kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.casefile import CaseBrief
from chalicelib.domain.disclosure import Disclosure, view_for
from chalicelib.domain.report import identity_of
from chalicelib.domain.search import SearchQuery, finds, lookup_keys, parse_query
from chalicelib.services.access import Caller, works_cases
from chalicelib.services.inbox import shown
from chalicelib.services.ports import Stores

PER_KEY = 50
MAX_CANDIDATES = 100


@dataclass(frozen=True)
class Found:
    query: SearchQuery
    cases: list[CaseBrief]
    # What it cost: index queries, and candidates read.
    queries: int = 0
    candidates: int = 0


def search(caller: Caller, text: str, *, stores: Stores) -> Found:
    works_cases(caller, "search", "search", stores)
    query = parse_query(text)
    keys = lookup_keys(query) if query.by_name_or_birth else []
    candidates = [query.reference] if query.reference else []
    for key in keys:
        candidates += stores.search.references(key, PER_KEY)
    candidates, queries = list(dict.fromkeys(candidates))[:MAX_CANDIDATES], len(keys)
    briefs: dict[str, CaseBrief] = {}
    for start in range(0, len(candidates), 50):
        briefs.update(stores.case_index.briefs(candidates[start : start + 50]))
    rows = [shown(caller, b) for b in briefs.values() if _may_find(caller, query, b)]
    rows.sort(key=lambda b: b.summary.received_at, reverse=True)
    stores.audit.record([caller.entry(b.summary.reference, "search") for b in rows])
    return Found(query, rows, queries, len(candidates))


def _may_find(caller: Caller, query: SearchQuery, brief: CaseBrief) -> bool:
    if not caller.staff.is_coordinator and caller.staff.agency not in brief.agencies:
        return False  # outside the mandate: as if it did not exist
    level = view_for(caller.recipient, brief.summary.consent).level
    if query.reference == brief.summary.reference:
        return level > Disclosure.NOTHING
    # A name or a birth date must not tell who a withheld report is about.
    return (
        level == Disclosure.DETAILS
        and brief.report is not None
        and finds(query, identity_of(brief.report))
    )
