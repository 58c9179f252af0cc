"""/dev/outbox keeps each message's real send time: a digest (which has no delivery item)
is not stamped with the time the outbox is read, so it does not always look newest."""

import datetime as dt

import time_machine
from helpers import post_report

from infra.local.outbox import sent_messages

DIGEST = "підсумок за"
SENT = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)


def test_a_digest_keeps_the_time_it_was_sent(client, pump, report_body):
    with time_machine.travel(SENT, tick=False):
        post_report(client, report_body)
        pump.run_until_idle()
    with time_machine.travel(SENT + dt.timedelta(hours=1), tick=False):
        assert pump.send_digest() > 0
    # Read two hours later: each message says when it went, the digest an hour after
    # the alerts, and the newest first.
    with time_machine.travel(SENT + dt.timedelta(hours=3), tick=False):
        messages = sent_messages()
    digests = [m for m in messages if m["subject"] and DIGEST in m["subject"]]
    alerts = [m for m in messages if m not in digests]
    assert digests and alerts
    assert {m["sent_at"] for m in digests} == {"2026-11-28T08:00:00Z"}
    assert {m["sent_at"] for m in alerts} == {"2026-11-28T07:00:00Z"}
    assert messages[: len(digests)] == digests
