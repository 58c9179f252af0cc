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
    # An urgent row rings on its own (Alert.on_arrival); the others wait for the digest.
    urgent = sum(1 for r in rows if r.report.urgent)
    assert 0 < urgent < 200 and len(db.alerts) == 200
    assert sum(1 for row in db.alerts.values() if row.batch) == 200 - urgent
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
    # Only the urgent rows were sent row by row (each rings at once); the cases are in
    # their agencies' mandates already.
    urgent = {o.reference for o, r in zip(outcomes, rows, strict=True) if r.report.urgent}
    rang = {reference for reference, _ in (m["body"] for m in pipeline.queue.receive())}
    assert rang == urgent
    pipeline.run_until_idle()
    sent_row_by_row = len(pipeline.email.sent) + len(pipeline.sms.sent)
    pipeline.email.sent.clear()
    pipeline.sms.sent.clear()
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
    assert sent_row_by_row > 0
    assert all(o.reference in listed for o in outcomes if o.reference not in urgent)
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


def test_an_urgent_imported_row_rings_at_once_with_its_own_link_and_climbs_its_ladder(
    registry, stores, settings, pipeline
):
    """The sample file of `homeward reports import` has one urgent row: it is alerted as
    soon as an urgent API report sent the same minute, each recipient with its own link,
    and it escalates on schedule when nobody answers; its non-urgent rows wait for the
    batch's digest."""
    import datetime as dt
    import re
    from pathlib import Path

    from helpers import EXAMPLE_REPORT

    from chalicelib.domain.report import Report
    from chalicelib.services import intake

    t0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    sample = Path(__file__).resolve().parents[2] / "docs" / "samples" / "import.csv"
    rows, errors = read_file(sample.name, sample.read_text(encoding="utf-8"))
    assert errors == [] and sum(r.report.urgent for r in rows) == 1
    outcomes = imports.import_rows(
        REGISTRY, "sample-batch", rows, stores=stores, settings=settings, now=t0
    ).outcomes
    (imported,) = [o.reference for o, r in zip(outcomes, rows, strict=True) if r.report.urgent]
    quiet = [o.reference for o, r in zip(outcomes, rows, strict=True) if not r.report.urgent]
    body = {**EXAMPLE_REPORT, "urgent": True}
    api, _ = intake.submit(
        intake.Submission(Report.model_validate(body), repr(body), None, "198.51.100.7"),
        stores=stores,
        settings=settings,
        now=t0,
    )
    pipeline.run_until_idle(t0 + dt.timedelta(seconds=20))

    db = db_of(stores)

    def sent_at(reference):
        return {d.sent_at for d, _ in db.deliveries.values() if d.reference == reference}

    # Both rang within the same minute; the quiet rows sent nothing yet.
    for reference in (imported, api.reference):
        times = sent_at(reference)
        assert times and max(times) - t0 < dt.timedelta(minutes=1)
    assert all(not sent_at(r) for r in quiet)
    # Every recipient of the imported row got its own acknowledgement link.
    about = [m for m in pipeline.email.sent + pipeline.sms.sent if imported in m["parts"][-1]]
    links = {re.search(r"/ack/([A-Za-z0-9_-]+)", m["parts"][-1]).group(1) for m in about}
    assert len(about) >= 2 and len(links) == len(about)

    # Nobody answers: both climb to their next rung at the same tick (15 minutes).
    assert pipeline.tick(t0 + dt.timedelta(minutes=14)) == 0
    assert pipeline.tick(t0 + dt.timedelta(minutes=16)) == 2
    pipeline.run_until_idle(t0 + dt.timedelta(minutes=16))
    rungs = {d.delivery.alert.purpose for d, _ in db.deliveries.values() if d.reference == imported}
    assert "report-received~1" in rungs
