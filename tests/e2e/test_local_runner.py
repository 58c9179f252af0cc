"""`make run`'s runner as a person uses it: start it, post a report, find the alerts."""

import json
import signal
import time
import urllib.request

import pytest
from helpers import EXAMPLE_REPORT, get_json, local_runner

pytestmark = pytest.mark.e2e


def test_a_posted_report_reaches_email_and_sms_within_five_seconds(tmp_path):
    with local_runner(tmp_path / "runner.log") as (base, process, log):
        request = urllib.request.Request(
            f"{base}/api/v1/reports",
            data=json.dumps(EXAMPLE_REPORT).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            reference = json.loads(response.read())["reference"]
        posted = time.monotonic()

        channels: set[str] = set()
        while time.monotonic() - posted < 5 and channels != {"email", "sms"}:
            messages = get_json(f"{base}/dev/outbox")["messages"]
            channels = {m["channel"] for m in messages if reference in m["body"]}
            time.sleep(0.1)
        assert channels == {"email", "sms"}, f"only {channels} within 5 s"
        emails = [m for m in messages if m["channel"] == "email"]
        assert all(reference in m["subject"] and m["sent_at"] for m in emails)

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        log.seek(0)
        output = log.read()
    assert "stopped" in output
    # Logs carry references, never the people in the report.
    for personal in ("Ковальчук", "Олександр", "iryna@example.org", "+380501234567"):
        assert personal not in output
