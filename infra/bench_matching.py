"""Measure report matching on the evaluation set, and fail when the targets are missed.

Run from the repository root:  python infra/bench_matching.py [path/to/eval.json]

Targets (exit status 1 when missed):
  * same-child pairs written in another script or spelling: recall of "likely or possible"
    at least 0.95;
  * no sibling, twin or namesake pair judged "likely";
  * blocking recall (same-child pairs sharing a blocking key) at least 0.98.
"""

from __future__ import annotations

import datetime
import itertools
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.domain.matching import (  # noqa: E402
    ChildIdentity,
    blocking_keys,
    conflicts,
    score,
)

EVAL_PATH = REPO_ROOT / "tests" / "data" / "matching_eval.json"
COMMAND = "python infra/bench_matching.py"

MIN_RECALL = 0.95
MIN_BLOCKING_RECALL = 0.98


def identity(record: dict[str, Any]) -> ChildIdentity:
    dob = record.get("date_of_birth")
    return ChildIdentity(
        family_name=record.get("family_name") or "",
        given_name=record.get("given_name") or "",
        patronymic=record.get("patronymic"),
        other_names=tuple(record.get("other_names") or ()),
        sex=record.get("sex") or "unknown",
        date_of_birth=datetime.date.fromisoformat(dob) if dob else None,
        birth_year=record.get("birth_year"),
        oblast=record.get("oblast"),
        settlement=record.get("settlement"),
    )


def load(path: Path = EVAL_PATH) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc["records"], doc["negative_pairs"]


def reported_cases(records: list[dict[str, Any]], path: Path = EVAL_PATH) -> list[dict[str, Any]]:
    """The pairs the set names for a report of their own (a case an issue was filed about),
    each with the verdict, score and the fields that tell two children apart."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    people = {r["id"]: identity(r) for r in records}
    out = []
    for case in doc.get("reported", []):
        assessed = score(people[case["a"]], people[case["b"]])
        out.append(
            {
                **case,
                "verdict": assessed.verdict or "no match",
                "score": assessed.score,
                "conflicts": conflicts(assessed.explanation),
                "explanation": assessed.explanation,
            }
        )
    return out


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def evaluate(records: list[dict[str, Any]], negative_pairs: list[dict[str, str]]) -> dict:
    """Score every pair of records and count what the targets are about."""
    ids = [r["id"] for r in records]
    people = {r["id"]: identity(r) for r in records}
    group = {r["id"]: r["group"] for r in records}
    variant = {r["id"]: r["variant"] for r in records}
    keys = {i: set(blocking_keys(people[i])) for i in ids}

    verdicts: dict[tuple[str, str], str | None] = {}
    started = time.perf_counter()
    for a, b in itertools.combinations(ids, 2):
        verdicts[(a, b)] = score(people[a], people[b]).verdict
    elapsed = time.perf_counter() - started
    n_pairs = len(verdicts)

    def verdict(a: str, b: str) -> str | None:
        return verdicts.get((a, b), verdicts.get((b, a)))

    same = [(a, b) for a, b in verdicts if group[a] == group[b]]
    cross = [(a, b) for a, b in same if variant[a] != variant[b]]
    likely = [p for p, v in verdicts.items() if v == "likely"]
    flagged = [p for p, v in verdicts.items() if v is not None]

    misses = [
        {"a": a, "b": b, "explanation": score(people[a], people[b]).explanation}
        for a, b in cross
        if verdict(a, b) is None
    ]
    negative_kinds: Counter[str] = Counter(p["kind"] for p in negative_pairs)
    negative_likely: Counter[str] = Counter()
    negative_possible: Counter[str] = Counter()
    negative_likely_pairs = []
    for pair in negative_pairs:
        v = verdict(pair["a"], pair["b"])
        if v == "likely":
            negative_likely[pair["kind"]] += 1
            negative_likely_pairs.append(pair)
        elif v == "possible":
            negative_possible[pair["kind"]] += 1

    blocked = [(a, b) for a, b in same if keys[a] & keys[b]]
    key_sizes = [len(k) for k in keys.values()]
    bucket: Counter[str] = Counter(k for ks in keys.values() for k in ks)
    return {
        "records": len(records),
        "pairs": n_pairs,
        "same_child_pairs": len(same),
        "cross_spelling_pairs": len(cross),
        "recall_likely": _ratio(sum(verdict(a, b) == "likely" for a, b in cross), len(cross)),
        "recall_likely_or_possible": _ratio(len(cross) - len(misses), len(cross)),
        "precision_likely": _ratio(sum(group[a] == group[b] for a, b in likely), len(likely)),
        "precision_likely_or_possible": _ratio(
            sum(group[a] == group[b] for a, b in flagged), len(flagged)
        ),
        "negative_pairs": dict(negative_kinds),
        "negative_likely": dict(negative_likely),
        "negative_possible": dict(negative_possible),
        "negative_likely_pairs": negative_likely_pairs,
        "blocking_recall": _ratio(len(blocked), len(same)),
        "keys_per_record_mean": sum(key_sizes) / len(key_sizes) if key_sizes else 0.0,
        "keys_per_record_max": max(key_sizes, default=0),
        "largest_key_bucket": max(bucket.values(), default=0),
        "blocking_misses": [(a, b) for a, b in same if not keys[a] & keys[b]],
        "misses": misses,
        "microseconds_per_pair": 1e6 * elapsed / n_pairs if n_pairs else 0.0,
    }


def failures(result: dict) -> list[str]:
    out = []
    if result["recall_likely_or_possible"] < MIN_RECALL:
        out.append(
            f"recall (likely or possible) {result['recall_likely_or_possible']:.3f} < {MIN_RECALL}"
        )
    if result["negative_likely"]:
        out.append(f"negative pairs judged likely: {result['negative_likely']}")
    if result["blocking_recall"] < MIN_BLOCKING_RECALL:
        out.append(f"blocking recall {result['blocking_recall']:.3f} < {MIN_BLOCKING_RECALL}")
    return out


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else EVAL_PATH
    records, negative_pairs = load(path)
    r = evaluate(records, negative_pairs)
    rel = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    print(f"$ {COMMAND}" + (f" {rel}" if len(argv) > 1 else ""))
    print(f"eval set: {rel}: {r['records']} records, {r['pairs']} pairs")
    print(
        f"same-child pairs: {r['same_child_pairs']}, "
        f"of which written in another script or spelling: {r['cross_spelling_pairs']}"
    )
    print(f"recall   likely:              {r['recall_likely']:.3f}")
    print(f"recall   likely or possible:  {r['recall_likely_or_possible']:.3f}")
    print(f"precision likely:             {r['precision_likely']:.3f}")
    print(f"precision likely or possible: {r['precision_likely_or_possible']:.3f}")
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(r["negative_pairs"].items()))
    print(f"negative pairs ({kinds}):")
    print(f"  judged likely:   {sum(r['negative_likely'].values())} {r['negative_likely']}")
    print(f"  judged possible: {sum(r['negative_possible'].values())} {r['negative_possible']}")
    print(f"blocking recall:              {r['blocking_recall']:.3f}")
    print(
        f"blocking keys per record:     mean {r['keys_per_record_mean']:.2f}, "
        f"max {r['keys_per_record_max']}; largest key bucket {r['largest_key_bucket']} records"
    )
    print(f"time per scored pair:         {r['microseconds_per_pair']:.1f} µs")
    for miss in r["misses"]:
        print(f"  missed {miss['a']} ~ {miss['b']}: {miss['explanation']}")
    for a, b in r["blocking_misses"]:
        print(f"  no shared blocking key: {a} ~ {b}")
    for pair in r["negative_likely_pairs"]:
        print(f"  negative judged likely: {pair}")
    for case in reported_cases(records, path):
        print(f"reported: {case['what']}")
        print(
            f"  {case['a']} ~ {case['b']}: {case['verdict']} ({case['score']:.2f}); "
            f"conflicting: {', '.join(case['conflicts']) or 'nothing'}; {case['explanation']}"
        )
    problems = failures(r)
    for p in problems:
        print(f"FAIL: {p}")
    print("OK" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
