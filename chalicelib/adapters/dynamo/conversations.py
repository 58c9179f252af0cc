"""Conversations taking a report (services/conversation_ports.py) in the cases table.

A conversation's answers are a report not yet filed (a child's name, what happened, the
reporter's phone): the item holds them sealed, as a case holds its most sensitive fields
(adapters/sealing.py; the conversation's id is the encryption context), beside only its
expiry. The table's TTL removes an abandoned conversation; until it does, one read past
its expiry finds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.case import iso
from chalicelib.domain.conversation import Conversation

GROUP = "conversation"


class ConversationStore:
    def __init__(self, client: Any, table: str, sealer: Any = None) -> None:
        self._client = client
        self._table = table
        self._sealer = sealer

    def get(self, conversation_id: str, now: dt.datetime) -> Conversation | None:
        item = self._client.get_item(
            TableName=self._table, Key=keys.conversation(conversation_id), ConsistentRead=True
        ).get("Item")
        if item is None or int(item["expires_at"]["N"]) <= now.timestamp():
            return None
        if "sealed" in item:
            state = self._sealer.open(
                conversation_id, GROUP, item["sealed"]["B"], item["data_key"]["B"]
            )
        else:
            state = json.loads(item["state"]["S"])
        return Conversation.model_validate(state)

    def save(self, conversation: Conversation) -> None:
        state = conversation.model_dump(mode="json")
        item: dict[str, Any] = {
            **keys.conversation(conversation.id),
            "expires_at": {"N": str(int(conversation.expires_at().timestamp()))},
        }
        if self._sealer is not None:
            sealed, data_key = self._sealer.seal(conversation.id, {GROUP: state})
            item |= {"sealed": {"B": sealed[GROUP]}, "data_key": {"B": data_key}}
        else:
            item["state"] = {"S": json.dumps(state, ensure_ascii=False)}
        self._client.put_item(TableName=self._table, Item=item)

    def forget(self, conversation_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=keys.conversation(conversation_id))

    def first_time(self, update: str, now: dt.datetime, keep: dt.timedelta) -> bool:
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "update",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.channel_update(update),
                        "expires_at": {"N": str(int((now + keep).timestamp()))},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def plan_tidy(self, conversation_id: str, due: dt.datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                **keys.tidy(conversation_id, due),
                "conversation": {"S": conversation_id},
                "due": {"S": iso(due)},
                # Gone by itself once no chat would let its messages be deleted.
                "expires_at": {"N": str(int((due + dt.timedelta(days=3)).timestamp()))},
            },
        )

    def tidies_due(self, now: dt.datetime, limit: int = 50) -> list[tuple[str, dt.datetime]]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk <= :now",
            ExpressionAttributeValues={":pk": {"S": keys.TIDY}, ":now": {"S": iso(now) + "~"}},
            Limit=limit,
            ConsistentRead=True,
        )
        return [
            (item["conversation"]["S"], dt.datetime.fromisoformat(item["due"]["S"]))
            for item in response.get("Items", [])
        ]

    def drop_tidy(self, conversation_id: str, due: dt.datetime) -> None:
        self._client.delete_item(TableName=self._table, Key=keys.tidy(conversation_id, due))
