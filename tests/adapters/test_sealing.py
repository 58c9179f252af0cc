"""What is stored of a report holds its most sensitive fields only as ciphertext.

The reporter's name, e-mail and phone and the child's medical needs, distinguishing marks
and circumstances are sealed under the stage's KMS key before they reach the table; the
table, its stream and what the report stores elsewhere show ciphertext only.
"""

import boto3
import pytest
from helpers import post_report

from chalicelib import wiring
from chalicelib.adapters.sealing import SealBroken

IN_CLEAR = (
    "iryna@example.org",
    "+380501234567",
    "Ковальчук Ірина",
    "inhaler",
    "scar above the left eyebrow",
    "recreation camp",
)


def everything_in(values) -> str:
    """Every attribute of some items as text, binary ones decoded as far as they go."""
    parts = []
    for value in values:
        if isinstance(value, dict):
            parts.append(everything_in(value.values()))
        elif isinstance(value, list):
            parts.append(everything_in(value))
        elif isinstance(value, bytes):
            parts.append(value.decode("utf-8", errors="ignore"))
        else:
            parts.append(str(value))
    return "\n".join(parts)


def test_the_table_and_its_stream_hold_no_sensitive_field_in_clear(client, aws, pump, report_body):
    reference = post_report(client, report_body).json_body["reference"]
    table = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    stored = everything_in(table)
    assert reference in stored and "Ковальчук" in stored  # the child's name is open
    for secret in IN_CLEAR:
        assert secret not in stored, secret
    records = pump._shard_records({})
    streamed = everything_in(r["dynamodb"] for r in records)
    assert reference in streamed
    for secret in IN_CLEAR:
        assert secret not in streamed, secret
    # Those who may read it get it back whole.
    case = wiring.stores().cases.get(reference)
    assert case.report.reporter.email == "iryna@example.org"
    assert case.report.child.medical_needs == report_body["child"]["medical_needs"]


def test_sealed_fields_opened_under_another_case_are_refused(client, aws, report_body):
    first = post_report(client, report_body).json_body["reference"]
    second = post_report(client, report_body).json_body["reference"]
    dynamo = boto3.client("dynamodb")

    def item(reference):
        key = {"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}}
        return dynamo.get_item(TableName=aws["TableName"], Key=key)["Item"]

    sealer = wiring.stores().cases._sealer
    a = item(first)
    with pytest.raises(SealBroken):
        # The first case's fields, presented as the second's: context and tag both refuse.
        sealer.open(second, a["sealed"]["B"], a["sealed_key"]["B"])


def test_an_accepted_report_costs_one_kms_call(client, aws, report_body):
    calls: list[str] = []
    wiring.client("kms").meta.events.register(
        "before-call", lambda event_name, **_: calls.append(event_name.split(".")[-1])
    )
    post_report(client, report_body)
    assert calls == ["GenerateDataKey"]
