"""The contacts and routing rules in the Homeward table, changed one version at a time.

| item | pk | sk |
| --- | --- | --- |
| contact | `DIRECTORY` | `CONTACT#<contact id>` |
| routing rule | `DIRECTORY` | `RULE#<rule id>` |
| version | `DIRECTORY` | `VERSION` |

Every change moves the version on, in the same transaction as its audit entry and on
the condition that nobody changed the directory since it was read and checked. So two
coordinators editing at once cannot together leave a rule that routes to nobody, which
each of their changes alone would not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import from_item, to_item
from chalicelib.domain.contacts import Contact
from chalicelib.domain.routing import Directory, RoutingRule

PK = "DIRECTORY"


class DirectoryChanged(Exception):
    """Someone else changed the directory since it was read; read it again."""


class DirectoryStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def read(self) -> Directory:
        contacts: list[Contact] = []
        rules: list[RoutingRule] = []
        version = 0
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": PK}},
            "ConsistentRead": True,
        }
        while True:
            page = self._client.query(**kwargs)
            for item in page.get("Items", []):
                values = from_item(item)
                if values["sk"].startswith("CONTACT#"):
                    contacts.append(Contact.model_validate(values["contact"]))
                elif values["sk"].startswith("RULE#"):
                    rules.append(RoutingRule.model_validate(values["rule"]))
                elif values["sk"] == "VERSION":
                    version = int(values["version"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return Directory(tuple(contacts), tuple(rules), version)

    def change(
        self,
        read_version: int,
        *,
        contacts: Sequence[Contact] = (),
        rules: Sequence[RoutingRule] = (),
        removed_contacts: Sequence[str] = (),
        removed_rules: Sequence[str] = (),
        audit: Sequence[dict[str, Any]] = (),
    ) -> int:
        """Write a change made to version `read_version`; the new version number.

        `audit` holds transaction items (the audit entries) written with the change.
        At most 100 items in all, DynamoDB's limit for one transaction.
        """
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": PK}, "sk": {"S": "VERSION"}},
                    "UpdateExpression": "SET version = :next, kind = :kind",
                    "ConditionExpression": (
                        "attribute_not_exists(version)" if read_version == 0 else "version = :read"
                    ),
                    "ExpressionAttributeValues": {
                        ":next": {"N": str(read_version + 1)},
                        ":kind": {"S": "directory-version"},
                        **({":read": {"N": str(read_version)}} if read_version else {}),
                    },
                }
            }
        ]
        items += [self._put("CONTACT", c.contact_id, "contact", c) for c in contacts]
        items += [self._put("RULE", r.rule_id, "rule", r) for r in rules]
        items += [self._delete("CONTACT", contact_id) for contact_id in removed_contacts]
        items += [self._delete("RULE", rule_id) for rule_id in removed_rules]
        items += list(audit)
        if len(items) > 100:
            raise ValueError("a directory change holds at most 98 contacts and rules")
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise DirectoryChanged from None
            raise
        return read_version + 1

    def _put(self, prefix: str, key: str, kind: str, model: Contact | RoutingRule) -> dict:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": PK,
                        "sk": f"{prefix}#{key}",
                        "kind": kind,
                        kind: model.model_dump(mode="json"),
                    }
                ),
            }
        }

    def _delete(self, prefix: str, key: str) -> dict:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": {"pk": {"S": PK}, "sk": {"S": f"{prefix}#{key}"}},
            }
        }
