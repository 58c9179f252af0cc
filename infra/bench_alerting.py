"""`make bench` (alert-latency): seconds from a report to its first alert sent, for urgent
reports posted to the API and urgent rows of a bulk import, on the local runner.

The two kinds are sent in turns, one report by the API then one urgent row in an import
batch (as `homeward reports import` posts it), a second apart, so that both meet the same
queue and the same load. Each is timed the same way, by the runner's own records read
back through the staff API once all went out: from the case's received time to its
first delivery's sent time (both to the second: the resolution of the figures). The API
reports are the baseline of the same run: the ratio of the medians is the figure to read
(target: about 1; every urgent row alerted within the minute).

    python -m infra.bench alert-latency          # 20 of each
    python -m infra.bench alert-latency=50
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GAP = 1.0  # seconds between two reports


def _call(url: str, method: str = "GET", body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - the local runner, on loopback
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


def _import_rows(count: int) -> list[dict]:
    """`count` urgent rows, as the command line sends them (checked by read_file)."""
    from chalicelib.domain.imports import read_file, wire_row

    sample = (ROOT / "docs" / "samples" / "import.csv").read_text(encoding="utf-8")
    header, first, *_ = list(csv.reader(io.StringIO(sample)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for n in range(count):
        row = dict(zip(header, first, strict=True))
        row.update(
            external_id=f"BENCH-{n:05d}",
            given_name=["Марко", "Іван", "Дмитро", "Артем", "Назар"][n % 5],
            date_of_birth=f"201{n % 10}-0{1 + n % 9}-1{n % 9}",
            urgent="yes",
        )
        writer.writerow([row[c] for c in header])
    rows, errors = read_file("bench.csv", out.getvalue())
    assert not errors, errors
    return [wire_row(r) for r in rows]


def _figures(label: str, seconds: list[float]) -> float:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    print(
        f"   {label}: {len(ordered)} urgent reports, median {median:.1f} s, p99 {p99:.1f} s, "
        f"slowest {ordered[-1]:.1f} s"
    )
    return median


def bench_alert_latency(count: int = 20, runner=None) -> None:
    from chalicelib.adapters.tokens import ensure_dev_key, mint_dev_partner_token, mint_dev_token

    print(
        f"\n== seconds from an urgent report to its first alert sent: {count} by the API, "
        f"{count} in an import batch, on the local runner\n"
        f"   $ python -m infra.bench alert-latency={count}"
    )
    key = ensure_dev_key(Path(tempfile.mkdtemp(prefix="homeward-bench-")) / "dev-key.pem")
    example = json.loads((ROOT / "tests" / "data" / "contract_report.json").read_text())
    with runner(HOMEWARD_RATE_LIMIT=str(100 * count), HOMEWARD_DEV_KEY_FILE=str(key)) as base:
        coordinator = mint_dev_token(key, role="coordinator", agency="UA-NIB")
        _call(
            f"{base}/api/v1/staff/partners/bench-partner",
            "PUT",
            {"client_id": "bench-partner", "name": "Bench partner", "quota_per_minute": 6000},
            coordinator,
        )
        partner = mint_dev_partner_token(key, client_id="bench-partner")
        rows = _import_rows(count)
        posted, imported = [], []
        for n in range(count):
            body = copy.deepcopy(example)
            body["urgent"] = True
            body["child"]["given_name"] = f"Дитина {n}"
            posted.append(_call(f"{base}/api/v1/reports", "POST", body)["reference"])
            time.sleep(GAP / 2)
            answer = _call(
                f"{base}/api/v1/partner/imports/bench-{n:05d}/rows",
                "POST",
                {"rows": [rows[n]]},
                partner,
            )
            imported.append(answer["rows"][0]["reference"])
            time.sleep(GAP / 2)

        def first_sent(reference: str) -> float | None:
            case = _call(f"{base}/api/v1/staff/cases/{reference}", token=coordinator)
            sent = [d["sent_at"] for d in case["deliveries"] if d.get("sent_at")]
            if not sent:
                return None
            received = dt.datetime.fromisoformat(case["received_at"])
            return (dt.datetime.fromisoformat(min(sent)) - received).total_seconds()

        found: dict[str, float] = {}
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and len(found) < 2 * count:
            for reference in posted + imported:
                if reference not in found and (seconds := first_sent(reference)) is not None:
                    found[reference] = seconds
            time.sleep(5)
    missing = [r for r in posted + imported if r not in found]
    assert not missing, f"never alerted: {missing}"
    api = _figures("API", [found[r] for r in posted])
    bulk = _figures("bulk import (a row a batch)", [found[r] for r in imported])
    print(
        f"   ratio imported / API (medians) {bulk / max(api, 1.0):.2f} (target about 1; every "
        "urgent row within the minute); resolution 1 s (the runner records times to the second)"
    )
