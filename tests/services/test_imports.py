"""Bulk import on the in-memory fakes: every row accounted for, one case per row however
often a file is sent, one digest per recipient, the batch matched against itself.

A small run of `make bench` (bulk-import), which imports 20,000 rows.
"""

import pytest
from fakes import db_of

from chalicelib.domain.imports import read_file
from chalicelib.domain.partners import SCOPES, Partner, PartnerClient
from chalicelib.services import imports
from infra.population import Population, as_csv, import_records

REGISTRY = PartnerClient("registry", frozenset(SCOPES))


@pytest.fixture
def registry(stores):
    stores.partners.register(Partner("registry", "National registry", quota_per_minute=6000))
    return REGISTRY


@pytest.fixture(scope="module")
def rows():
    text = as_csv(import_records(Population(seed=11), 200, duplicates=0.05))
    rows, errors = read_file("registry.csv", text)
    assert errors == []
    return rows


def send(rows, stores, settings, client=REGISTRY, batch="registry-2026"):
    summaries = [
        imports.import_rows(client, batch, rows[i : i + 100], stores=stores, settings=settings)
        for i in range(0, len(rows), 100)
    ]
    return [o for s in summaries for o in s.outcomes]


def test_every_row_is_one_case_and_an_interrupted_import_resumes_without_duplicates(
    registry, rows, stores, settings, pipeline
):
    # Interrupted after the first half...
    first = send(rows[:100], stores, settings)
    assert [o.outcome for o in first] == ["created"] * 100
    # ...and the whole file sent again.
    resumed = send(rows, stores, settings)
    assert [o.outcome for o in resumed[:100]] == ["replayed"] * 100
    assert [o.outcome for o in resumed[100:]] == ["created"] * 100
    assert [o.reference for o in resumed[:100]] == [o.reference for o in first]
    assert {o.line for o in resumed} == {r.line for r in rows}
    db = db_of(stores)
    assert len(db.cases) == 200
    # Each row through intake: its case, its outbox entry, its matching keys.
    assert sum(1 for row in db.alerts.values() if row.batch) == 200
    assert all(any(reference in b.values() for b in db.blocking.values()) for reference in db.cases)


def test_an_external_id_sent_again_with_other_content_is_refused_and_said(
    registry, rows, stores, settings
):
    send(rows[:3], stores, settings)
    changed = rows[1].report.model_copy(update={"urgent": not rows[1].report.urgent})
    again = [rows[0], type(rows[1])(rows[1].line, changed, "different", rows[1].external_id)]
    outcomes = send(again, stores, settings)
    assert [o.outcome for o in outcomes] == ["replayed", "refused"]
    assert "external_id" in outcomes[1].reason


def test_a_batch_alerts_each_recipient_once_with_a_digest_and_is_matched_against_itself(
    registry, rows, stores, settings, pipeline
):
    outcomes = send(rows, stores, settings)
    pipeline.pump_stream()
    # Nothing was sent row by row; the cases are in their agencies' mandates already.
    assert pipeline.email.sent == [] and pipeline.sms.sent == []
    assert pipeline.queue.receive() == []
    db = db_of(stores)
    assert all(db.cases[o.reference].agencies for o in outcomes)
    # Second reports of a child already in the file (in Latin letters) were found.
    pairs = {frozenset(p) for p in db.pairs}
    assert len(pairs) >= 5
    imports.close_batch(REGISTRY, "registry-2026", stores=stores, settings=settings)
    sent = imports.send_digests(
        stores=stores,
        directory=pipeline.directory.current(),
        email=pipeline.email,
        sms=pipeline.sms,
    )
    messages = pipeline.email.sent + pipeline.sms.sent
    assert sent == len(messages) > 0
    recipients = [m["to"] for m in messages]
    assert len(recipients) == len(set(recipients))
    listed = "\n".join(m["parts"][-1] for m in pipeline.email.sent)
    assert all(o.reference in listed for o in outcomes)
    assert all(r.report.child.family_name not in listed for r in rows)
    # A second schedule sends nothing more; a closed batch takes no more rows.
    again = imports.send_digests(
        stores=stores,
        directory=pipeline.directory.current(),
        email=pipeline.email,
        sms=pipeline.sms,
    )
    assert again == 0
    with pytest.raises(imports.BatchClosed):
        send(rows[:1], stores, settings)


def test_a_partners_rows_are_its_own(registry, rows, stores, settings):
    stores.partners.register(Partner("ngo", "NGO", quota_per_minute=6000))
    mine = send(rows[:5], stores, settings)
    theirs = send(rows[:5], stores, settings, client=PartnerClient("ngo", frozenset(SCOPES)))
    assert [o.outcome for o in theirs] == ["created"] * 5
    assert {o.reference for o in mine}.isdisjoint({o.reference for o in theirs})


def test_the_bench_in_small_accounts_for_every_row_without_a_duplicate():
    from infra.bench_imports import run_on_fakes

    r = run_on_fakes(300)
    assert r["accounted"] and r["refused"] == 0
    assert r["cases"] == r["distinct_cases"] == r["rows"] == 300
    assert r["first_created"] + r["created"] == 300 and r["replayed"] == 150
    assert r["stream_left"] == 0 and r["recipients_once"] and r["digests"] > 0
