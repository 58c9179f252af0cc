"""`make bench` (bulk-import): a registry's file of 20,000 rows, imported in batches.

Two parts, as infra/bench.py does it elsewhere:

- on the in-process fakes (tests/fakes.py: a store that answers by key, as DynamoDB does;
  moto scans the table for every query): the whole file checked, half of it imported, the
  import "interrupted" and the whole file sent again; every row accounted for, no case
  twice, every case matched, one digest per recipient; rows per second as a ratio to
  single reports filed through intake in the same process (the baseline);
- against moto, a few hundred rows through the partner API over HTTP: AWS calls per row,
  as a ratio to the calls of one report through POST /api/v1/reports.
"""

from __future__ import annotations

import collections
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = "registry-bench"


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_on_fakes(rows_wanted: int) -> dict:
    """The import on the fakes; every figure in a dict (tests call it small)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import FakePipeline, db_of, fake_stores
    from helpers import demo_directory

    from chalicelib import config
    from chalicelib.domain.imports import read_file
    from chalicelib.domain.partners import SCOPES, Partner, PartnerClient
    from chalicelib.services import imports, intake
    from infra.population import Population, as_csv, import_records

    settings = config.load(
        {
            "HOMEWARD_STAGE": "local",
            "HOMEWARD_SIGNING_KEY": "bench",
            "HOMEWARD_RATE_LIMIT": str(10 * rows_wanted),
        }
    )

    def stores_with_directory():
        stores = fake_stores()
        directory = demo_directory()
        uow = stores.unit_of_work()
        stores.directory.change(uow, 0, contacts=directory.contacts, rules=directory.rules)
        uow.commit()
        return stores

    memory_before = _maxrss_mb()
    text = as_csv(import_records(Population(seed=17), rows_wanted, duplicates=0.03))
    begun = time.perf_counter()
    rows, errors = read_file("registry.csv", text)
    checked_in = time.perf_counter() - begun
    assert not errors, errors[:3]

    # Baseline: the same reports, each filed alone through intake (the JSON API's path).
    baseline_rows = rows[: min(len(rows), 2000)]
    single = stores_with_directory()
    begun = time.perf_counter()
    for n, row in enumerate(baseline_rows):
        submission = intake.Submission(row.report, row.fingerprint, f"base-{n:06d}", "192.0.2.1")
        intake.submit(submission, stores=single, settings=settings)
    baseline_rate = len(baseline_rows) / (time.perf_counter() - begun)
    del single

    stores = stores_with_directory()
    stores.partners.register(Partner("registry", "National registry", quota_per_minute=6000))
    client = PartnerClient("registry", frozenset(SCOPES))

    def send(part):
        outcomes = []
        for i in range(0, len(part), 100):
            summary = imports.import_rows(
                client, BATCH, part[i : i + 100], stores=stores, settings=settings
            )
            outcomes += summary.outcomes
        return outcomes

    begun = time.perf_counter()
    first = send(rows[: len(rows) // 2])  # ...and then the import is interrupted
    resumed = send(rows)  # the whole file again
    imported_in = time.perf_counter() - begun
    db = db_of(stores)
    counts = collections.Counter(o.outcome for o in resumed)
    references = [o.reference for o in resumed if o.reference]

    pipeline = FakePipeline(stores, settings)
    begun = time.perf_counter()
    pipeline.pump_stream()  # each case's mandate, and matching against table and batch
    matched_in = time.perf_counter() - begun
    imports.close_batch(client, BATCH, stores=stores, settings=settings)
    digests = imports.send_digests(
        stores=stores,
        directory=pipeline.directory.current(),
        email=pipeline.email,
        sms=pipeline.sms,
    )
    recipients = [m["to"] for m in pipeline.email.sent + pipeline.sms.sent]
    return {
        "rows": len(rows),
        "checked_seconds": checked_in,
        "first_created": sum(o.outcome == "created" for o in first),
        "created": counts["created"],
        "replayed": counts["replayed"],
        "refused": counts["refused"],
        "accounted": len(resumed) == len(rows)
        and {o.line for o in resumed} == {r.line for r in rows},
        "cases": len(db.cases),
        "distinct_cases": len(set(references)),
        "import_seconds": imported_in,
        "rows_sent": len(first) + len(resumed),
        "baseline_rate": baseline_rate,
        "matched_seconds": matched_in,
        "stream_left": len(db.stream) - pipeline._read,
        "pairs": len({frozenset(p) for p in db.pairs}),
        "digests": digests,
        "per_row_messages": len(recipients),
        "recipients_once": len(recipients) == len(set(recipients)),
        "memory_mb": _maxrss_mb() - memory_before,
    }


def calls_on_moto(rows_wanted: int) -> tuple[dict, dict]:
    """AWS calls per row of an import over HTTP, and per report of the JSON API."""
    from infra.local import emulator
    from infra.population import Population, as_csv, import_records

    with emulator.in_process(
        "bench", HOMEWARD_SIGNING_KEY="bench", HOMEWARD_RATE_LIMIT=str(10 * rows_wanted)
    ):
        from chalice.test import Client

        import app
        from chalicelib import wiring
        from chalicelib.adapters.tokens import ensure_dev_key, mint_dev_partner_token
        from chalicelib.domain.imports import read_file, wire_row
        from chalicelib.domain.partners import SCOPES, Partner

        settings = wiring.settings()
        wiring.stores().partners.register(Partner("registry", "Registry", quota_per_minute=6000))
        key = ensure_dev_key(settings.dev_key_file)
        token = mint_dev_partner_token(key, client_id="registry", scopes=SCOPES)
        rows, _ = read_file("r.csv", as_csv(import_records(Population(seed=5), rows_wanted)))
        calls: collections.Counter[str] = collections.Counter()

        def count(event_name: str, **_: object) -> None:
            calls[event_name.split(".", 1)[1]] += 1

        for service in ("dynamodb", "sqs", "ses", "sns", "secretsmanager", "kms"):
            wiring.client(service).meta.events.register("before-call", count)
        partner = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with Client(app.app, stage_name="local") as client:
            # Warm: the first request of a process pays for keys and the directory.
            client.http.post(
                "/api/v1/reports",
                headers={"Content-Type": "application/json"},
                body=json.dumps(rows[0].report.model_dump(mode="json")),
            )
            calls.clear()
            for row in rows[1:21]:
                report = json.dumps(row.report.model_dump(mode="json"))
                response = client.http.post(
                    "/api/v1/reports", headers={"Content-Type": "application/json"}, body=report
                )
                assert response.status_code == 201, response.body
            single = {k: v / 20 for k, v in calls.items()}
            calls.clear()
            batch_rows = rows[21:]
            for i in range(0, len(batch_rows), 100):
                body = json.dumps({"rows": [wire_row(r) for r in batch_rows[i : i + 100]]})
                response = client.http.post(
                    f"/api/v1/partner/imports/{BATCH}/rows", headers=partner, body=body
                )
                assert response.status_code == 200, response.body
            per_row = {k: v / len(batch_rows) for k, v in calls.items()}
    return per_row, single


def bench_bulk_import(rows: int = 20_000) -> None:
    print(
        f"\n== bulk import of {rows:,} rows (a registry's file), interrupted halfway and "
        "resumed, on the in-process fakes; AWS calls per row against moto\n"
        f"   $ {sys.executable} -m infra.bench bulk-import={rows}"
    )
    r = run_on_fakes(rows)
    rate = r["rows_sent"] / r["import_seconds"]
    print(
        f"   checked {r['rows']:,} rows in {r['checked_seconds']:.1f} s; imported "
        f"{r['rows_sent']:,} rows sent (half, then all again) in {r['import_seconds']:.1f} s: "
        f"{rate:.0f} rows/s; single reports through intake in the same process "
        f"{r['baseline_rate']:.0f}/s -> import at {rate / r['baseline_rate']:.2f} of it"
    )
    print(
        f"   every row accounted for: {r['accounted']} ({r['created']:,} created on resume + "
        f"{r['first_created']:,} before it; {r['replayed']:,} replayed, {r['refused']} refused)"
        f"; {r['cases']:,} cases for {r['rows']:,} rows, {r['distinct_cases']:,} distinct: "
        f"{'no duplicate' if r['cases'] == r['rows'] == r['distinct_cases'] else 'DUPLICATES'}"
    )
    print(
        f"   matching and mandates of every case in {r['matched_seconds']:.1f} s "
        f"(stream left: {r['stream_left']}); {r['pairs']} pairs to review; {r['digests']} "
        f"digests, each recipient once: {r['recipients_once']}; peak memory +"
        f"{r['memory_mb']:.0f} MB"
    )
    per_row, single = calls_on_moto(321)
    dynamo = sum(v for k, v in per_row.items() if k.startswith("dynamodb."))
    base = sum(single.values())
    total = sum(per_row.values())
    print(
        f"   AWS calls per imported row (300 rows over HTTP, batches of 100): {total:.2f} "
        f"({dynamo:.2f} DynamoDB); one report through POST /api/v1/reports: {base:.2f} -> "
        f"ratio {total / base:.2f} (target <= 1.05: each batch's partner, quota and batch "
        "item cost 3 calls per 100 rows)"
    )
    for op, value in sorted(per_row.items()):
        print(f"     {op}: {value:.2f}")
    print("   target: no duplicate, every row accounted for, rows/s >= 0.5 of single reports")


if __name__ == "__main__":
    bench_bulk_import(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
