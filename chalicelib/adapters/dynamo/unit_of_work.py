"""One DynamoDB write made of named operations: all of them happen, or none.

Stores stage their operations into a unit of work under a name ("case", "idempotency",
"rate"...) and the service that owns the use case commits it. A cancelled transaction is
turned here, and only here, into one of two answers:

- `Refused`: a named condition did not hold (the idempotency key exists, the version is
  stale); `names` says which, `old` holds the items as they were when asked for.
- `Conflict`: another transaction touched the same items at that moment. Nothing was
  written, so the same transaction is simply tried again a few times before giving up.

A unit of one operation is sent as a plain write (PutItem, UpdateItem...): cheaper than a
transaction, and its refusal is reported the same way.
"""

from __future__ import annotations

import random
import time
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo.items import from_item
from chalicelib.domain.errors import Conflict, Refused

MAX_OPERATIONS = 100  # DynamoDB's limit for one transaction
CONFLICT_ATTEMPTS = 4

__all__ = ["MAX_OPERATIONS", "Conflict", "DynamoUnitOfWork", "Refused"]

_SINGLE = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


class DynamoUnitOfWork:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._operations: list[tuple[str, dict[str, Any]]] = []

    def add(self, name: str, operation: dict[str, Any]) -> None:
        """Stage one operation: {"Put": {...}}, {"Update": {...}}, {"Delete": ...} or
        {"ConditionCheck": ...}, in DynamoDB's transaction shape."""
        self._operations.append((name, operation))

    def __len__(self) -> int:
        return len(self._operations)

    def commit(self) -> dict[str, Any] | None:
        """Write everything or nothing; a unit of one answers with DynamoDB's response
        (for `ReturnValues`)."""
        if not self._operations:
            return None
        if len(self._operations) > MAX_OPERATIONS:
            raise ValueError(f"a unit of work holds at most {MAX_OPERATIONS} operations")
        if len(self._operations) == 1 and next(iter(self._operations[0][1])) in _SINGLE:
            return self._commit_one(*self._operations[0])
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self._client.transact_write_items(
                    TransactItems=[operation for _, operation in self._operations]
                )
                return None
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                refused = self._refused(reasons)
                if refused is not None:
                    raise refused from None
                codes = {r.get("Code") for r in reasons}
                if "TransactionConflict" not in codes:
                    raise
            time.sleep(0.02 * (2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311 - jitter
        raise Conflict()

    def _refused(self, reasons: list[dict[str, Any]]) -> Refused | None:
        names: set[str] = set()
        old: dict[str, dict[str, Any]] = {}
        for (name, _), reason in zip(self._operations, reasons, strict=False):
            if reason.get("Code") == "ConditionalCheckFailed":
                names.add(name)
                if reason.get("Item"):
                    old[name] = from_item(reason["Item"])
        return Refused(frozenset(names), old) if names else None

    def _commit_one(self, name: str, operation: dict[str, Any]) -> dict[str, Any]:
        kind, request = next(iter(operation.items()))
        try:
            return getattr(self._client, _SINGLE[kind])(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = exc.response.get("Item")
            raise Refused(frozenset({name}), {name: from_item(item)} if item else {}) from None
