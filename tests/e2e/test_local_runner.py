"""`make run`'s runner as a person uses it: start it, post a report, find the alerts."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import EXAMPLE_REPORT

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def runner(tmp_path):
    port = free_port()
    log = (tmp_path / "runner.log").open("w+")
    env = {**os.environ, "PORT": str(port)}
    for leaked in ("HOMEWARD_STAGE", "HOMEWARD_TABLE", "AWS_ENDPOINT_URL"):
        env.pop(leaked, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if get(f"{base}/healthz") == {"status": "ok"}:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"runner did not start:\n{log.read()}")
        time.sleep(0.2)
    yield base, process, log
    if process.poll() is None:
        process.kill()
        process.wait()


def test_a_posted_report_reaches_email_and_sms_within_five_seconds(runner):
    base, process, log = runner
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
        messages = get(f"{base}/dev/outbox")["messages"]
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
