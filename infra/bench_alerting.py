"""`make bench` (alert-latency): seconds from a report to its first alert sent, for urgent
reports posted to the API and urgent rows of a bulk import, on the local runner.

Both kinds are timed the same way: from the moment their request was sent (a report's
POST; the import batch's POST of rows, as `homeward reports import` sends it) to the
first message about them in the runner's outbox, which is read every half second from a
thread of its own. The API reports are the baseline of the same run: the ratio of the
medians is the figure to read (target: about 1; every urgent row alerted within the
minute).

    python -m infra.bench alert-latency          # 20 of each
    python -m infra.bench alert-latency=50
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.5  # seconds between two reads of the outbox: the resolution of the figures
REFERENCE = re.compile(r"HW-[0-9A-Z]{4}-[0-9A-Z]{4}")


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


class Outbox:
    """Watches the runner's outbox: the first time each reference shows in a message."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.first_seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Outbox:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _watch(self) -> None:
        while not self._stop.is_set():
            seen = time.perf_counter()
            try:
                messages = _call(f"{self.base}/dev/outbox")["messages"]
            except OSError:
                messages = []
            for message in messages:
                for reference in REFERENCE.findall(message["body"] or ""):
                    self.first_seen.setdefault(reference, seen)
            self._stop.wait(POLL)

    def wait_for(self, references: list[str], seconds: float = 600) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and not set(references) <= set(self.first_seen):
            time.sleep(POLL)


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
    with (
        runner(HOMEWARD_RATE_LIMIT=str(100 * count), HOMEWARD_DEV_KEY_FILE=str(key)) as base,
        Outbox(base) as outbox,
    ):
        coordinator = mint_dev_token(key, role="coordinator", agency="UA-NIB")
        _call(
            f"{base}/api/v1/staff/partners/bench-partner",
            "PUT",
            {"client_id": "bench-partner", "name": "Bench partner", "quota_per_minute": 6000},
            coordinator,
        )
        partner = mint_dev_partner_token(key, client_id="bench-partner")

        posted: dict[str, float] = {}
        for n in range(count):
            body = copy.deepcopy(example)
            body["urgent"] = True
            body["child"]["given_name"] = f"Дитина {n}"
            start = time.perf_counter()
            posted[_call(f"{base}/api/v1/reports", "POST", body)["reference"]] = start
        start = time.perf_counter()
        answer = _call(
            f"{base}/api/v1/partner/imports/bench-batch/rows",
            "POST",
            {"rows": _import_rows(count)},
            partner,
        )
        imported = {row["reference"]: start for row in answer["rows"] if row["reference"]}
        assert len(imported) == count, answer
        outbox.wait_for([*posted, *imported])

    def latencies(started: dict[str, float]) -> list[float]:
        missing = [r for r in started if r not in outbox.first_seen]
        assert not missing, f"never alerted: {missing}"
        return [outbox.first_seen[r] - t for r, t in started.items()]

    api = _figures("API", latencies(posted))
    bulk = _figures("bulk import (one batch of rows)", latencies(imported))
    print(
        f"   ratio imported / API (medians) {bulk / api:.2f} (target about 1; every urgent "
        f"row within the minute); resolution {POLL} s (the outbox is read every {POLL} s)"
    )
