"""A monthly cost estimate for a Homeward stage, from measured figures and list prices.

`python -m infra.bench cost` runs reports through the alerting path on the in-memory
fakes (the demo directory, the deployment's SMS policy) and counts what each report
costs: messages and SMS parts by destination, and the reads and writes of the stores
(through the unit of work). It prices them with infra/data/prices.json (dated), adds what
a stage costs standing still (keys, alarms, WAF, secret), and prints a pilot (300
reports and 20 staff a month) and registry scale (20,000 reports a month).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT / "infra" / "data" / "prices.json"

# What each report costs the rest of the system, beyond what is counted: staff reading
# it (about 6 reads a report over its life), its share of list pages and statistics.
STAFF_READS_PER_REPORT = 6
STAFF_REQUESTS_PER_REPORT = 20
# A report's items in the table (case, alert, deliveries, keys, notes...): a few KB.
KB_PER_REPORT = 12
LAMBDA_MS = {"api": 120, "dispatch": 80, "send": 150, "match": 120}
LAMBDA_GB = 0.5
# Fixed, whatever the traffic.
ALARMS = 29  # infra/operations.py's and infra/template.yaml's (tests/infra/test_operations.py)
WAF_RULES = 3
KMS_KEYS = 2


@dataclass
class Usage:
    reports: int = 0
    emails: int = 0
    sms_parts: Counter = field(default_factory=Counter)  # destination prefix -> parts
    sms_messages: int = 0
    writes: int = 0  # write request units (a transactional item counts twice)
    reads: int = 0  # read request units, eventually consistent, rounded up per item
    kms: int = 0
    queue_requests: int = 0
    invocations: Counter = field(default_factory=Counter)


def prices() -> dict:
    return json.loads(PRICES.read_text())


def _prefix(number: str, table: dict) -> str:
    return next(
        (p for p in sorted(table, key=len, reverse=True) if number.startswith(p)), "default"
    )


def sms_policy(deployed: bool = True) -> dict[str, str]:
    """The SMS policy a stage deploys with (the stack parameters' defaults,
    infra/operations.py), or none (every alert by SMS too, two UCS-2 parts at most)."""
    from infra.operations import PARAMETERS

    if not deployed:
        return {"HOMEWARD_SMS_FOR": "all", "HOMEWARD_SMS_ONE_PART": "false"}
    return {
        "HOMEWARD_SMS_FOR": PARAMETERS["SmsFor"]["Default"],
        "HOMEWARD_SMS_ONE_PART": PARAMETERS["SmsOnePart"]["Default"],
    }


def measure(
    reports: int = 200, seed: int = 2026, *, policy: bool = True, escalated: bool = False
) -> Usage:
    """Run reports through the alerting path on the fakes; count what they used (with the
    deployed SMS policy, or without any). `escalated`: nobody acknowledges in time, so
    every alert climbs one rung (an upper bound: most are acknowledged first)."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import FakePipeline, db_of, fake_stores
    from helpers import EXAMPLE_REPORT, demo_directory

    from chalicelib import config
    from chalicelib.domain.places import OBLASTS
    from chalicelib.domain.report import Report
    from chalicelib.domain.sms import segments
    from chalicelib.services import intake

    settings = config.load(
        {
            "HOMEWARD_STAGE": "local",
            "HOMEWARD_SIGNING_KEY": "cost",
            "HOMEWARD_RATE_LIMIT": "1000000",
            **sms_policy(policy),
        }
    )
    stores = fake_stores()
    directory = demo_directory()
    uow = stores.unit_of_work()
    stores.directory.change(uow, 0, contacts=directory.contacts, rules=directory.rules)
    uow.commit()
    pipeline = FakePipeline(stores, settings)
    db = db_of(stores)
    commits_before = db.commits
    rng = random.Random(seed)
    oblasts = sorted(OBLASTS)
    now = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    for n in range(reports):
        body = copy.deepcopy(EXAMPLE_REPORT)
        body["residence"]["oblast"] = rng.choice(oblasts)
        body["urgent"] = rng.random() < 0.15
        body["child"]["given_name"] = f"Дитина{n}"
        report = Report.model_validate(body)
        intake.submit(
            intake.Submission(report, str(n), None, f"10.0.{n // 250}.{n % 250}"),
            stores=stores,
            settings=settings,
            now=now + dt.timedelta(minutes=n),
        )
    pipeline.run_until_idle(now)
    if escalated:
        later = now + dt.timedelta(minutes=reports, days=1, seconds=1)
        pipeline.tick(later)
        pipeline.run_until_idle(later)
    usage = Usage(reports=reports)
    usage.emails = len(pipeline.email.sent)
    table = prices()["sns_sms_per_part"]
    for message in pipeline.sms.sent:
        usage.sms_messages += 1
        usage.sms_parts[_prefix(message["to"], table)] += segments(message["parts"][-1])
    deliveries = usage.emails + usage.sms_messages
    # Writes: intake (case, alert, statistics, keys, guards: transactional), dispatch
    # (deliveries and mandate: transactional), each delivery claimed and settled.
    stored_items = sum(1 for _ in db.stream)
    intake_items = reports * 6 + sum(len(v) for v in db.blocking.values())
    usage.writes = 2 * intake_items + 2 * (deliveries + reports * 2) + 2 * deliveries
    usage.reads = reports * (STAFF_READS_PER_REPORT + 4) + deliveries
    usage.kms = reports * (1 + STAFF_READS_PER_REPORT // 3)
    usage.queue_requests = deliveries * 3
    usage.invocations.update(
        api=reports * (1 + STAFF_REQUESTS_PER_REPORT),
        dispatch=stored_items,
        send=deliveries,
        match=reports,
    )
    assert db.commits > commits_before
    return usage


@dataclass
class Estimate:
    reports: int
    total: float
    per_report: float
    sms: float
    lines: dict[str, float]


def estimate(usage: Usage, reports_per_month: int, staff: int) -> Estimate:
    p = prices()
    scale = reports_per_month / usage.reports
    sms_price = p["sns_sms_per_part"]
    lines: dict[str, float] = {}
    lines["SMS"] = scale * sum(
        parts * sms_price[prefix] for prefix, parts in usage.sms_parts.items()
    )
    lines["e-mail (SES)"] = scale * usage.emails * p["ses_per_thousand_emails"] / 1000
    lines["DynamoDB requests"] = (
        scale
        * (
            usage.writes * p["dynamodb_per_million_write_units"]
            + usage.reads * p["dynamodb_per_million_read_units"]
        )
        / 1e6
    )
    # A year of reports kept, with point-in-time recovery.
    gigabytes = reports_per_month * 12 * KB_PER_REPORT / 1e6
    lines["DynamoDB storage and backups"] = gigabytes * (
        p["dynamodb_storage_gb_month"] + p["dynamodb_pitr_gb_month"] + p["backup_storage_gb_month"]
    )
    invocations = sum(usage.invocations.values()) * scale
    seconds = sum(n * LAMBDA_MS[kind] / 1000 for kind, n in usage.invocations.items()) * scale
    lines["Lambda"] = (
        invocations * p["lambda_per_million_requests"] / 1e6
        + seconds * LAMBDA_GB * p["lambda_gb_second"]
    )
    api_requests = usage.invocations["api"] * scale + staff * 400
    lines["API Gateway and WAF requests"] = (
        api_requests * (p["api_gateway_rest_per_million"] + p["waf_per_million_requests"]) / 1e6
    )
    lines["SQS"] = scale * usage.queue_requests * p["sqs_per_million_requests"] / 1e6
    lines["KMS"] = (
        KMS_KEYS * p["kms_key_month"] + scale * usage.kms * p["kms_per_10k_requests"] / 1e4
    )
    lines["standing: alarms, WAF, secret, DNS"] = (
        ALARMS * p["cloudwatch_alarm_month"]
        + p["waf_web_acl_month"]
        + WAF_RULES * p["waf_rule_month"]
        + p["secrets_manager_secret_month"]
        + p["route53_hosted_zone_month"]
    )
    lines["logs"] = (invocations * 1.5 / 1e6) * p["cloudwatch_logs_ingest_gb"]
    total = sum(lines.values())
    return Estimate(reports_per_month, total, total / reports_per_month, lines["SMS"], lines)
