"""`make run`'s runner as a person uses it: start it, post a report, find the alerts,
follow an escalated alert's link, stop it.

One runner for all of it (starting one is most of what this costs): the escalation and
schedule delays are shortened, which changes nothing for the report that is not urgent.
"""

import gzip
import json
import re
import signal
import time
import urllib.error
import urllib.request

import pytest
from helpers import EXAMPLE_REPORT, get_json, local_runner, logged_errors

pytestmark = pytest.mark.e2e


def _post(base: str, report: dict) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/reports",
        data=json.dumps(report).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())["reference"]


def test_a_report_alerts_within_five_seconds_an_urgent_one_escalates_and_the_link_acknowledges(
    tmp_path,
):
    urgent = json.loads(json.dumps(EXAMPLE_REPORT))
    urgent["urgent"] = True
    with local_runner(
        tmp_path / "runner.log",
        HOMEWARD_ESCALATE_URGENT_SECONDS="2",
        HOMEWARD_SCHEDULE_SECONDS="1",
        HOMEWARD_ANCHOR_SECONDS="1",  # the daily stamp's loop runs (and fails nothing)
    ) as (base, process, log):
        reference = _post(base, EXAMPLE_REPORT)
        posted = time.monotonic()

        # A posted report reaches e-mail and SMS within five seconds, each with the time it
        # was sent. (SES holds a message a moment before its sender records the time: a
        # message counts once the outbox shows both.)
        channels: set[str] = set()
        while time.monotonic() - posted < 5 and channels != {"email", "sms"}:
            messages = get_json(f"{base}/dev/outbox")["messages"]
            alerts = [m for m in messages if reference in m["body"]]
            channels = {m["channel"] for m in alerts if m["sent_at"]}
            time.sleep(0.1)
        assert channels == {"email", "sms"}, f"only {channels} sent within 5 s: {alerts}"
        emails = [m for m in alerts if m["channel"] == "email"]
        assert emails and all(reference in m["subject"] for m in emails)

        # Urgent alerts escalate after the (shortened) delay.
        escalating = _post(base, urgent)
        deadline = time.monotonic() + 20

        # Pages compressed as API Gateway compresses them, when the browser accepts it.
        sizes = {}
        for accept in ("gzip, deflate, br", "identity", "gzip;q=0"):
            request = urllib.request.Request(f"{base}/", headers={"Accept-Encoding": accept})
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
                encoding = response.headers.get("Content-Encoding")
            if encoding == "gzip":
                assert "Accept-Encoding" in response.headers["Vary"]
                body = gzip.decompress(body)
            sizes[accept] = (encoding, len(body))
            assert "<h1>" in body.decode()
        assert sizes["gzip, deflate, br"][0] == "gzip"
        assert sizes["identity"][0] is None and sizes["gzip;q=0"][0] is None

        escalated: list[dict] = []
        while time.monotonic() < deadline and not escalated:
            messages = get_json(f"{base}/dev/outbox")["messages"]
            escalated = [
                m
                for m in messages
                if escalating in m["body"] and m["body"].startswith(("ЕСКАЛАЦІЯ 1", "ESCALATION 1"))
            ]
            time.sleep(0.2)
        assert escalated, "no escalation within 20 s"

        # The link in the message acknowledges, once.
        link = re.search(rf"{re.escape(base)}/ack/\S+", escalated[0]["body"]).group(0)
        with urllib.request.urlopen(link, timeout=10) as page:
            assert page.status == 200
        ack = urllib.request.Request(link, data=b"", method="POST")
        with urllib.request.urlopen(ack, timeout=10) as page:
            assert page.status == 200
            assert escalating in page.read().decode()
        with pytest.raises(urllib.error.HTTPError) as reused:
            urllib.request.urlopen(ack, timeout=10)
        assert reused.value.code == 404

        # Ctrl-C stops it cleanly.
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        log.seek(0)
        output = log.read()
    assert "stopped" in output
    assert not logged_errors(output), "\n\n".join(logged_errors(output))
    # Every loop (the daily stamp's too) ran without an error.
    assert not [line for line in output.splitlines() if " ERROR " in line]
    # Logs carry references, never the people in the report.
    for personal in ("Ковальчук", "Олександр", "iryna@example.org", "+380501234567"):
        assert personal not in output
