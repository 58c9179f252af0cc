"""Staff reads and changes of cases in the Homeward table, each with its audit entries.

Every change is one transaction: the case (guarded by its version), the statistics, and
the audit entry that records it, so a change without its trace cannot happen. Lists are
served by the indexes of infra/template.yaml, one query per page, never a scan.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import (
    STATISTICS_SHARDS,
    _case_key,
    count_case,
    from_item,
    to_item,
)
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.case import iso

SUMMARY = [
    "reference",
    "received_at",
    "status",
    "oblast",
    "category",
    "urgent",
    "assignee",
    "version",
]
# A list request reads at most this many index pages before it answers with what it has
# and a cursor: the cost of a request stays bounded when filters are combined.
MAX_PAGES = 3


class StaleVersion(Exception):
    def __init__(self, current: int | None) -> None:
        super().__init__(current)
        self.current = current


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    oblast: str | None = None
    category: str | None = None
    urgent: bool | None = None
    received_from: str | None = None  # ISO date, inclusive
    received_to: str | None = None  # ISO date, inclusive


@dataclass
class Page:
    cases: list[dict[str, Any]]
    cursor: str | None
    # What the page cost, for the bench and the logs.
    calls: int = 0
    items_read: int = 0


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals and sets, all the way down, as JSON-friendly values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class Caseload:
    def __init__(self, client: Any, table: str, audit_table: str, cursor_key: bytes) -> None:
        self._client = client
        self._table = table
        self._audit = audit_table
        self._cursor_key = cursor_key

    # -- audit --------------------------------------------------------------------

    def audit_put(self, entry: AuditEntry) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._audit,
                "Item": to_item(
                    {
                        "pk": f"CASE#{entry.reference}",
                        "sk": f"{iso(entry.at)}#{entry.request_id}#{uuid.uuid4().hex[:8]}",
                        "reference": entry.reference,
                        "actor": entry.actor,
                        "role": entry.role,
                        "agency": entry.agency,
                        "action": entry.action,
                        "detail": entry.detail,
                        "at": iso(entry.at),
                        "request_id": entry.request_id,
                    }
                ),
                # Entries are only ever added.
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def record(self, entries: list[AuditEntry]) -> None:
        """Append audit entries (for reads); raises if they could not all be written."""
        for start in range(0, len(entries), 100):
            chunk = entries[start : start + 100]
            if len(chunk) == 1:
                self._client.put_item(**self.audit_put(chunk[0])["Put"])
            else:
                self._client.transact_write_items(TransactItems=[self.audit_put(e) for e in chunk])

    def audit_trail(self, reference: str, limit: int = 500) -> list[dict[str, Any]]:
        response = self._client.query(
            TableName=self._audit,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
            Limit=limit,
        )
        return [
            {k: v for k, v in from_item(item).items() if k not in ("pk", "sk")}
            for item in response.get("Items", [])
        ]

    # -- reading --------------------------------------------------------------------

    def case_file(self, reference: str) -> dict[str, Any] | None:
        """The case with its notes and deliveries: one query on the case's partition."""
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}},
            ConsistentRead=True,
        )
        items = [from_item(i) for i in response.get("Items", [])]
        case = next((i for i in items if i.get("kind") == "case"), None)
        if case is None:
            return None
        notes = [
            {"at": n["at"], "author": n["author"], "text": n["text"]}
            for n in items
            if n.get("kind") == "note"
        ]
        deliveries = [
            {
                "contact_id": d["contact_id"],
                "channel": d["channel"],
                "state": d["state"],
                "attempts": int(d.get("attempts", 0)),
                "sent_at": d.get("sent_at"),
            }
            for d in items
            if d.get("kind") == "delivery"
        ]
        fields = [*SUMMARY, "report", "agencies", "links", "updated_at"]
        summary = _plain({k: case.get(k) for k in fields})
        summary["report"] = json.loads(summary["report"])
        summary["agencies"] = summary.get("agencies") or []
        summary["links"] = summary.get("links") or []
        return {**summary, "notes": notes, "deliveries": deliveries}

    def agencies_of(self, references: list[str]) -> dict[str, set[str]]:
        """The agencies each case is routed to (for checking a caseworker's mandate)."""
        if not references:
            return {}
        response = self._client.batch_get_item(
            RequestItems={
                self._table: {
                    "Keys": [_case_key(r) for r in references],
                    "ProjectionExpression": "#reference, agencies",
                    "ExpressionAttributeNames": {"#reference": "reference"},
                    "ConsistentRead": True,
                }
            }
        )
        found = [from_item(i) for i in response["Responses"].get(self._table, [])]
        return {f["reference"]: set(f.get("agencies") or ()) for f in found}

    def _encode(self, key: dict[str, Any]) -> str:
        raw = json.dumps(key, sort_keys=True).encode()
        mac = hmac.new(self._cursor_key, raw, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + raw).decode()

    def _decode(self, cursor: str) -> dict[str, Any]:
        try:
            blob = base64.urlsafe_b64decode(cursor.encode())
        except (ValueError, TypeError) as exc:
            raise InvalidCursor() from exc
        mac, raw = blob[:12], blob[12:]
        expected = hmac.new(self._cursor_key, raw, hashlib.sha256).digest()[:12]
        if not hmac.compare_digest(mac, expected):
            raise InvalidCursor()
        return json.loads(raw)

    def list_cases(
        self,
        filters: Filters,
        *,
        agency: str | None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page:
        """A page of case summaries, newest first.

        With `agency` (a caseworker) the agency's mandate is read and its cases fetched
        in one batch; otherwise the most selective index for the filters is queried.
        Filters the index does not cover are applied by DynamoDB to what it reads.
        """
        if agency is not None:
            return self._list_mandate(filters, agency, limit, cursor)
        if filters.status:
            index, pk_name, pk = "by_status", "status_pk", f"STATUS#{filters.status}"
        elif filters.oblast:
            index, pk_name, pk = "by_oblast", "oblast_pk", f"OBLAST#{filters.oblast}"
        elif filters.category:
            index, pk_name, pk = "by_category", "category_pk", f"CATEGORY#{filters.category}"
        elif filters.urgent:
            index, pk_name, pk = "by_urgency", "urgent_pk", "URGENT"
        else:
            index, pk_name, pk = "by_received", "list_pk", "CASES"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "#pk = :pk" + self._received_condition(filters, values)
        if "#rk" in condition:
            names["#rk"] = "received_key"
        remaining, filter_values, filter_names = self._remaining_filters(filters, index)
        values.update(filter_values)
        names.update(filter_names)
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if remaining:
            kwargs["FilterExpression"] = remaining
        if cursor:
            kwargs["ExclusiveStartKey"] = self._decode(cursor)
        page = Page(cases=[], cursor=None)
        for _ in range(MAX_PAGES):
            response = self._client.query(**kwargs)
            page.calls += 1
            page.items_read += response.get("ScannedCount", 0)
            for item in response.get("Items", []):
                values_ = from_item(item)
                page.cases.append(_plain({k: values_.get(k) for k in SUMMARY}))
            last = response.get("LastEvaluatedKey")
            if not last or len(page.cases) >= limit:
                page.cursor = self._encode(last) if last else None
                break
            kwargs["ExclusiveStartKey"] = last
            kwargs["Limit"] = limit - len(page.cases)
            page.cursor = self._encode(last)
        return page

    @staticmethod
    def _received_condition(filters: Filters, values: dict[str, Any]) -> str:
        low = filters.received_from or "0"
        # "~" sorts after every character of a received key, so the whole last day is in.
        high = f"{filters.received_to}T~" if filters.received_to else "~"
        if not (filters.received_from or filters.received_to):
            return ""
        values[":low"] = {"S": low}
        values[":high"] = {"S": high}
        return " AND #rk BETWEEN :low AND :high"

    @staticmethod
    def _remaining_filters(
        filters: Filters, index: str
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        covered = {
            "by_status": "status",
            "by_oblast": "oblast",
            "by_category": "category",
            "by_urgency": "urgent",
        }.get(index)
        parts, values, names = [], {}, {}
        for name in ("status", "oblast", "category"):
            value = getattr(filters, name)
            if value and covered != name:
                parts.append(f"#f_{name} = :f_{name}")
                values[f":f_{name}"] = {"S": value}
                names[f"#f_{name}"] = name
        if filters.urgent is not None and covered != "urgent":
            parts.append("#f_urgent = :f_urgent")
            values[":f_urgent"] = {"BOOL": filters.urgent}
            names["#f_urgent"] = "urgent"
        return " AND ".join(parts), values, names

    def _list_mandate(self, filters: Filters, agency: str, limit: int, cursor: str | None) -> Page:
        values: dict[str, Any] = {":pk": {"S": f"MANDATE#{agency}"}}
        condition = "pk = :pk" + self._received_condition(filters, values).replace("#rk", "sk")
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = self._decode(cursor)
        response = self._client.query(**kwargs)
        page = Page(cases=[], cursor=None, calls=1, items_read=response.get("ScannedCount", 0))
        references = [from_item(i)["reference"] for i in response.get("Items", [])]
        if references:
            fetched = self._client.batch_get_item(
                RequestItems={
                    self._table: {
                        "Keys": [_case_key(r) for r in references],
                        "ProjectionExpression": ", ".join(f"#s{i}" for i in range(len(SUMMARY))),
                        "ExpressionAttributeNames": {f"#s{i}": s for i, s in enumerate(SUMMARY)},
                    }
                }
            )
            page.calls += 1
            page.items_read += len(references)
            by_reference = {
                c["reference"]: _plain(c)
                for c in map(from_item, fetched["Responses"].get(self._table, []))
            }
            for reference in references:  # keep the mandate's newest-first order
                case = by_reference.get(reference)
                if case and _matches(case, filters):
                    page.cases.append({k: case.get(k) for k in SUMMARY})
        last = response.get("LastEvaluatedKey")
        page.cursor = self._encode(last) if last else None
        return page

    def statistics(self) -> dict[str, dict[str, int] | int]:
        response = self._client.batch_get_item(
            RequestItems={
                self._table: {
                    "Keys": [
                        {"pk": {"S": "STATISTICS"}, "sk": {"S": f"SHARD#{n}"}}
                        for n in range(STATISTICS_SHARDS)
                    ]
                }
            }
        )
        totals: dict[str, int] = {}
        for shard in map(from_item, response["Responses"].get(self._table, [])):
            for name, value in shard.items():
                if name not in ("pk", "sk"):
                    totals[name] = totals.get(name, 0) + int(value)
        grouped: dict[str, Any] = {
            "total": totals.get("total", 0),
            "urgent": totals.get("urgent", 0),
        }
        for dimension in ("status", "oblast", "category"):
            grouped[dimension] = {
                name.split("#", 1)[1]: count
                for name, count in sorted(totals.items())
                if name.startswith(f"{dimension}#") and count
            }
        return grouped

    # -- changing -------------------------------------------------------------------

    def _change(self, transact: list[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=transact)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reason = (exc.response.get("CancellationReasons") or [{}])[0]
            if reason.get("Code") == "ConditionalCheckFailed":
                old = from_item(reason["Item"]) if reason.get("Item") else {}
                current = old.get("version")
                raise StaleVersion(int(current) if current is not None else None) from None
            raise

    def _case_update(
        self,
        reference: str,
        version: int,
        expression: str,
        values: dict[str, Any],
        now: dt.datetime,
        *,
        add: str = "",
    ) -> dict[str, Any]:
        """An update of the case that succeeds only if nobody changed it since `version`."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": _case_key(reference),
                "UpdateExpression": (
                    f"SET {expression}version = version + :one, updated_at = :now {add}"
                ).strip(),
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {
                    **values,
                    ":one": {"N": "1"},
                    ":version": {"N": str(version)},
                    ":now": {"S": iso(now)},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def move(
        self,
        reference: str,
        *,
        version: int,
        current: str,
        target: str,
        note: str,
        entry: AuditEntry,
    ) -> None:
        now = entry.at
        update = self._case_update(
            reference,
            version,
            "#status = :target, status_pk = :status_pk, ",
            {":target": {"S": target}, ":status_pk": {"S": f"STATUS#{target}"}},
            now,
        )
        update["Update"]["ExpressionAttributeNames"] = {"#status": "status"}
        self._change(
            [
                update,
                self._note(reference, entry.actor, f"{current} → {target}: {note}", now),
                count_case(self._table, target, None, +1, was=current),
                self.audit_put(entry),
            ]
        )

    def assign(self, reference: str, *, version: int, assignee: str, entry: AuditEntry) -> None:
        self._change(
            [
                self._case_update(
                    reference,
                    version,
                    "assignee = :assignee, ",
                    {":assignee": {"S": assignee}},
                    entry.at,
                ),
                self.audit_put(entry),
            ]
        )

    def _note(self, reference: str, author: str, text: str, now: dt.datetime) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": f"CASE#{reference}",
                        "sk": f"NOTE#{iso(now)}#{uuid.uuid4().hex[:8]}",
                        "kind": "note",
                        "author": author,
                        "text": text,
                        "at": iso(now),
                    }
                ),
            }
        }

    def add_note(self, reference: str, *, text: str, entry: AuditEntry) -> None:
        """Notes are only ever added, so two people writing at once cannot conflict."""
        self._change(
            [
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": _case_key(reference),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                self._note(reference, entry.actor, text, entry.at),
                self.audit_put(entry),
            ]
        )

    def link(
        self,
        reference: str,
        other: str,
        *,
        version: int,
        entries: list[AuditEntry],
    ) -> None:
        """Link two related cases both ways; only the first case's version is checked."""
        now = entries[0].at
        self._change(
            [
                self._case_update(
                    reference, version, "", {":other": {"SS": [other]}}, now, add="ADD links :other"
                ),
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _case_key(other),
                        "UpdateExpression": (
                            "SET version = version + :one, updated_at = :now ADD links :this"
                        ),
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {
                            ":this": {"SS": [reference]},
                            ":one": {"N": "1"},
                            ":now": {"S": iso(now)},
                        },
                    }
                },
                *[self.audit_put(e) for e in entries],
            ]
        )


def _matches(case: dict[str, Any], filters: Filters) -> bool:
    for name in ("status", "oblast", "category"):
        wanted = getattr(filters, name)
        if wanted and case.get(name) != wanted:
            return False
    return filters.urgent is None or bool(case.get("urgent")) == filters.urgent
