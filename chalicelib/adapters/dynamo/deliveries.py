"""Deliveries in the cases table: one alert to one contact over one channel.

A delivery's state moves pending -> sending (leased) -> sent | failed, and sent ->
acknowledged, each move a conditional write; the `by_state` index finds them by state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.items import expression, from_item, time, to_item, value
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork, Refused
from chalicelib.domain.alerts import (
    Alert,
    Channel,
    Delivery,
    DeliveryState,
    StoredDelivery,
)
from chalicelib.domain.case import iso
from chalicelib.domain.disclosure import ConsentGiven, Disclosure


def consent_values(consent: ConsentGiven) -> dict[str, bool]:
    return {
        "tracing": consent.tracing,
        "share_with_coalition": consent.share_with_coalition,
        "share_with_authorities": consent.share_with_authorities,
        "may_contact": consent.may_contact,
        "withdrawn": consent.withdrawn,
        "evidence": consent.evidence,
    }


def consent_of(values: dict[str, Any]) -> ConsentGiven:
    # Items written before a consent could be withdrawn have no "withdrawn".
    return ConsentGiven(
        **{name: bool(values.get(name)) for name in consent_values(ConsentGiven.everything())}
    )


def alert_values(alert: Alert) -> dict[str, Any]:
    """What an alert item (and every delivery of it) says about the alert: no child's name."""
    return {
        "reference": alert.reference,
        "purpose": alert.purpose,
        "category": alert.category,
        "oblast": alert.oblast,
        "urgent": alert.urgent,
        "last_known_country": alert.last_known_country,
        # To the microsecond: a report's alert grants its mandate, whose key orders a
        # caseworker's list as the received time orders a coordinator's.
        "created_at": alert.created_at.astimezone(dt.UTC).isoformat(),
        "consent": consent_values(alert.consent),
        "note": alert.note,
        "reason": alert.reason,
        "counterpart": alert_values(alert.counterpart) if alert.counterpart else None,
        "confirmed_by": alert.confirmed_by,
        "confirmed_by_person": alert.confirmed_by_person,
        "batch": alert.batch,
    }


def alert_of(values: dict[str, Any]) -> Alert:
    return Alert(
        reference=values["reference"],
        purpose=values["purpose"],
        category=values["category"],
        oblast=values["oblast"],
        urgent=bool(values["urgent"]),
        last_known_country=values.get("last_known_country"),
        created_at=time(values["created_at"]),
        consent=consent_of(values["consent"]),
        note=values.get("note"),
        reason=values.get("reason"),
        counterpart=alert_of(values["counterpart"]) if values.get("counterpart") else None,
        confirmed_by=values.get("confirmed_by"),
        confirmed_by_person=values.get("confirmed_by_person"),
        batch=values.get("batch"),
    )


def delivery_of(values: dict[str, Any]) -> StoredDelivery:
    return StoredDelivery(
        delivery=Delivery(
            alert=alert_of(values),
            contact_id=values["contact_id"],
            agency=values.get("agency", ""),
            channel=Channel(values["channel"]),
            address=values["address"],
            language=values["language"],
            disclosure=Disclosure(int(values["disclosure"])),
            # Absent on deliveries recorded before it was kept: not an owner (a "seen").
            owner=bool(values.get("owner", False)),
        ),
        state=DeliveryState(values["state"]),
        attempts=int(values.get("attempts", 0)),
        updated_at=time(values.get("updated_at")),
        sent_at=time(values.get("sent_at")),
        acknowledged_at=time(values.get("acknowledged_at")),
        last_error=values.get("last_error"),
        provider_message_id=values.get("provider_message_id"),
    )


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to take a delivery for sending."""

    outcome: str  # "claimed" | "done" | "busy" | "missing"
    delivery: StoredDelivery | None = None


class Deliveries:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def record(self, uow: DynamoUnitOfWork, delivery: Delivery, now: dt.datetime) -> None:
        """A new pending delivery; refused ("delivery") if it was recorded before."""
        uow.add(
            "delivery",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.delivery(delivery.alert.reference, delivery.delivery_id),
                        **to_item(
                            {
                                "kind": "delivery",
                                **alert_values(delivery.alert),
                                "delivery_id": delivery.delivery_id,
                                "contact_id": delivery.contact_id,
                                "agency": delivery.agency,
                                "channel": str(delivery.channel),
                                "address": delivery.address,
                                "language": delivery.language,
                                "disclosure": int(delivery.disclosure),
                                "owner": delivery.owner,
                                "state": str(DeliveryState.PENDING),
                                "attempts": 0,
                                **self._state_index(
                                    DeliveryState.PENDING,
                                    now,
                                    delivery.alert.reference,
                                    delivery.delivery_id,
                                ),
                                "updated_at": iso(now),
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    @staticmethod
    def _state_index(
        state: DeliveryState, now: dt.datetime, reference: str, delivery_id: str
    ) -> dict[str, str]:
        return {
            "state_key": keys.delivery_state(state),
            "state_at": keys.state_at(now, reference, delivery_id),
        }

    def claim(
        self, reference: str, delivery_id: str, now: dt.datetime, lease_seconds: int
    ) -> Claim:
        """Take a pending delivery (or one whose sender's lease ran out) for sending."""
        epoch = int(now.timestamp())
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "delivery",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.delivery(reference, delivery_id),
                    "UpdateExpression": "SET #state = :sending, lease_until = :lease, "
                    "updated_at = :now, state_key = :state_key ADD attempts :one",
                    "ConditionExpression": "#state = :pending OR "
                    "(#state = :sending AND lease_until < :epoch)",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":sending": {"S": DeliveryState.SENDING},
                        ":pending": {"S": DeliveryState.PENDING},
                        ":lease": {"N": str(epoch + lease_seconds)},
                        ":epoch": {"N": str(epoch)},
                        ":now": {"S": iso(now)},
                        ":state_key": {"S": keys.delivery_state(DeliveryState.SENDING)},
                        ":one": {"N": "1"},
                    },
                    "ReturnValues": "ALL_NEW",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        )
        try:
            response = uow.commit()
        except Refused as refused:
            old = refused.old.get("delivery")
            if not old:
                return Claim("missing")
            stored = delivery_of(old)
            busy = stored.state == DeliveryState.SENDING
            return Claim("busy" if busy else "done", stored)
        return Claim("claimed", delivery_of(from_item(response["Attributes"])))

    def settle(
        self,
        reference: str,
        delivery_id: str,
        state: DeliveryState,
        now: dt.datetime,
        *,
        message_id: str | None = None,
        error: str | None = None,
        reset_attempts: bool = False,
        was: DeliveryState = DeliveryState.SENDING,
        to: Delivery | None = None,
    ) -> bool:
        """Move a delivery from `was` (its sender's lease) to `state`; False if it was not.
        With `to`: the address, language and disclosure it was resolved to (routing.resolve)."""
        values: dict[str, Any] = {
            "state": str(state),
            "updated_at": iso(now),
            **self._state_index(state, now, reference, delivery_id),
        }
        if to is not None:
            values.update(address=to.address, language=to.language, disclosure=int(to.disclosure))
        if state == DeliveryState.SENT:
            values.update(sent_at=iso(now), provider_message_id=message_id)
        if error is not None:
            values["last_error"] = error
        if reset_attempts:
            values["attempts"] = 0
        assignments, names, placeholders = expression(values)
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "delivery",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.delivery(reference, delivery_id),
                    "UpdateExpression": f"SET {assignments} REMOVE lease_until",
                    "ConditionExpression": "#a0 = :was",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {**placeholders, ":was": value(str(was))},
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def acknowledge(
        self, uow: DynamoUnitOfWork, reference: str, delivery_id: str, now: dt.datetime
    ) -> None:
        """A sent delivery acknowledged by its recipient; refused ("delivery") otherwise."""
        uow.add(
            "delivery",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.delivery(reference, delivery_id),
                    "UpdateExpression": "SET #state = :ack, acknowledged_at = :now, "
                    "state_key = :key, state_at = :at",
                    "ConditionExpression": "#state = :sent",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":ack": {"S": DeliveryState.ACKNOWLEDGED},
                        ":sent": {"S": DeliveryState.SENT},
                        ":now": {"S": iso(now)},
                        ":key": {"S": keys.delivery_state(DeliveryState.ACKNOWLEDGED)},
                        ":at": {"S": keys.state_at(now, reference, delivery_id)},
                    },
                }
            },
        )

    def in_state(
        self, state: DeliveryState, *, before: dt.datetime | None = None, limit: int = 100
    ) -> list[StoredDelivery]:
        """Deliveries in one state, newest first, optionally only those untouched since."""
        condition = "state_key = :key"
        values: dict[str, Any] = {":key": {"S": keys.delivery_state(state)}}
        if before is not None:
            condition += " AND state_at < :before"
            values[":before"] = {"S": keys.state_at_bound(before)}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.STATE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        found: list[StoredDelivery] = []
        while len(found) < limit:
            page = self._client.query(**request)
            found += [delivery_of(from_item(i)) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            request["Limit"] = limit - len(found)
        return found[:limit]

    def of_case(self, reference: str) -> list[StoredDelivery]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
            ExpressionAttributeValues={
                ":pk": {"S": keys.case_partition(reference)},
                ":d": {"S": keys.DELIVERY},
            },
            ConsistentRead=True,
        )
        return [delivery_of(from_item(i)) for i in response.get("Items", [])]

    def expect_reply(
        self,
        contact_id: str,
        code: str,
        reference: str,
        delivery_id: str,
        *,
        until: dt.datetime,
        now: dt.datetime,
    ) -> bool:
        """Keep `code` for a reply from the contact to this delivery until `until`; False
        if the contact has that code for another delivery still (pick another)."""
        item = {
            **keys.key(f"{keys.SMS_REPLY}{contact_id}", code),
            **to_item(
                {
                    "kind": "sms-reply",
                    "reference": reference,
                    "delivery_id": delivery_id,
                    # DynamoDB's TTL removes it some time after; `replied` reads the time.
                    "expires_at": int(until.timestamp()),
                }
            ),
        }
        uow = DynamoUnitOfWork(self._client)
        uow.add(
            "sms-reply",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now "
                    "OR delivery_id = :mine",
                    "ExpressionAttributeValues": {
                        ":now": {"N": str(int(now.timestamp()))},
                        ":mine": {"S": delivery_id},
                    },
                }
            },
        )
        try:
            uow.commit()
        except Refused:
            return False
        return True

    def replied(self, contact_id: str, code: str, now: dt.datetime) -> tuple[str, str] | None:
        """(reference, delivery id) of the delivery a reply with `code` from the contact
        answers; None if there is none, or its time to be answered is over."""
        found = self._client.get_item(
            TableName=self._table,
            Key=keys.key(f"{keys.SMS_REPLY}{contact_id}", code),
            ConsistentRead=True,
        ).get("Item")
        if not found or int(found["expires_at"]["N"]) < now.timestamp():
            return None
        return found["reference"]["S"], found["delivery_id"]["S"]
