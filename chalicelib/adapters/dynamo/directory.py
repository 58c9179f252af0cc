"""The contacts and routing rules in the cases table, changed one version at a time.

Every change moves the version on, in the same unit of work as its audit entry, on the
condition ("version") that nobody changed the directory since it was read and checked.
So two coordinators editing at once cannot together leave a rule that routes to nobody,
which each of their changes alone would not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import from_item, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.domain.contacts import Contact
from chalicelib.domain.routing import Directory, RoutingRule


class DirectoryStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def read(self) -> Directory:
        contacts: list[Contact] = []
        rules: list[RoutingRule] = []
        version = 0
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.DIRECTORY}},
            "ConsistentRead": True,
        }
        while True:
            page = self._client.query(**request)
            for item in page.get("Items", []):
                values = from_item(item)
                if values["kind"] == "contact":
                    contacts.append(Contact.model_validate(values["contact"]))
                elif values["kind"] == "rule":
                    rules.append(RoutingRule.model_validate(values["rule"]))
                elif values["kind"] == "directory-version":
                    version = int(values["version"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return Directory(tuple(contacts), tuple(rules), version)

    def contact(self, contact_id: str) -> Contact | None:
        """One contact as the directory holds it now (a consistent read): what a delivery
        is resolved against when it is sent."""
        item = self._client.get_item(
            TableName=self._table, Key=keys.contact(contact_id), ConsistentRead=True
        ).get("Item")
        return Contact.model_validate(from_item(item)["contact"]) if item else None

    def change(
        self,
        uow: DynamoUnitOfWork,
        read_version: int,
        *,
        contacts: Sequence[Contact] = (),
        rules: Sequence[RoutingRule] = (),
        removed_contacts: Sequence[str] = (),
        removed_rules: Sequence[str] = (),
    ) -> int:
        """Stage a change made to version `read_version`; the version it will have."""
        uow.add(
            "version",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.directory_version(),
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
            },
        )
        for contact in contacts:
            self._put(uow, keys.contact(contact.contact_id), "contact", contact)
        for rule in rules:
            self._put(uow, keys.rule(rule.rule_id), "rule", rule)
        for contact_id in removed_contacts:
            self._delete(uow, keys.contact(contact_id))
        for rule_id in removed_rules:
            self._delete(uow, keys.rule(rule_id))
        return read_version + 1

    def _put(self, uow: DynamoUnitOfWork, key: dict, kind: str, model: Contact | RoutingRule):
        uow.add(
            kind,
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**key, **to_item({"kind": kind, kind: model.model_dump(mode="json")})},
                }
            },
        )

    def _delete(self, uow: DynamoUnitOfWork, key: dict) -> None:
        uow.add("removal", {"Delete": {"TableName": self._table, "Key": key}})
