"""DynamoDB's attribute values to and from Python, the way every store reads and writes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Attribute values of a dict; None values are left out (DynamoDB has no use for them)."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def value(v: Any) -> dict[str, Any]:
    return _serializer.serialize(v)


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


def plain(v: Any) -> Any:
    """DynamoDB's Decimals and sets, all the way down, as ordinary Python values."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (set, frozenset)):
        return sorted(plain(x) for x in v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, Binary):
        return bytes(v.value)
    return v


def time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def expression(values: dict[str, Any], prefix: str = "a") -> tuple[str, dict, dict]:
    """`SET #a0 = :a0, ...` for a dict of attributes, with their names and values."""
    names = {f"#{prefix}{i}": k for i, k in enumerate(values)}
    placeholders = {f":{prefix}{i}": value(v) for i, v in enumerate(values.values())}
    assignments = ", ".join(f"#{prefix}{i} = :{prefix}{i}" for i in range(len(values)))
    return assignments, names, placeholders


def query_all(client: Any, **request: Any) -> list[dict[str, Any]]:
    """Every item a query finds, page after page (a page ends at 1 MB), as plain values."""
    found: list[dict[str, Any]] = []
    while True:
        page = client.query(**request)
        found += [from_item(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
