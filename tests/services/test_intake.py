"""Intake on the fakes: one unit of work per report, idempotency per caller, rate limits."""

import copy
import dataclasses
import datetime as dt

import pytest
from helpers import EXAMPLE_REPORT

from chalicelib.domain.intake import RateLimit
from chalicelib.domain.report import Report
from chalicelib.services import intake

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def submission(key=None, source="198.51.100.7", **changes):
    body = copy.deepcopy(EXAMPLE_REPORT)
    body.update(changes)
    return intake.Submission(
        report=Report.model_validate(body),
        fingerprint=str(sorted(body.items())),
        idempotency_key=key,
        source=source,
    )


def test_a_report_is_stored_with_everything_it_causes_in_one_write(stores, db, settings):
    receipt, created = intake.submit(submission(), stores=stores, settings=settings, now=T0)
    assert created and receipt.reference in db.cases
    assert db.commits == 2  # the demo directory, then the report: one write
    assert [kind for kind, _ in db.stream] == ["case", "alert"]
    (alert,) = db.alerts.values()
    assert alert.due == T0 + dt.timedelta(hours=24)  # a normal report waits a day
    assert db.blocking and db.counters[None]["total"] == 1


def test_the_same_key_and_body_is_the_same_report(stores, db, settings):
    first, created = intake.submit(submission("key-0000001"), stores=stores, settings=settings)
    again, created_again = intake.submit(
        submission("key-0000001"), stores=stores, settings=settings
    )
    assert created and not created_again and again == first
    assert len(db.cases) == 1
    with pytest.raises(intake.IdempotencyKeyReused):
        intake.submit(submission("key-0000001", urgent=True), stores=stores, settings=settings)


def test_keys_belong_to_their_caller(stores, db, settings):
    """Another source's identical key is another key: it can neither squat nor probe."""
    mine, _ = intake.submit(submission("key-0000001"), stores=stores, settings=settings)
    theirs, created = intake.submit(
        submission("key-0000001", source="203.0.113.9", urgent=True),
        stores=stores,
        settings=settings,
    )
    assert created and theirs.reference != mine.reference


def test_a_reference_collision_or_a_conflict_is_tried_again(stores, db, settings, monkeypatch):
    taken, _ = intake.submit(submission(), stores=stores, settings=settings)
    references = iter([taken.reference, "HW-7777-8888"])
    monkeypatch.setattr(intake, "new_reference", lambda: next(references))
    db.conflicts = 1
    receipt, created = intake.submit(submission(), stores=stores, settings=settings)
    assert created and receipt.reference == "HW-7777-8888"


def test_a_source_gets_a_burst_then_one_report_per_interval(stores, db, settings):
    """GCRA: `limit` at once, then one each window/limit, never twice the limit at an edge."""
    settings = dataclasses.replace(settings, rate_limit=3)
    at = [T0 + dt.timedelta(seconds=s) for s in (0, 1, 2, 3)]
    for moment in at[:3]:
        intake.submit(submission(), stores=stores, settings=settings, now=moment)
    with pytest.raises(intake.TooManyRequests) as refused:
        intake.submit(submission(), stores=stores, settings=settings, now=at[3])
    assert 190 <= refused.value.retry_after <= 200  # one interval (600 s / 3) from the start
    assert len(db.cases) == 3
    # At a window's "edge" nothing more gets through, however it is timed.
    with pytest.raises(intake.TooManyRequests):
        intake.submit(
            submission(), stores=stores, settings=settings, now=T0 + dt.timedelta(seconds=150)
        )
    # After one interval, one more.
    intake.submit(
        submission(), stores=stores, settings=settings, now=T0 + dt.timedelta(seconds=201)
    )
    assert len(db.cases) == 4


def test_an_ipv6_subscriber_is_one_source(stores, db, settings):
    settings = dataclasses.replace(settings, rate_limit=2)
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff"):
        intake.submit(submission(source=host), stores=stores, settings=settings, now=T0)
    with pytest.raises(intake.TooManyRequests):
        intake.submit(
            submission(source="2001:db8:1:2:abcd::9"), stores=stores, settings=settings, now=T0
        )
    # Another /64 is another source.
    intake.submit(submission(source="2001:db8:1:3::1"), stores=stores, settings=settings, now=T0)


def test_an_ipv4_address_carried_in_ipv6_is_that_one_source(stores, db, settings):
    """6to4 gives each IPv4 address 2^16 /64s, Teredo a /128 per port: both count as the
    IPv4 address they carry, like an IPv4-mapped one."""
    settings = dataclasses.replace(settings, rate_limit=2)
    # 192.0.2.1 as 6to4 (two of its /64s), then as itself.
    for host in ("2002:c000:201:1::1", "2002:c000:201:2::1"):
        intake.submit(submission(source=host), stores=stores, settings=settings, now=T0)
    for host in ("192.0.2.1", "::ffff:192.0.2.1"):
        with pytest.raises(intake.TooManyRequests):
            intake.submit(submission(source=host), stores=stores, settings=settings, now=T0)
    # Teredo: server 65.54.227.120, client 192.0.2.45 (obfuscated), two ports.
    for port in ("f227", "f228"):
        host = f"2001:0:4136:e378:8000:{port}:3fff:fdd2"
        intake.submit(submission(source=host), stores=stores, settings=settings, now=T0)
    with pytest.raises(intake.TooManyRequests):
        intake.submit(submission(source="192.0.2.45"), stores=stores, settings=settings, now=T0)


def test_admit_limits_other_public_routes(stores, settings):
    limit = RateLimit(limit=2, per_seconds=60)
    for _ in range(2):
        intake.admit("status", "198.51.100.7", limit, stores=stores, settings=settings, now=T0)
    with pytest.raises(intake.TooManyRequests):
        intake.admit("status", "198.51.100.7", limit, stores=stores, settings=settings, now=T0)
    # Each purpose has its own allowance.
    intake.admit("upload", "198.51.100.7", limit, stores=stores, settings=settings, now=T0)
