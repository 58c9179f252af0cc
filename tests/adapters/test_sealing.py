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
    assert sealer.open(first, "reporter", a["sealed_reporter"]["B"], a["sealed_key"]["B"])
    with pytest.raises(SealBroken):
        # The first case's fields, presented as the second's: context and tag both refuse.
        sealer.open(second, "reporter", a["sealed_reporter"]["B"], a["sealed_key"]["B"])
    with pytest.raises(SealBroken):
        # One group's ciphertext put in the other group's place: its tag refuses.
        sealer.open(first, "child", a["sealed_reporter"]["B"], a["sealed_key"]["B"])


def test_each_group_is_sealed_apart_under_one_data_key(client, aws, report_body):
    from chalicelib.adapters.sealing import NONCE_BYTES

    reference = post_report(client, report_body).json_body["reference"]
    key = {"pk": {"S": f"CASE#{reference}"}, "sk": {"S": "CASE"}}
    item = boto3.client("dynamodb").get_item(TableName=aws["TableName"], Key=key)["Item"]
    reporter, child = item["sealed_reporter"]["B"], item["sealed_child"]["B"]
    # Distinct nonces under the one key; the groups hold what the domain says they do.
    assert reporter[1 : 1 + NONCE_BYTES] != child[1 : 1 + NONCE_BYTES]
    sealer = wiring.stores().cases._sealer
    assert sealer.open(reference, "reporter", reporter, item["sealed_key"]["B"]) == {
        "reporter": {key: report_body["reporter"][key] for key in ("name", "email", "phone")}
    }
    opened = sealer.open(reference, "child", child, item["sealed_key"]["B"])
    assert set(opened) == {"child", "event"} and "circumstances" in opened["event"]


def test_a_case_sealed_before_there_were_groups_still_opens(client, aws, report_body):
    import json
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.adapters.dynamo.cases import case_of
    from chalicelib.domain.report import join_sealed, split_sealed

    sealer = wiring.stores().cases._sealer
    open_part, groups = split_sealed(report_body)
    everything = join_sealed({}, *groups.values())
    # As the last release sealed: one blob for all, the reference as associated data.
    _, key_blob = sealer.seal("HW-2222-3333", {})
    nonce = os.urandom(12)
    cipher = AESGCM(sealer._data_key("HW-2222-3333", key_blob))
    legacy = (
        b"\x01" + nonce + cipher.encrypt(nonce, json.dumps(everything).encode(), b"HW-2222-3333")
    )
    values = {
        "reference": "HW-2222-3333",
        "received_at": "2026-11-28T09:00:00Z",
        "report": json.dumps(open_part),
        "status": "received",
        "version": 1,
        "sealed": legacy,
        "sealed_key": key_blob,
    }
    case = case_of(values, sealer)
    assert case.report.reporter.email == report_body["reporter"]["email"]
    assert case.report.child.medical_needs == report_body["child"]["medical_needs"]
