"""The functions' metrics as CloudWatch Embedded Metric Format: one JSON line a flush,
which Lambda's log stream carries to CloudWatch, where it becomes metrics (no API call,
no client, nothing to import: Powertools Metrics 3.37 added 20 to 40 ms to a cold start
of app.py here, `python -m infra.bench metrics-import`).

Each metric is kept for the stage and, where it has one, for the stage and its channel:
`DeliveriesFailed` by stage is what the operators' alarm watches (infra/operations.py).
Dimensions are the stage and the channel only, never anything about a person or a case.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

NAMESPACE = "Homeward"
# CloudWatch takes at most 100 metrics a directive (EMF specification).
_MAX_METRICS = 100


class EmfMetrics:
    def __init__(
        self, stage: str, *, namespace: str = NAMESPACE, write: Callable[[str], Any] = print
    ) -> None:
        self._stage = stage
        self._namespace = namespace
        self._write = write
        # (channel or None, name) -> (unit, values)
        self._pending: dict[tuple[str | None, str], tuple[str, list[float]]] = {}

    def add(
        self, name: str, value: float = 1, *, unit: str = "Count", channel: str | None = None
    ) -> None:
        self._pending.setdefault((channel, name), (unit, []))[1].append(value)

    def flush(self) -> int:
        """Write what was counted since the last flush; the number of lines written."""
        pending, self._pending = self._pending, {}
        groups: dict[str | None, dict[str, tuple[str, list[float]]]] = {}
        for (channel, name), entry in pending.items():
            groups.setdefault(channel, {})[name] = entry
        lines = 0
        for channel, metrics in sorted(groups.items(), key=lambda kv: kv[0] or ""):
            names = sorted(metrics)
            for start in range(0, len(names), _MAX_METRICS):
                chunk = names[start : start + _MAX_METRICS]
                self._write(json.dumps(self._document(channel, {n: metrics[n] for n in chunk})))
                lines += 1
        return lines

    def _document(self, channel: str | None, metrics: dict[str, tuple[str, list[float]]]) -> dict:
        dimensions = [["Stage"]] + ([["Stage", "Channel"]] if channel else [])
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": dimensions,
                        "Metrics": [{"Name": n, "Unit": u} for n, (u, _) in metrics.items()],
                    }
                ],
            },
            "Stage": self._stage,
        }
        if channel:
            document["Channel"] = channel
        for name, (unit, values) in metrics.items():
            document[name] = sum(values) if unit == "Count" else values
        return document
