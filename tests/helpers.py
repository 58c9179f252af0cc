"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLE_REPORT = json.loads((Path(__file__).parent / "data" / "contract_report.json").read_text())


def post_report(client, body, *, key: str | None = None, headers: dict | None = None):
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if key:
        all_headers["Idempotency-Key"] = key
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post("/api/v1/reports", headers=all_headers, body=payload)
