"""Bring back cases lost or damaged by a mistake, from the case table's point-in-time
recovery (README, "Operating": the restore runbook).

    python -m infra.restore --stage prod --at 2026-11-28T10:14:00Z HW-AB12-CD34 ...
    python -m infra.restore --stage prod --at ... --apply HW-AB12-CD34 ...

DynamoDB restores into a new table, never over the old one. This restores the stage's
case table as it was at `--at` into `homeward-STAGE-cases-restored-STAMP` (encrypted with
the stage's data key), then shows, for each case named, what differs in its partition
between then and now. With `--apply` it writes what was lost or changed back into the
live table, deliveries first: an alert written back finds its deliveries recorded and
sends nothing twice (services/dispatch.py). It never deletes from the live table. The
restored table is left for the operator to compare and delete (it costs storage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

# Written back first: an alert's dispatch must find its deliveries already recorded.
_FIRST = "DELIVERY#"


def restore(dynamodb: Any, stage: str, at: dt.datetime) -> str:
    """Restore the stage's case table as it was at `at` into a new table; its name."""
    source = f"homeward-{stage}-cases"
    target = f"{source}-restored-{at.strftime('%Y%m%dt%H%M%S').lower()}"
    dynamodb.restore_table_to_point_in_time(
        SourceTableName=source,
        TargetTableName=target,
        RestoreDateTime=at,
        SSESpecificationOverride={
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": f"alias/homeward-{stage}-data",
        },
    )
    dynamodb.get_waiter("table_exists").wait(TableName=target)
    return target


def _partition(dynamodb: Any, table: str, reference: str) -> dict[str, dict]:
    items: dict[str, dict] = {}
    arguments: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"CASE#{reference}"}},
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb.query(**arguments)
        items.update({item["sk"]["S"]: item for item in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return items
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def differences(dynamodb: Any, stage: str, restored: str, reference: str) -> list[dict]:
    """The items of a case's partition that are missing now or differ from the restore."""
    then = _partition(dynamodb, restored, reference)
    now = _partition(dynamodb, f"homeward-{stage}-cases", reference)
    changed = [item for sk, item in then.items() if now.get(sk) != item]
    return sorted(
        changed, key=lambda item: (not item["sk"]["S"].startswith(_FIRST), item["sk"]["S"])
    )


def write_back(dynamodb: Any, stage: str, items: list[dict]) -> int:
    for item in items:
        dynamodb.put_item(TableName=f"homeward-{stage}-cases", Item=item)
    return len(items)


def main(argv: list[str] | None = None, *, client: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.restore", description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--at", required=True, help="ISO time just before the mistake (UTC)")
    parser.add_argument("--apply", action="store_true", help="write the differences back")
    parser.add_argument("--restored", help="a table restored before (skip the restore)")
    parser.add_argument("references", nargs="+", metavar="HW-XXXX-XXXX")
    args = parser.parse_args(argv)
    at = dt.datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    if client is None:
        import boto3

        client = boto3.client("dynamodb")
    restored = args.restored or restore(client, args.stage, at)
    print(f"restored as of {at.isoformat()}: {restored}")
    for reference in args.references:
        items = differences(client, args.stage, restored, reference)
        kinds = sorted({item["sk"]["S"].split("#", 1)[0] for item in items})
        print(f"{reference}: {len(items)} item(s) lost or changed since ({', '.join(kinds)})")
        if args.apply and items:
            print(f"{reference}: {write_back(client, args.stage, items)} item(s) written back")
    if not args.apply:
        print("nothing written: run again with --apply (and --restored) to write them back")
    print(f"when done: aws dynamodb delete-table --table-name {restored}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
