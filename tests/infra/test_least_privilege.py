"""Each Lambda function's IAM policy (infra/package.py) allows every AWS call it makes.

moto does not enforce IAM, so a call a policy forgot would pass every other test and fail
in AWS, where it matters most: an alert not dispatched, an escalation never sent. Here a
whole working day runs through the handlers (reports, dispatch, matching, sending, an
acknowledgement, casework, directory changes, escalation, a parked delivery and its
retry, a reporter's withdrawal, a person's data requests, the sweeper, the digest and,
a year on, the retention schedule) while every call the app's clients make is recorded
with the function that made it, then checked against that function's policy.
"""

import contextvars
import datetime as dt
import fnmatch
import hashlib
import json
import re
from urllib.parse import unquote, urlencode, urlsplit

import pytest
import time_machine
from formdata import form_fields, form_key, post_form
from helpers import Console, fail_sends, photo_jpeg, post_report
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib.domain import conversation as talk
from chalicelib.domain.case import status_token
from infra import package
from infra.local.emulator import REGION
from infra.local.telegram import TelegramStandIn

RUNNING = contextvars.ContextVar("running", default="ApiHandlerRole")
ROLES = {
    "dispatch_alerts": "DispatchAlertsRole",
    "follow_up_new_items": "FollowUpNewItemsRole",
    "send_deliveries": "SendDeliveriesRole",
    "requeue_stale_deliveries": "RequeueStaleDeliveriesRole",
    "escalate_unacknowledged": "EscalateUnacknowledgedRole",
    "send_daily_digest": "SendDailyDigestRole",
    "anchor_custody": "AnchorCustodyRole",
    "send_import_digests": "SendImportDigestsRole",
    "send_webhooks": "SendWebhooksRole",
    "anonymise_expired": "AnonymiseExpiredRole",
    "record_delivery_events": "RecordDeliveryEventsRole",
    "alert_overdue_follow_ups": "AlertOverdueFollowUpsRole",
    "record_sms_replies": "RecordSmsRepliesRole",
}
LINK = re.compile(r"http://127\.0\.0\.1:8000(/ack/[A-Za-z0-9_-]+)")
# Operations whose IAM action has another name.
ACTION = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}
TRANSACT["ConditionCheck"] = "ConditionCheckItem"


class Needs:
    """What one call needs: an action, resources any of which a statement may name, and
    the partition keys it touches (for statements limited by dynamodb:LeadingKeys)."""

    def __init__(self, action, resources, keys=(), sender=None):
        self.action, self.resources, self.keys = action, resources, set(keys)
        self.sender = sender

    def __repr__(self):
        return f"{self.action} on {self.resources[0]} {sorted(self.keys) or ''}"


def _table(name, outputs, index=None):
    if name == outputs["AuditTableName"]:
        return [package.AUDIT]
    if index:
        return [package.TABLE_INDEXES, {"Fn::Sub": f"${{CasesTable.Arn}}/index/{index}"}]
    return [package.TABLE]


def _pk(item_or_key):
    return [item_or_key["pk"]["S"]] if "pk" in item_or_key else []


def _queried(params):
    """The partition a query reads (of the table, or of the index it names): what
    dynamodb:LeadingKeys is checked against."""
    found = re.match(r"\s*#?(\w+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", ""))
    return [params["ExpressionAttributeValues"][found.group(2)]["S"]] if found else []


def needs(service, operation, params, outputs):
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                Needs(
                    f"dynamodb:{TRANSACT[kind]}",
                    _table(op["TableName"], outputs),
                    _pk(op.get("Key") or op.get("Item")),
                )
                for item in params["TransactItems"]
                for kind, op in item.items()
            ]
        if operation == "BatchGetItem":
            return [
                Needs(
                    "dynamodb:BatchGetItem",
                    _table(table, outputs),
                    [k for key in request["Keys"] for k in _pk(key)],
                )
                for table, request in params["RequestItems"].items()
            ]
        if operation == "BatchWriteItem":
            return [
                Needs(
                    "dynamodb:BatchWriteItem",
                    _table(table, outputs),
                    [k for write in writes for k in _pk(write["PutRequest"]["Item"])],
                )
                for table, writes in params["RequestItems"].items()
            ]
        keys = _pk(params.get("Key") or params.get("Item") or {})
        if operation == "Query":
            keys = _queried(params)
        resources = _table(params["TableName"], outputs, params.get("IndexName"))
        return [Needs(f"dynamodb:{operation}", resources, keys)]
    if service == "sqs":
        queue = {
            outputs["DeliveryQueueUrl"]: package.QUEUE,
            outputs["WebhookQueueUrl"]: package.WEBHOOK_QUEUE,
            outputs["TelegramQueueUrl"]: package.TELEGRAM_QUEUE,
        }[params["QueueUrl"]]
        return [Needs(f"sqs:{ACTION.get(operation, operation)}", [queue])]
    if service == "ses":
        return [Needs(f"ses:{operation}", [package.SES_IDENTITIES], sender=params["Source"])]
    if service == "sns":
        return [Needs(f"sns:{operation}", ["*"])]
    if service == "kms":
        return [Needs(f"kms:{operation}", [package.FIELDS_KEY])]
    if service == "s3":
        return s3_needs(operation, params)
    raise AssertionError(f"no IAM mapping for {service}.{operation}")


def _object(key, bucket="UploadsBucket"):
    """The policy resource an object falls under: its top-level prefix in the bucket."""
    return [{"Fn::Sub": f"${{{bucket}.Arn}}/{key.split('/', 1)[0]}/*"}]


def s3_needs(operation, params):
    # Naming a version needs the action's Version form: GetObjectVersion, DeleteObjectVersion.
    versioned = "Version" if params.get("VersionId") else ""
    if operation in ("HeadObject", "GetObject", "DeleteObject", "PutObject"):
        action = {"HeadObject": "GetObject"}.get(operation, operation)
        bucket = "EvidenceBucket" if "-evidence-" in params["Bucket"] else "UploadsBucket"
        return [Needs(f"s3:{action}{versioned}", _object(params["Key"], bucket))]
    if operation == "CopyObject":
        # botocore has made CopySource "bucket/key?versionId=..." by now.
        source = urlsplit(params["CopySource"])
        read = "GetObjectVersion" if "versionId=" in source.query else "GetObject"
        return [
            Needs("s3:PutObject", _object(params["Key"])),
            Needs(f"s3:{read}", _object(unquote(source.path).split("/", 1)[1])),
        ]
    if operation == "CreateBucket":
        # generate_presigned_post builds its URL from CreateBucket's model and sends
        # nothing; the browser's POST it signs needs PutObject on an upload slot.
        return [Needs("s3:PutObject", _object("uploads/"))]
    if operation in ("ListObjectVersions", "ListObjectsV2"):
        action = "ListBucketVersions" if operation == "ListObjectVersions" else "ListBucket"
        return [Needs(f"s3:{action}", [package.UPLOADS_BUCKET])]
    raise AssertionError(f"no IAM mapping for s3.{operation}")


def allowed(role, need):
    """Whether the role's policy allows the call: an Allow that matches it, with its
    conditions met, and no Deny that matches it."""
    from chalicelib import wiring

    found = False
    for statement in package.POLICIES[role]:
        if need.action not in statement["Action"]:
            continue
        if not any(r in statement["Resource"] for r in need.resources):
            continue
        if statement["Effect"] == "Deny":
            return False
        condition = statement.get("Condition", {})
        leading = {
            operator: keys["dynamodb:LeadingKeys"]
            for operator, keys in condition.items()
            if "dynamodb:LeadingKeys" in keys
        }
        if leading:
            ((operator, patterns),) = leading.items()
            # StringEquals names partitions; StringLike may use * as IAM does.
            match = fnmatch.fnmatchcase if operator == "ForAllValues:StringLike" else str.__eq__
            if not need.keys or not all(
                any(match(key, pattern) for pattern in patterns) for key in need.keys
            ):
                continue
        if "ForAllValues:StringLike" in condition:
            patterns = condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            if not need.keys or not all(
                any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in need.keys
            ):
                continue
        if "ses:FromAddress" in condition.get("StringEquals", {}):
            # The condition names the sender the functions are configured with (the same
            # value, infra/package.py ALERT_SENDER): the app must send from it only.
            assert package.ENVIRONMENT["HOMEWARD_ALERT_SENDER"] == package.ALERT_SENDER
            if need.sender != wiring.settings().alert_sender:
                continue
        found = True
    return found


class OnePerFunction:
    """The directory as each function caches it: one cache per function (each is its own
    process in AWS, so a read one cached never stands in for another's first read), all
    read again after any write to the directory's partition (as their minute would;
    sooner, so no call is missed). Reading it afresh at every use was a fifth of the day."""

    WRITES = frozenset(
        {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
    )

    def __init__(self, store) -> None:
        self._store = store
        self._read: dict[str, object] = {}

    def current(self):
        role = RUNNING.get()
        if role not in self._read:
            self._read[role] = self._store.read()
        return self._read[role]

    def forget(self) -> None:
        self._read.clear()

    def seen(self, operation: str, params: dict) -> None:
        if operation in self.WRITES and "{'S': 'DIRECTORY'}" in repr(params):
            self.forget()


@pytest.fixture
def recorded(aws, monkeypatch):
    """(role, call) for every call the app's own clients make, from now on."""
    from chalicelib import handlers, wiring

    # Each function is its own process in AWS: no directory read one function cached may
    # stand in for a read another makes.
    monkeypatch.setenv("HOMEWARD_DIRECTORY_CACHE_SECONDS", "0")
    wiring.reset()
    directory = OnePerFunction(wiring.stores().directory)
    monkeypatch.setattr(wiring, "directory", lambda: directory)
    for name, role in ROLES.items():
        original = getattr(handlers, name)

        def as_role(event, _original=original, _role=role):
            token = RUNNING.set(_role)
            try:
                return _original(event)
            finally:
                RUNNING.reset(token)

        monkeypatch.setattr(handlers, name, as_role)
    # HTTP routes: the public ones run in the public function (infra/package.py).
    import app

    for path, methods in app.app.routes.items():
        role = package.route_role(path)
        for entry in methods.values():

            def as_route(*args, _view=entry.view_function, _role=role, **kwargs):
                token = RUNNING.set(_role)
                try:
                    return _view(*args, **kwargs)
                finally:
                    RUNNING.reset(token)

            monkeypatch.setattr(entry, "view_function", as_route)
    calls = []

    def record(params, model, **_):
        # Mapped to IAM later: an error raised here would only look like an AWS failure.
        calls.append((RUNNING.get(), model.service_model.service_name, model.name, params))
        directory.seen(model.name, params)

    for service in ("dynamodb", "sqs", "ses", "sns", "s3", "kms"):
        wiring.client(service).meta.events.register(f"before-parameter-build.{service}", record)
    return calls


def form_fields_with_file(client, name, data):
    """The form's fields with one file in slot 1, uploaded as the page would (None: the
    file was uploaded before)."""
    import requests

    key = form_key(name)
    if data is not None:
        grant = client.http.post(
            "/report/uploads",
            headers={"Content-Type": "application/json"},
            body=json.dumps(
                {"submission_key": key, "slot": 1, "content_type": "image/jpeg", "size": len(data)}
            ),
        ).json_body
        sent = requests.post(grant["url"], data=grant["fields"], files={"file": data}, timeout=30)
        assert sent.status_code in (200, 201, 204)
    return form_fields(submission_key=key, upload="1")


def partner_day(client, coordinator, poster, dev_key, report_body):
    from chalicelib.adapters.tokens import mint_dev_partner_token
    from chalicelib.domain.partners import READ, WRITE
    from chalicelib.domain.webhooks import UnsafeWebhookTarget

    registration = {"client_id": "ngo-day", "name": "NGO", "webhook_url": "https://ngo.example/in"}
    assert coordinator.put("/partners/ngo-day", registration).status_code == 200
    assert coordinator.get("/partners").status_code == 200
    token = mint_dev_partner_token(dev_key, client_id="ngo-day", scopes=(WRITE, READ))

    def partner(path, body=None, method="POST"):
        return client.http.request(
            method,
            f"/api/v1/partner{path}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body=None if body is None else json.dumps(body),
        )

    filed = partner("/reports", {"external_id": "DAY-1", "report": report_body})
    assert filed.status_code == 201, filed.body
    rows = {"rows": [{"line": 2, "external_id": "DAY-2", "report": report_body}]}
    assert partner("/imports/day-batch/rows", rows).status_code == 200
    assert partner("/imports/day-batch/close").status_code == 202
    assert partner("/reports/DAY-1", method="GET").status_code == 200
    reference = filed.json_body["reference"]
    version = coordinator.get(f"/cases/{reference}").json_body["version"]
    moved = {"status": "triaged", "note": "called", "version": version}
    assert coordinator.post(f"/cases/{reference}/status", moved).status_code == 200
    poster.statuses = [UnsafeWebhookTarget("private"), 503]
    return reference


@pytest.fixture
def poster(monkeypatch, aws):
    from fakes import FakePoster

    from chalicelib import wiring

    fake = FakePoster()
    monkeypatch.setattr(wiring, "webhook_poster", lambda: fake)
    return fake


def test_every_call_of_every_function_is_allowed_by_its_own_policy(
    client, aws, pump, staff, report_body, recorded, poster, dev_key
):
    coordinator, auditor = staff("coordinator"), staff("auditor")
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert client.http.get("/healthz").status_code == 200
        # The directory: a contact and a rule with its own policy, then one taken away.
        desk = {
            "organisation": "Kharkiv desk",
            "agency": "UA-KHARKIV",
            "kind": "national_authority",
            "member_state": "UA",
            "name": "Desk",
            "email": "desk@kharkiv.example.org",
            "languages": ["uk"],
            "channels": ["email"],
        }
        assert coordinator.put("/contacts/kharkiv-desk", desk).status_code == 201
        rule = {"oblasts": ["UA-65"], "contacts": ["kharkiv-desk"]}
        rule["escalation"] = {"urgent_after_minutes": 10}
        assert coordinator.put("/routing-rules/kharkiv", rule).status_code == 201
        assert coordinator.put("/routing-rules/spare", rule).status_code == 201
        assert coordinator.delete("/routing-rules/spare").status_code == 204
        assert coordinator.get("/contacts").status_code == 200
        assert auditor.get("/directory/audit").status_code == 200

        # The form, with a photo, and with a file that is not what it claims; the receipt
        # refreshed; a status lookup.
        photo = photo_jpeg(b"\x00" * 200)
        # With the evidence consent: its original goes to the evidence bucket too.
        evidence = {"consent.evidence": "yes"}
        filed = post_form(client, form_fields_with_file(client, "day-photo", photo) | evidence)
        assert filed.status_code == 201
        with_photo = re.search(r'id="reference">(HW-[0-9A-Z-]+)<', filed.body.decode()).group(1)
        refreshed = post_form(client, form_fields_with_file(client, "day-photo", None) | evidence)
        assert refreshed.status_code == 200
        fake = form_fields_with_file(client, "day-fake", b"MZ" + b"\x00" * 200)
        assert post_form(client, fake).status_code == 422
        status = urlencode({"reference": "HW-2222-2222", "token": "x", "lang": "en"})
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert client.http.post("/status", headers=form, body=status).status_code == 200

        # Two reports of the same child, one urgent; SMS to one number is refused for good.
        fail_sends("sns", "Publish", "InvalidParameter", times=1)
        first = post_report(client, report_body).json_body["reference"]
        report_body["urgent"] = True
        second = post_report(client, report_body).json_body["reference"]
        pump.run_until_idle()

        # An acknowledgement, casework, a match confirmed (a new alert, dispatched).
        sent_sms = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())
        (text, *_) = [t for n, t in sent_sms]
        assert client.http.post(LINK.search(text).group(1), body=b"").status_code == 200
        # Another SMS answered with its code (two-way SMS, through the replies topic).
        import app

        number, text = sent_sms[1]
        code = re.search(r" ([0-9]{5})$", text).group(1)
        assert app.record_sms_replies(_sms_reply(number, code), None)
        assert coordinator.get("/cases").status_code == 200
        case = coordinator.get(f"/cases/{second}").json_body
        moved = {"status": "triaged", "note": "called", "version": case["version"]}
        assert coordinator.post(f"/cases/{second}/status", moved).status_code == 200
        assert auditor.get(f"/cases/{second}/audit").status_code == 200
        assert coordinator.get(f"/cases/{second}/matches").json_body["matches"]
        decision = coordinator.post(f"/cases/{second}/matches/{first}", {"decision": "confirmed"})
        assert decision.status_code == 200, decision.json_body
        pump.run_until_idle()

        # The console: a caseworker's inbox, search, case page and its forms (a note, her
        # own alert acknowledged, a correction that runs matching again, an assignment);
        # a coordinator's file link, statistics, directory pages and routing preview.
        south = Console(client, "demo-taras-bondar")
        assert south.get("/staff").status_code == 200
        south.get("/staff/search")
        assert south.post("/staff/search", {"q": "Kovalchuk 2012"}).status_code == 200
        assert south.get(f"/staff/cases/{first}").status_code == 200
        assert south.post(f"/staff/cases/{first}/notes", {"text": "called"}).status_code == 303
        mine = {"delivery_id": "report-received/south-ua-ombudsman/email"}
        assert south.post(f"/staff/cases/{first}/acknowledge", mine).status_code == 303
        version = coordinator.get(f"/cases/{first}").json_body["version"]
        fix = {"field": "child.date_of_birth", "value": "2012-04-03", "reason": "swapped"}
        fixed = south.post(f"/staff/cases/{first}/correct", {**fix, "version": version})
        assert fixed.status_code == 303, fixed.body
        given = {"assignee": "demo-oksana-hrytsenko", "version": version + 1}
        assert south.post(f"/staff/cases/{first}/assign", given).status_code == 303
        desk = Console(client, "demo-olena-koval")
        digest = hashlib.sha256(photo).hexdigest()
        assert desk.get(f"/staff/cases/{with_photo}/files/{digest}").status_code == 303
        for page in ("/staff/statistics", "/staff/directory", "/staff/deliveries"):
            assert desk.get(page).status_code == 200, page
        preview = "/staff/directory/preview?oblast=UA-65&category=deported&urgent=yes"
        assert desk.get(preview).status_code == 200
        assert Console(client, "demo-nataliia-rudenko").get("/staff/audit").status_code == 200
        # A hotline call begun and its first answer kept (the conversation, sealed).
        operator = Console(client, "demo-olena-koval")
        operator.get("/staff/hotline")
        begun = operator.post("/staff/hotline", {"language": "uk"})
        call = re.search(r'staff/hotline/([A-Za-z0-9_-]{12})"', begun.body.decode()).group(1)
        operator.csrf = re.search(r'name="csrf" value="([^"]+)"', begun.body.decode()).group(1)
        assert operator.post(f"/staff/hotline/{call}", {"choice": "no"}).status_code == 200

        # An alert's e-mail bounces (SES's event, through its topic).
        import app

        (bounced, *_) = [
            d for d in _deliveries(aws, first) if d["channel"] == "email" and d["state"] == "sent"
        ]
        assert app.record_delivery_events(_ses_bounce(first, bounced["delivery_id"]), None)

        # The parked delivery, retried by a coordinator.
        (parked, *_) = coordinator.get("/deliveries/undelivered").json_body["deliveries"]
        retry = {"reference": parked["reference"], "delivery_id": parked["delivery_id"]}
        assert coordinator.post("/deliveries/retry", retry).status_code == 202
        pump.run_until_idle()

        # A partner files a report and an import batch; its report moves on, so it is owed
        # a webhook, which fails for good at once (an address turned private) and is sent
        # again by a coordinator.
        partner_day(client, coordinator, poster, dev_key, report_body)
        pump.run_until_idle()

        # Exports: a small CSV in the answer, a spreadsheet behind a presigned link.
        assert coordinator.post("/exports", {"format": "csv"}).status_code == 200
        sheet = coordinator.post("/exports", {"format": "xlsx"})
        assert sheet.status_code == 200 and sheet.json_body["url"], sheet.body

        (failed,) = coordinator.get("/webhooks/failed").json_body["webhooks"]
        retry = {"client_id": failed["client_id"], "event_id": failed["event_id"]}
        assert coordinator.post("/webhooks/retry", retry).status_code == 202
        pump.run_until_idle()  # fails once more (503): its retry waits for its backoff
        assert len(poster.posts) == 2

        # The first report's reporter withdraws; a person asks what is held about them,
        # and the second report's reporter to be forgotten; the report with the photo is
        # set aside as unfounded.
        withdrawal = urlencode(
            {
                "reference": first,
                "token": status_token(b"test-signing-key", first),
                "confirm": "yes",
            }
        )
        assert (
            client.http.post("/status/withdraw", headers=form, body=withdrawal).status_code == 200
        )
        person = {"email": "iryna@example.org"}
        assert coordinator.post("/data-requests/export", person).status_code == 200
        assert coordinator.post("/data-requests/erase", {"reference": second}).status_code == 200
        assert auditor.get("/data-requests/audit").status_code == 200
        # A witness statement on it, which its witness withdraws; retention erases its words.
        said = {"witness": "neighbour", "adult_confirmed": True, "language": "uk", "saw": "Бачила"}
        said |= {"taker_role": "staff", "taken_how": "by_phone", "evidence_consent": True}
        said["given_at"] = start.isoformat()
        taken = coordinator.post(f"/cases/{with_photo}/statements", said).json_body
        took_back = f"/cases/{with_photo}/statements/{taken['statement_id']}/consent-withdrawal"
        assert coordinator.post(took_back, {"why": "by phone"}).status_code == 201
        version = coordinator.get(f"/cases/{with_photo}").json_body["version"]
        unfounded = {"status": "unfounded", "note": "not a deportation", "version": version}
        assert coordinator.post(f"/cases/{with_photo}/status", unfounded).status_code == 200
        pump.run_until_idle()

        # Escalation, the sweeper and the digest (and the import batch's digest).
        clock.shift(dt.timedelta(minutes=16))
        assert pump.tick_escalation() >= 1
        pump.run_until_idle()
        clock.shift(dt.timedelta(minutes=10))
        pump.tick()
        pump.send_digest()
        # The custody chains' daily anchor (the local TSA signs the day's time stamp).
        assert pump._schedule("anchor_custody") == 2  # the photo's chain, the statement's

        # A year on, the retention schedule anonymises the unfounded report and its photo.
        clock.shift(dt.timedelta(days=366))
        assert pump.anonymise_expired() == 1

    assert {call[0] for call in recorded} == {
        "PublicHandlerRole",
        "ApiHandlerRole",
        *ROLES.values(),
    }
    refused = {
        f"{role}: {need}"
        for role, service, operation, params in recorded
        for need in needs(service, operation, params, aws)
        if not allowed(role, need)
    }
    assert sorted(refused) == [], "\n".join(sorted(refused))


def _deliveries(outputs, reference):
    import boto3

    from chalicelib.adapters.dynamo.items import from_item

    items = boto3.client("dynamodb").query(
        TableName=outputs["TableName"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{reference}"}, ":d": {"S": "DELIVERY#"}},
    )["Items"]
    return [from_item(i) for i in items]


def _sms_reply(number, text):
    message = {
        "originationNumber": number,
        "destinationNumber": "+380445550100",
        "messageKeyword": "KEYWORD_ACCOUNT",
        "messageBody": text,
        "inboundMessageId": "in-1",
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {"Message": json.dumps(message), "Subject": None, "MessageAttributes": {}},
            }
        ]
    }


def _ses_bounce(reference, delivery_id):
    from chalicelib.adapters.channels import delivery_tags

    tags = {t["Name"]: [t["Value"]] for t in delivery_tags(reference, delivery_id)}
    message = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General"},
        "mail": {"messageId": "m-1", "tags": tags},
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {"Message": json.dumps(message), "Subject": None, "MessageAttributes": {}},
            }
        ]
    }


def test_what_the_public_can_call_can_never_open_a_case():
    """The public function seals a new report's fields; only staff and the sender open."""

    def actions(role):
        return {a for statement in package.POLICIES[role] for a in statement["Action"]}

    assert "kms:Decrypt" not in actions("PublicHandlerRole")
    assert "kms:GenerateDataKey" in actions("PublicHandlerRole")
    assert "dynamodb:Query" not in {
        a
        for statement in package.POLICIES["PublicHandlerRole"]
        if package.AUDIT in statement["Resource"]
        for a in statement["Action"]
    }
    assert "kms:Decrypt" in actions("ApiHandlerRole")
    # Staff seal what they write in free text (notes), as intake seals a report.
    assert "kms:GenerateDataKey" in actions("ApiHandlerRole")
    merged = package.merge_template("dev")["Resources"]
    public = merged["PublicHandler"]["Properties"]
    assert public["Role"] == {"Fn::GetAtt": ["PublicHandlerRole", "Arn"]}
    paths = merged["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert "/api/v1/reports" in paths and "/ack/{token}" in paths
    assert not any(path.startswith(package.STAFF_PREFIX) for path in paths)
    # The console is staff's too: its pages decrypt cases.
    assert not any(path == "/staff" or path.startswith("/staff/") for path in paths)


# The staff API shows and changes every kind of item (cases, the directory, partners,
# staff): its reach is bounded by the routes' own checks, not by key prefix.
BROAD = {"ApiHandlerRole"}


def merged_policies() -> dict[str, list[dict]]:
    """Each role's statements as the merged template deploys them."""
    resources = package.merge_template("dev")["Resources"]
    return {
        role: [
            statement
            for policy in resources[role]["Properties"]["Policies"]
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        for role in package.POLICIES
    }


def test_the_public_and_background_functions_reach_the_table_only_under_their_prefixes():
    """Issue 23: the public role could Get/Query/Put/Update anything in the table. Every
    statement that lets the public or a background function at the table now names the
    partitions it may touch (the day above shows each is enough)."""
    unbounded = [
        f"{role}: {statement['Sid']}"
        for role, statements in merged_policies().items()
        if role not in BROAD
        for statement in statements
        if statement["Effect"] == "Allow"
        and package.TABLE in statement["Resource"]
        and any(a.startswith("dynamodb:") for a in statement["Action"])
        and "dynamodb:LeadingKeys" not in json.dumps(statement.get("Condition", {}))
    ]
    assert unbounded == []
    # The statements the day above was checked against are the ones deployed.
    merged = merged_policies()
    for role, statements in package.POLICIES.items():
        assert all(statement in merged[role] for statement in statements), role


def test_the_public_function_can_rewrite_no_routing_rule_webhook_or_staff_record():
    """The attack, as the public function's credentials would try it."""
    refused = [
        ("dynamodb:PutItem", "DIRECTORY"),
        ("dynamodb:UpdateItem", "DIRECTORY"),
        ("dynamodb:Query", "DIRECTORY"),
        ("dynamodb:PutItem", "PARTNERS"),
        ("dynamodb:UpdateItem", "PARTNERS"),
        ("dynamodb:Query", "PARTNERS"),
        ("dynamodb:GetItem", "STAFF"),
        ("dynamodb:PutItem", "STAFF"),
        ("dynamodb:GetItem", "DIGEST"),
    ]
    for action, partition in refused:
        assert not allowed("PublicHandlerRole", Needs(action, [package.TABLE], [partition])), (
            action,
            partition,
        )
    # What it is for still is: a report's case, a partner's registration read.
    assert allowed("PublicHandlerRole", Needs("dynamodb:PutItem", [package.TABLE], ["CASE#HW-1"]))
    assert allowed("PublicHandlerRole", Needs("dynamodb:GetItem", [package.TABLE], ["PARTNERS"]))
    # A query whose partition the check cannot tell is refused, never waved through.
    assert not allowed("PublicHandlerRole", Needs("dynamodb:Query", [package.TABLE], []))


def test_only_the_evidence_role_reads_the_evidence_bucket_locked_in_compliance_mode():
    """Issue 27: originals kept as evidence are read by the evidence role alone (the
    public function writes new ones, the staff function works on the stripped copies),
    and the bucket keeps them unchangeable for the retention the stage's parameter sets."""
    resources = package.merge_template("dev")["Resources"]
    bucket = resources["EvidenceBucket"]["Properties"]
    rule = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert bucket["ObjectLockEnabled"] is True
    assert rule == {"Mode": "COMPLIANCE", "Days": {"Ref": "EvidenceRetentionDays"}}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    originals = {"Fn::Sub": "${EvidenceBucket.Arn}/originals/*"}
    for role in ("PublicHandlerRole", "ApiHandlerRole", *ROLES.values()):
        for read in ("s3:GetObject", "s3:GetObjectVersion"):
            assert not allowed(role, Needs(read, [originals])), role
    assert allowed("PublicHandlerRole", Needs("s3:PutObject", [originals]))
    # Whatever any identity policy says, the bucket refuses reads to all but that role.
    policy = resources["EvidenceBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in policy if s["Sid"] == "OnlyTheEvidenceRoleReads"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert {"s3:GetObject", "s3:GetObjectVersion"} <= set(deny["Action"])
    assert deny["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["EvidenceRole", "Arn"]}}
    }
    role = resources["EvidenceRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    # Witness statements are sealed with the fields key: the role opens them, never seals.
    kms = [
        s
        for s in role["Policies"][0]["PolicyDocument"]["Statement"]
        if any(a.startswith("kms:") for a in s["Action"])
    ]
    assert [(s["Action"], s["Resource"]) for s in kms] == [
        (["kms:Decrypt"], {"Fn::GetAtt": ["FieldsKey", "Arn"]})
    ]


def test_only_the_staff_function_can_read_the_console_session_secret():
    """Issue 23: the public function (and every background one) held the only secret
    behind the console's cookies. The session secret is read by the console's function
    alone; the public one keeps the signing key it needs for status codes and form keys."""
    secret = {"Ref": "ConsoleSessionKey"}
    readers = {
        role
        for role, statements in merged_policies().items()
        for statement in statements
        if statement["Effect"] == "Allow"
        and "secretsmanager:GetSecretValue" in statement["Action"]
        and secret in statement["Resource"]
    }
    assert readers == {"ApiHandlerRole"}
    assert not allowed("PublicHandlerRole", Needs("secretsmanager:GetSecretValue", [secret]))
    resources = package.merge_template("dev")["Resources"]
    assert resources["ConsoleSessionKey"]["Type"] == "AWS::SecretsManager::Secret"
    assert package.ENVIRONMENT["HOMEWARD_SESSION_KEY_SECRET"] == secret


# Who may read each secret (issue 23: one secret per purpose, each held only by the
# functions that sign or check what it is for). The report's figure comes from here.
SECRET_READERS = {
    # Blind indexes: sources charged at intake, reporters' contact details indexed there
    # and looked up by data requests.
    "SigningKey": {"PublicHandlerRole", "ApiHandlerRole", "HandleTelegramUpdatesRole"},
    "ConsoleSessionKey": {"ApiHandlerRole"},
    "FormKey": {"PublicHandlerRole"},
    # The status page, and the bot's receipt and "/status".
    "StatusCodeKey": {"PublicHandlerRole", "HandleTelegramUpdatesRole"},
    # Signed when an alert is sent, checked when the link is opened.
    "AckLinkKey": {"SendDeliveriesRole", "PublicHandlerRole"},
    # Shown when a partner is registered or its secret rotated; signed with when posting.
    "WebhookKey": {"ApiHandlerRole", "SendWebhooksRole"},
    # The bot's token and Telegram's webhook secret: the bot's three functions.
    "TelegramBotSecret": {
        "TelegramHandlerRole",
        "HandleTelegramUpdatesRole",
        "TidyTelegramChatsRole",
    },
}


def test_each_secret_is_read_only_by_the_functions_that_use_it():
    template = package.merge_template("dev")
    secrets = {
        name
        for name, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::SecretsManager::Secret"
    }
    assert secrets == set(SECRET_READERS)
    readers = {
        name: {
            role
            for role, statements in merged_policies().items()
            for statement in statements
            if statement["Effect"] == "Allow"
            and "secretsmanager:GetSecretValue" in statement["Action"]
            and {"Ref": name} in statement["Resource"]
        }
        for name in secrets
    }
    assert readers == SECRET_READERS
    # Every function is told every secret's id (one environment), so IAM alone keeps them.
    told = {
        v["Ref"]
        for k, v in package.ENVIRONMENT.items()
        if k.endswith("_SECRET") and isinstance(v, dict) and "Ref" in v
    }
    assert told == secrets


# -- the Telegram bot's three functions -------------------------------------------------
# The webhook, the worker and the tidy schedule make only the calls their own policies
# allow: a conversation through the local stand-in of the Bot API, filed with a photo,
# looked up, withdrawn and deleted.

TELEGRAM_CHAT = 5151
TELEGRAM_TOKEN = "123456:privileges"
TELEGRAM_SECRET = "privileges-webhook-secret"


@pytest.fixture
def telegram_calls(request, aws, client, monkeypatch):
    from chalicelib import wiring

    stand_in = TelegramStandIn(
        TELEGRAM_TOKEN,
        deliver=lambda body, headers: (
            client.http.post("/telegram/webhook", headers=headers, body=body).status_code
        ),
    )
    url = stand_in.serve(port=0)
    for name, value in {
        "HOMEWARD_TELEGRAM_API_URL": url,
        "HOMEWARD_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "HOMEWARD_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "HOMEWARD_TELEGRAM_TIDY_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(ROLES, "handle_telegram_updates", "HandleTelegramUpdatesRole")
    monkeypatch.setitem(ROLES, "tidy_telegram_chats", "TidyTelegramChatsRole")
    wiring.reset()
    assert wiring.telegram_bot().set_webhook("https://h.example/telegram/webhook", TELEGRAM_SECRET)
    yield stand_in, request.getfixturevalue("recorded")
    stand_in.stop()


def test_the_bots_functions_are_allowed_every_call_they_make(aws, pump, telegram_calls):
    from chalicelib import wiring

    stand_in, calls = telegram_calls
    stand_in.send_text(TELEGRAM_CHAT, "/start")
    pump.run_until_idle()
    for _ in range(40):
        found = wiring.conversations().get(f"telegram:{TELEGRAM_CHAT}", dt.datetime.now(dt.UTC))
        if found is None or found.asking is None:
            break
        if found.asking == talk.FILES:
            stand_in.send_photo(TELEGRAM_CHAT, photo_jpeg())
            pump.run_until_idle()
            stand_in.press(TELEGRAM_CHAT, talk.NO_MORE_FILES)
        elif found.asking == "reporter.may_contact":
            stand_in.press(TELEGRAM_CHAT, "no")
        elif stand_in.buttons(TELEGRAM_CHAT) and found.asking != "child.date_of_birth":
            stand_in.press(TELEGRAM_CHAT, stand_in.buttons(TELEGRAM_CHAT)[0])
        else:
            typed = {"child.date_of_birth": "14.03.2012"}.get(found.asking, "Ковальчук")
            stand_in.send_text(TELEGRAM_CHAT, typed)
        pump.run_until_idle()
    stand_in.press(TELEGRAM_CHAT, talk.SEND)
    pump.run_until_idle()
    receipt = next(t for t in stand_in.texts(TELEGRAM_CHAT) if "HW-" in t)
    reference = next(w for w in receipt.replace(".", " ").split() if w.startswith("HW-"))
    code = receipt.split(reference)[1].split(": ")[1].split(". ")[0]
    stand_in.send_text(TELEGRAM_CHAT, f"/status {reference} {code}")
    stand_in.send_text(TELEGRAM_CHAT, f"/withdraw {reference} {code}")
    pump.run_until_idle()
    stand_in.press(TELEGRAM_CHAT, stand_in.buttons(TELEGRAM_CHAT)[0])
    pump.run_until_idle()
    pump.tidy_telegram_chats()

    roles = {role for role, *_ in calls}
    assert {"TelegramHandlerRole", "HandleTelegramUpdatesRole", "TidyTelegramChatsRole"} <= roles
    refused = {
        f"{role}: {need}"
        for role, service, operation, params in calls
        if role.startswith(("Telegram", "HandleTelegram", "TidyTelegram"))
        for need in needs(service, operation, params, aws)
        if not allowed(role, need)
    }
    assert sorted(refused) == [], "\n".join(sorted(refused))
