"""Cases in the cases table: the case item, its notes and links.

A case item holds the report as one JSON document (never queried inside, and much cheaper
to move through streams than a map), where it stands (status, version, assignee) and the
attributes of the staff list indexes. Every change is guarded by the version it was based
on; a stale one is refused with the current version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import keys
from chalicelib.adapters.dynamo.deliveries import consent_of, consent_values, delivery_of
from chalicelib.adapters.dynamo.history import event_of
from chalicelib.adapters.dynamo.items import from_item, query_all, time, to_item
from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from chalicelib.adapters.sealing import FieldSealer
from chalicelib.domain.attachments import Attachment
from chalicelib.domain.case import Case, iso
from chalicelib.domain.casefile import CaseFile, Note
from chalicelib.domain.disclosure import ConsentGiven
from chalicelib.domain.hotline import TakenByPhone
from chalicelib.domain.report import (
    SEALED_GROUPS,
    STORED,
    Report,
    join_sealed,
    split_sealed,
)
from chalicelib.domain.workflow import Status

# Where each sealed group is kept on the case item; erasing a group removes its attribute.
SEALED_ATTRIBUTES = {group: f"sealed_{group}" for group in SEALED_GROUPS}
# Cases sealed before there were groups keep all their sealed fields in this one.
LEGACY_SEALED = "sealed"
# The group name a free text of a case (a note, a break-glass explanation) is sealed as:
# its ciphertext opens only as such a text of that case.
SEALED_TEXT = "text"


def sealed_groups(values: dict[str, Any]) -> frozenset[str]:
    """The sealed groups a case item holds (a legacy blob holds them all)."""
    if values.get(LEGACY_SEALED):
        return frozenset(SEALED_GROUPS)
    return frozenset(g for g, attribute in SEALED_ATTRIBUTES.items() if values.get(attribute))


def case_of(values: dict[str, Any], sealer: FieldSealer | None = None) -> Case:
    """A stored case; with a sealer its sealed fields are opened, else they read as absent
    (matching, routing and lists never need them)."""
    report = json.loads(values["report"])
    if sealer is not None:
        reference, key_blob = values["reference"], values.get("sealed_key")
        opened = [
            sealer.open(reference, group, bytes(values[attribute]), bytes(key_blob))
            for group, attribute in [*SEALED_ATTRIBUTES.items(), (None, LEGACY_SEALED)]
            if values.get(attribute)
        ]
        report = join_sealed(report, *opened)
    # To the microsecond where the case item has it (its received key), as the items
    # derived from the case were keyed: a correction adds keys beside intake's.
    received = values.get("received_key")
    return Case(
        reference=values["reference"],
        received_at=keys.received_at_of(received) if received else time(values["received_at"]),
        report=Report.model_validate(report, context=STORED),
        status=Status(values["status"]),
        version=int(values["version"]),
        partner=values.get("partner"),
        external_id=values.get("external_id"),
        withdrawn_at=time(values.get("withdrawn_at")),
        anonymised_at=time(values.get("anonymised_at")),
        taken_by=TakenByPhone.of_record(values["taken_by"]) if values.get("taken_by") else None,
    )


def retention_values(reference: str, status: str, changed_at: dt.datetime) -> dict[str, str]:
    """What puts a case in the retention index (keys.py): its status, its last change."""
    return {
        "retention_pk": keys.retention_pk(status),
        "retention_at": keys.retention_at(changed_at, reference),
    }


def attachment_of(values: dict[str, Any]) -> Attachment:
    return Attachment(
        key=values["key"],
        sha256=values["sha256"],
        size=int(values["size"]),
        content_type=values["content_type"],
        version_id=values.get("version_id"),
        original_sha256=values.get("original_sha256"),
    )


class CaseFiles:
    def __init__(self, client: Any, table: str, sealer: FieldSealer | None) -> None:
        self._client = client
        self._table = table
        self._sealer = sealer
        self._last_sealed: tuple[str, bytes, tuple[dict[str, bytes], bytes]] | None = None

    def reachable(self) -> bool:
        try:
            self._client.get_item(TableName=self._table, Key=keys.health())
        except ClientError:
            return False
        return True

    def open(
        self,
        uow: DynamoUnitOfWork,
        case: Case,
        attachments: tuple[Attachment, ...] = (),
        *,
        blocking_keys: Sequence[str] = (),
        reporter_keys: Sequence[str] = (),
        search_keys: Sequence[str] = (),
    ) -> None:
        """A new case; refused ("case") if its reference exists (a collision: try another).

        The report's most sensitive fields are sealed apart (adapters/sealing.py): what is
        stored, streamed and backed up of them is ciphertext. The blocking keys and the
        reporters' index keys written with it are recorded on it, so that erasing the
        case can find every item derived from it (services/erasure.py).
        """
        open_part, groups = split_sealed(case.report.model_dump(mode="json"))
        blobs, key_blob = self._sealed(case.reference, groups) if groups else ({}, None)
        uow.add(
            "case",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.case(case.reference),
                        **to_item(
                            {
                                "kind": "case",
                                "reference": case.reference,
                                "received_at": iso(case.received_at),
                                "status": str(case.status),
                                "version": case.version,
                                "oblast": case.oblast,
                                "category": str(case.category),
                                "urgent": case.urgent,
                                "report": json.dumps(open_part, ensure_ascii=False),
                                **{SEALED_ATTRIBUTES[g]: blob for g, blob in blobs.items()},
                                "sealed_key": key_blob,
                                "blocking_keys": list(blocking_keys) or None,
                                "reporter_keys": list(reporter_keys) or None,
                                "search_keys": list(search_keys) or None,
                                # Beside the report, for the lists and the stream: what
                                # may be done with it (domain/disclosure.py).
                                "consent": consent_values(case.consent),
                                **keys.case_index_values(
                                    case.reference,
                                    case.received_at,
                                    status=case.status,
                                    oblast=case.oblast,
                                    category=case.category,
                                    urgent=case.urgent,
                                ),
                                **retention_values(case.reference, case.status, case.received_at),
                                # Beside the report, not in it: the report is the JSON
                                # contract; the form's verified files are not.
                                "attachments": [a.as_record() for a in attachments] or None,
                                # Whose report it is, for its webhooks (domain/webhooks.py).
                                "partner": case.partner,
                                "external_id": case.external_id,
                                # A hotline operator's report: who took it, and the
                                # caller's consent as given orally to them.
                                "taken_by": case.taken_by.as_record() if case.taken_by else None,
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def _sealed(self, reference: str, fields: dict) -> tuple[dict[str, bytes], bytes]:
        """Seal once per case: a unit of work tried again (a rate charge retried as a
        burst, a conflict) costs no second KMS call."""
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
        if self._last_sealed and self._last_sealed[:2] == (reference, digest):
            return self._last_sealed[2]
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        sealed = self._sealer.seal(reference, fields)
        self._last_sealed = (reference, digest, sealed)
        return sealed

    def get(self, reference: str) -> Case | None:
        response = self._client.get_item(TableName=self._table, Key=keys.case(reference))
        return case_of(from_item(response["Item"]), self._sealer) if "Item" in response else None

    def attachments_of(self, reference: str) -> tuple[Attachment, ...] | None:
        """The files a case refers to, and nothing else of it; None if there is no case.
        (The public function tidies the form's files with this: it may not open a case.)"""
        response = self._client.get_item(
            TableName=self._table,
            Key=keys.case(reference),
            ProjectionExpression="#reference, attachments",
            ExpressionAttributeNames={"#reference": "reference"},
        )
        if "Item" not in response:
            return None
        values = from_item(response["Item"])
        return tuple(attachment_of(a) for a in values.get("attachments") or ())

    def status_of(self, reference: str) -> Status | None:
        """Where a case stands, and nothing else (the reporter's status page)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=keys.case(reference),
            ProjectionExpression="#status",
            ExpressionAttributeNames={"#status": "status"},
        )
        return Status(response["Item"]["status"]["S"]) if "Item" in response else None

    def consent_of(self, reference: str) -> ConsentGiven | None:
        """What the case's reporter consents to now (a withdrawal changes it), and nothing
        else: what an alert written earlier may still do."""
        response = self._client.get_item(
            TableName=self._table,
            Key=keys.case(reference),
            ProjectionExpression="consent",
            ConsistentRead=True,
        )
        item = response.get("Item")
        return consent_of(from_item(item)["consent"]) if item and "consent" in item else None

    def file(self, reference: str) -> CaseFile | None:
        """The case with its notes and deliveries: one query on the case's partition."""
        items = query_all(
            self._client,
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.case_partition(reference)}},
            ConsistentRead=True,
        )
        values = next((i for i in items if i.get("kind") == "case"), None)
        if values is None:
            return None
        return CaseFile(
            case=case_of(values, self._sealer),
            agencies=frozenset(values.get("agencies") or ()),
            links=frozenset(values.get("links") or ()),
            assignee=values.get("assignee"),
            updated_at=time(values.get("updated_at")),
            attachments=tuple(attachment_of(a) for a in values.get("attachments") or ()),
            notes=tuple(self._note_of(reference, n) for n in items if n.get("kind") == "note"),
            deliveries=tuple(delivery_of(d) for d in items if d.get("kind") == "delivery"),
            break_glass={g["subject"]: time(g["until"]) for g in items if g.get("kind") == "grant"},
            events=tuple(event_of(e) for e in items if e.get("kind") == "event"),
        )

    def reports(self, references: list[str]) -> dict[str, Report]:
        """The reports of some cases, in batch reads of at most 100."""
        found: dict[str, Report] = {}
        for start in range(0, len(references), 100):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [keys.case(r) for r in references[start : start + 100]],
                    "ProjectionExpression": "#reference, #report",
                    "ExpressionAttributeNames": {"#reference": "reference", "#report": "report"},
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table, []):
                    values = from_item(item)
                    # The open part only: matching compares names, births and places.
                    found[values["reference"]] = Report.model_validate_json(
                        values["report"], context=STORED
                    )
                request = response.get("UnprocessedKeys") or {}
        return found

    def change(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        *,
        version: int,
        now: dt.datetime,
        status: Status | None = None,
        assignee: str | None = None,
        link: str | None = None,
    ) -> None:
        """Change a case that nobody changed since `version`; refused ("case") with the
        current item otherwise."""
        # The retention clock runs from the last change (domain/retention.py).
        sets = ["version = version + :one", "updated_at = :now", "retention_at = :retained"]
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":now": {"S": iso(now)},
            ":version": {"N": str(version)},
            ":retained": {"S": keys.retention_at(now, reference)},
        }
        names: dict[str, str] = {}
        if status is not None:
            sets += ["#status = :status", "status_pk = :status_pk", "retention_pk = :status_rt"]
            names["#status"] = "status"
            values[":status"] = {"S": str(status)}
            values[":status_pk"] = {"S": keys.status_pk(status)}
            values[":status_rt"] = {"S": keys.retention_pk(status)}
        if assignee is not None:
            sets.append("assignee = :assignee")
            values[":assignee"] = {"S": assignee}
        expression = "SET " + ", ".join(sets)
        if link is not None:
            expression += " ADD links :link"
            values[":link"] = {"SS": [link]}
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": keys.case(reference),
            "UpdateExpression": expression,
            "ConditionExpression": "version = :version",
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            update["ExpressionAttributeNames"] = names
        uow.add("case", {"Update": update})

    def link_back(self, uow: DynamoUnitOfWork, reference: str, other: str, now: dt.datetime):
        """The other side of a link: no version check (nobody read it), but it must exist."""
        uow.add(
            "other",
            {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.case(reference),
                    "UpdateExpression": "SET version = version + :one, updated_at = :now, "
                    "retention_at = :retained ADD links :other",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {
                        ":one": {"N": "1"},
                        ":now": {"S": iso(now)},
                        ":retained": {"S": keys.retention_at(now, reference)},
                        ":other": {"SS": [other]},
                    },
                }
            },
        )

    def add_note(
        self,
        uow: DynamoUnitOfWork,
        reference: str,
        *,
        author: str,
        text: str,
        at: dt.datetime,
        names_reporter: bool = False,
    ) -> None:
        """Notes are only ever added, so two people writing at once cannot conflict.

        A note is free text ("called the mother on +380..."): it is sealed as the report's
        sensitive fields are, under a data key of its own (one KMS call per note)."""
        uow.add(
            "note",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.note(reference, at),
                        **to_item(
                            {
                                "kind": "note",
                                "author": author,
                                "at": iso(at),
                                # Erasing the reporter deletes it (domain/erasure.py).
                                "names_reporter": names_reporter or None,
                                **self.sealed_text(reference, text),
                            }
                        ),
                    },
                }
            },
        )

    def sealed_text(self, reference: str, text: str) -> dict[str, bytes]:
        """The attributes that keep a free text of this case sealed (SEALED_TEXT)."""
        if self._sealer is None:
            raise RuntimeError("these stores were built without the fields key")
        sealed, key_blob = self._sealer.seal(reference, {SEALED_TEXT: {"text": text}})
        return {"sealed_text": sealed[SEALED_TEXT], "sealed_text_key": key_blob}

    def opened_text(self, reference: str, values: dict[str, Any]) -> str | None:
        """A free text sealed by `sealed_text` (a note written before notes were sealed
        keeps its `text` in clear); None when these stores cannot open it."""
        if "sealed_text" not in values:
            return values.get("text")
        if self._sealer is None:
            return None
        opened = self._sealer.open(
            reference, SEALED_TEXT, bytes(values["sealed_text"]), bytes(values["sealed_text_key"])
        )
        return opened["text"]

    def _note_of(self, reference: str, values: dict[str, Any]) -> Note:
        text = self.opened_text(reference, values)
        return Note(at=time(values["at"]), author=values["author"], text=text or "")

    def grant_break_glass(
        self, uow: DynamoUnitOfWork, reference: str, subject: str, until: dt.datetime
    ) -> None:
        """A coordinator may see all of the case until `until` (the item then expires)."""
        uow.add(
            "grant",
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **keys.grant(reference, subject),
                        **to_item(
                            {
                                "kind": "grant",
                                "subject": subject,
                                "until": iso(until),
                                "expires_at": int(until.timestamp()) + 3600,
                            }
                        ),
                    },
                }
            },
        )

    def require(self, uow: DynamoUnitOfWork, reference: str) -> None:
        """The unit of work is refused ("case") unless the case exists."""
        uow.add(
            "case",
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": keys.case(reference),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        )
