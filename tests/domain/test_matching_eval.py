"""The evaluation set in tests/data/matching_eval.json must meet the matching targets."""

from chalicelib.domain.matching import MAX_BLOCKING_KEYS
from infra.bench_matching import MIN_BLOCKING_RECALL, MIN_RECALL, evaluate, failures, load


def test_matching_meets_its_targets_on_the_evaluation_set():
    records, negative_pairs = load()
    assert len(records) >= 150
    assert {p["kind"] for p in negative_pairs} == {"sibling", "twin", "namesake"}

    result = evaluate(records, negative_pairs)

    assert result["recall_likely_or_possible"] >= MIN_RECALL, result["misses"]
    assert result["negative_likely"] == {}, result["negative_likely_pairs"]
    assert result["blocking_recall"] >= MIN_BLOCKING_RECALL, result["blocking_misses"]
    assert result["keys_per_record_max"] <= MAX_BLOCKING_KEYS
    assert failures(result) == []
