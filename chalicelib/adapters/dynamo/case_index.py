"""The staff case lists: one indexed query per page, never a scan, whatever the table holds.

A coordinator's list reads the most selective index for the filters (infra/template.yaml);
a caseworker's reads the agency's mandate and fetches those cases in one batch. The cursor
that continues a list is signed and bound to the list it came from: another person's
cursor, or one sent with other filters, is refused rather than misread.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.deliveries import consent_of
from chalicelib.adapters.dynamo.items import from_item, time
from chalicelib.domain.alerts import REPORT_RECEIVED
from chalicelib.domain.casefile import CaseBrief, CaseSummary, Filters, InvalidCursor, Page
from chalicelib.domain.report import STORED, Report
from chalicelib.domain.workflow import Status

SUMMARY = ["reference", "received_at", "status", "oblast", "category", "urgent", "assignee"]
SUMMARY += ["version", "consent"]
# A list request reads at most this many index pages before it answers with what it has
# and a cursor: the cost of a request stays bounded when filters are combined.
MAX_PAGES = 3


def _summary(values: dict[str, Any]) -> CaseSummary:
    return CaseSummary(
        reference=values["reference"],
        received_at=time(values["received_at"]),
        status=Status(values["status"]),
        oblast=values["oblast"],
        category=values["category"],
        urgent=bool(values.get("urgent")),
        version=int(values["version"]),
        assignee=values.get("assignee"),
        consent=consent_of(values["consent"]),
    )


class Cursors:
    """Opaque, signed continuation tokens, each bound to the list that gave it out."""

    def __init__(self, key: bytes | Callable[[], bytes]) -> None:
        # A callable is read on first use: a function that never pages a list never
        # needs the signing key (nor the permission to read it).
        self._source = key

    @property
    def _key(self) -> bytes:
        return self._source() if callable(self._source) else self._source

    def encode(self, query: str, last: dict[str, Any]) -> str:
        raw = json.dumps({"q": query, "k": last}, sort_keys=True).encode()
        mac = hmac.new(self._key, raw, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + raw).decode()

    def decode(self, query: str, cursor: str) -> dict[str, Any]:
        try:
            blob = base64.urlsafe_b64decode(cursor.encode())
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise InvalidCursor() from exc
        mac, raw = blob[:12], blob[12:]
        expected = hmac.new(self._key, raw, hashlib.sha256).digest()[:12]
        if not hmac.compare_digest(mac, expected):
            raise InvalidCursor()
        payload = json.loads(raw)
        if payload.get("q") != query:
            raise InvalidCursor()
        return payload["k"]


def _query_id(agency: str | None, filters: Filters) -> str:
    return json.dumps([agency, [str(v) if v is not None else None for v in vars(filters).values()]])


class CaseIndex:
    def __init__(self, client: Any, table: str, cursor_key: bytes | Callable[[], bytes]) -> None:
        self._client = client
        self._table = table
        self._cursors = Cursors(cursor_key)

    def list(
        self, filters: Filters, *, agency: str | None, limit: int = 50, cursor: str | None = None
    ) -> Page:
        """A page of case summaries, newest first; `agency` limits it to a mandate."""
        query = _query_id(agency, filters)
        start = self._cursors.decode(query, cursor) if cursor else None
        if agency is not None:
            return self._mandate(query, filters, agency, limit, start)
        dimension = next(
            (d for d in ("status", "oblast", "category") if getattr(filters, d)),
            "urgent" if filters.urgent else "all",
        )
        index, partition_key = keys.LIST_INDEXES[dimension]
        names = {"#pk": partition_key}
        values: dict[str, Any] = {
            ":pk": {"S": keys.list_partition(dimension, getattr(filters, dimension, None))}
        }
        condition = "#pk = :pk" + _received_condition(filters, values)
        if "#rk" in condition:
            names["#rk"] = "received_key"
        remaining, filter_values, filter_names = _remaining_filters(filters, dimension)
        values.update(filter_values)
        names.update(filter_names)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if remaining:
            request["FilterExpression"] = remaining
        if start:
            request["ExclusiveStartKey"] = start
        page = Page(cases=[], cursor=None)
        for _ in range(MAX_PAGES):
            response = self._client.query(**request)
            page.calls += 1
            page.items_read += response.get("ScannedCount", 0)
            page.cases += [_summary(from_item(item)) for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            page.cursor = self._cursors.encode(query, last) if last else None
            if not last or len(page.cases) >= limit:
                break
            request["ExclusiveStartKey"] = last
            request["Limit"] = limit - len(page.cases)
        return page

    def _mandate(
        self,
        query: str,
        filters: Filters,
        agency: str,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        values: dict[str, Any] = {":pk": {"S": keys.mandate_partition(agency)}}
        condition = "pk = :pk" + _received_condition(filters, values).replace("#rk", "sk")
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = start
        response = self._client.query(**request)
        page = Page(cases=[], cursor=None, calls=1, items_read=response.get("ScannedCount", 0))
        references = [from_item(i)["reference"] for i in response.get("Items", [])]
        if references:
            fetched = self._client.batch_get_item(
                RequestItems={
                    self._table: {
                        "Keys": [keys.case(r) for r in references],
                        "ProjectionExpression": ", ".join(f"#s{i}" for i in range(len(SUMMARY))),
                        "ExpressionAttributeNames": {f"#s{i}": s for i, s in enumerate(SUMMARY)},
                    }
                }
            )
            page.calls += 1
            page.items_read += len(references)
            found = {
                c.reference: c
                for c in (_summary(from_item(i)) for i in fetched["Responses"][self._table])
            }
            # The mandate's newest-first order, and the filters the key did not cover.
            page.cases = [found[r] for r in references if r in found and filters.admits(found[r])]
        last = response.get("LastEvaluatedKey")
        page.cursor = self._cursors.encode(query, last) if last else None
        return page

    def briefs(self, references: list[str]) -> dict[str, CaseBrief]:
        """The console's rows of some cases (at most 50): one batch read of each case item
        and of its first alert, whatever the table holds. Sealed fields are not read."""
        references = list(dict.fromkeys(references))[:50]
        if not references:
            return {}
        names = [*SUMMARY, "agencies", "report", "kind", "acknowledged_at", "state_key"]
        request: dict[str, Any] = {
            self._table: {
                "Keys": [keys.case(r) for r in references]
                + [keys.alert(r, REPORT_RECEIVED) for r in references],
                "ProjectionExpression": ", ".join(f"#b{i}" for i in range(len(names))),
                "ExpressionAttributeNames": {f"#b{i}": n for i, n in enumerate(names)},
            }
        }
        items: list[dict[str, Any]] = []
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            items += [from_item(i) for i in response["Responses"].get(self._table, [])]
            request = response.get("UnprocessedKeys") or {}
        alerts = {i["reference"]: i for i in items if i.get("kind") == "alert"}
        found: dict[str, CaseBrief] = {}
        for values in (i for i in items if i.get("kind") == "case"):
            alert = alerts.get(values["reference"])
            found[values["reference"]] = CaseBrief(
                summary=_summary(values),
                agencies=frozenset(values.get("agencies") or ()),
                report=Report.model_validate_json(values["report"], context=STORED),
                acknowledgement=_acknowledgement(alert),
                acknowledged_at=time((alert or {}).get("acknowledged_at")),
            )
        return found

    def count_received_since(self, since: dt.datetime) -> int:
        """Cases received since a moment (the digest), read from the newest-first index."""
        index, partition_key = keys.LIST_INDEXES["all"]
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :all AND received_key >= :since",
            "ExpressionAttributeNames": {"#pk": partition_key},
            "ExpressionAttributeValues": {
                ":all": {"S": keys.ALL_CASES},
                ":since": {"S": keys.received_key("", since)},
            },
            "Select": "COUNT",
        }
        total = 0
        while True:
            page = self._client.query(**request)
            total += page.get("Count", 0)
            if "LastEvaluatedKey" not in page:
                return total
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _acknowledgement(alert: dict[str, Any] | None) -> str | None:
    if alert is None:
        return None
    if alert.get("acknowledged_at"):
        return "acknowledged"
    return "waiting" if alert.get("state_key") else "unacknowledged"


def _received_condition(filters: Filters, values: dict[str, Any]) -> str:
    if not (filters.received_from or filters.received_to):
        return ""
    # "~" sorts after every character of a received key, so the whole last day is in.
    low = filters.received_from.isoformat() if filters.received_from else "0"
    high = f"{filters.received_to.isoformat()}T~" if filters.received_to else "~"
    values[":low"] = {"S": low}
    values[":high"] = {"S": high}
    return " AND #rk BETWEEN :low AND :high"


def _remaining_filters(filters: Filters, covered: str) -> tuple[str, dict, dict[str, str]]:
    """The filters the chosen index does not cover, for DynamoDB to apply to what it reads."""
    parts, values, names = [], {}, {}
    for name in ("status", "oblast", "category"):
        wanted = getattr(filters, name)
        if wanted and covered != name:
            parts.append(f"#f_{name} = :f_{name}")
            values[f":f_{name}"] = {"S": str(wanted)}
            names[f"#f_{name}"] = name
    if filters.urgent is not None and covered != "urgent":
        parts.append("#f_urgent = :f_urgent")
        values[":f_urgent"] = {"BOOL": filters.urgent}
        names["#f_urgent"] = "urgent"
    if filters.assignee:
        parts.append("#f_assignee = :f_assignee")
        values[":f_assignee"] = {"S": filters.assignee}
        names["#f_assignee"] = "assignee"
    return " AND ".join(parts), values, names
