"""The embedded AWS: infra/template.yaml deployed into moto, and the app pointed at it.

Used by the local runner (`make run`) and by the tests, so that both run Homeward on
the same resources as a deployment does.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
TEMPLATE = INFRA / "template.yaml"
# Fictional people at reserved example domains and unassigned numbers, and their rules.
DEMO_CONTACTS = INFRA / "demo" / "contacts.csv"
DEMO_RULES = INFRA / "demo" / "routing-rules.json"
# The staff a local console offers at its sign-in: fictional, matching the demo contacts.
DEMO_STAFF = INFRA / "demo" / "staff.csv"
REGION = "eu-central-1"
ALERT_SENDER = "alerts@homeward.example"


def set_aws_environment() -> None:
    """Fake credentials and a region, so nothing can reach a real AWS account."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "emulated",
            "AWS_SECRET_ACCESS_KEY": "emulated",
            "AWS_SESSION_TOKEN": "emulated",
            "AWS_DEFAULT_REGION": REGION,
            # botocore 1.44 routes DynamoDB Streams to an account-based endpoint moto
            # does not serve.
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    os.environ.pop("AWS_PROFILE", None)


def read_json_templates_as_json() -> None:
    """moto parses every template as YAML first (JSON is YAML too), in pure Python: a
    second for ours, paid by every test that deploys it, and several seconds for the
    packaged template (its API's OpenAPI body) at each change set `make deploy`'s
    rehearsals make. `deploy` and infra.deploy hand moto JSON, so JSON is tried first; a
    YAML template still parses as before."""
    from moto.cloudformation.models import ChangeSet, Stack

    if getattr(Stack.parse_template, "_homeward", False):
        return
    parse_as_yaml = Stack.parse_template

    def parse_template(template: str) -> dict:
        try:
            return json.loads(template)
        except ValueError:
            return parse_as_yaml(template)

    def parse_change_set_template(change_set: ChangeSet) -> None:
        change_set.template_dict = parse_template(change_set.template)

    parse_template._homeward = True  # type: ignore[attr-defined]
    Stack.parse_template = staticmethod(parse_template)
    ChangeSet._parse_template = parse_change_set_template


def answer_stream_reads_as_json() -> None:
    """moto keeps each DynamoDB stream record already in the wire's shape, then walks it
    through its generic response serializer, attribute by attribute: the dearest call in
    the tests (every pump reads the stream once per reader). Its JSON is what that walk
    produces, so it is written out directly, as moto did before that serializer."""
    import calendar

    from moto.dynamodb.models.utilities import dynamo_json_dump
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    if getattr(DynamoDBStreamsHandler.get_records, "_homeward", False):
        return

    def get_records(self) -> str:
        limit = self._get_param("Limit")
        found = self.backend.get_records(self._get_param("ShardIterator"), limit or 1000)
        records = [
            record
            | {"dynamodb": record["dynamodb"] | {"ApproximateCreationDateTime": seconds(record)}}
            for record in found["Records"]
        ]
        return dynamo_json_dump(found | {"Records": records})

    def seconds(record: dict) -> float:
        # Truncated to the millisecond, as moto's serializer writes it.
        created = record["dynamodb"]["ApproximateCreationDateTime"]
        return calendar.timegm(created.timetuple()) + created.microsecond // 1000 / 1000

    get_records._homeward = True  # type: ignore[attr-defined]
    DynamoDBStreamsHandler.get_records = get_records


def share_one_key_pair_among_symmetric_keys() -> None:
    """moto gives every KMS key a fresh RSA key pair, which only an asymmetric key can use
    (to sign): a third of the time it takes to deploy the template, whose keys are all
    symmetric. A symmetric key gets one pair made once per process instead; an
    asymmetric key still gets its own."""
    import functools as tools

    from moto.kms import models
    from moto.kms.utils import KeySpec

    if getattr(models.generate_private_key, "_homeward", False):
        return
    own_pair = models.generate_private_key
    unused_pair = tools.cache(lambda: own_pair(KeySpec.RSA_2048))
    asymmetric = {*KeySpec.rsa_key_specs(), *KeySpec.ecc_key_specs()}

    def generate_private_key(key_spec: str):
        return own_pair(key_spec) if key_spec in asymmetric else unused_pair()

    generate_private_key._homeward = True  # type: ignore[attr-defined]
    models.generate_private_key = generate_private_key


def make_transactions_atomic() -> None:
    """Give moto's TransactWriteItems the two properties DynamoDB's has and moto's lacks.

    - Atomic: DynamoDB runs a transaction as one step; moto checks and writes without a
      lock, so two requests racing with one idempotency key could both succeed.
    - Constant cost: moto deep-copies every table a transaction touches, so that it can
      roll back; each report then costs time in proportion to the table and the local run
      slows to a crawl. Checking every condition first and writing only when all hold
      needs no rollback (a transaction names each item once, so the checks cannot see
      each other's writes).
    """
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_homeward", False):
        return
    lock = threading.RLock()

    def transact_write_items(self, transact_items):
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        with lock:
            operations, seen, errors = [], set(), []
            for entry in transact_items:
                if len(entry) > 1:
                    raise TransactWriteSingleOpException
                op_type, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                identity = (op["TableName"], str(sorted(key.items())))
                if identity in seen:
                    raise MultipleTransactionsException()
                seen.add(identity)
                current = self.get_item(op["TableName"], key)
                condition = op.get("ConditionExpression")
                holds = condition is None or get_filter_expression(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                ).expr(current)
                if holds:
                    errors.append((None, None, None))
                else:
                    old = None
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        old = current.to_json()["Attributes"]
                    errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
                operations.append((op_type, op, key))
            if any(code is not None for code, _, _ in errors):
                raise TransactionCanceledException(errors)
            for op_type, op, key in operations:
                names = op.get("ExpressionAttributeNames")
                values = op.get("ExpressionAttributeValues")
                if op_type == "Put":
                    self.put_item(
                        op["TableName"],
                        op["Item"],
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Delete":
                    self.delete_item(op["TableName"], key)
                elif op_type == "Update":
                    self.update_item(
                        op["TableName"],
                        key,
                        update_expression=op["UpdateExpression"],
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )

    transact_write_items._homeward = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items


# Where a local run serves the form unless told otherwise (the settings' public URL too).
LOCAL_ORIGIN = "http://127.0.0.1:8000"


def _client(service: str):
    """A client on the app's own boto3 session, whose service models stay read: moto
    replaces boto3's default session at every start, and each test starts one."""
    from chalicelib import wiring

    return wiring._session().client(service, region_name=REGION)


@functools.cache
def _template(mtime_ns: int) -> tuple[dict, str]:
    """infra/template.yaml parsed once per edit: the tests deploy it into a fresh moto
    for every test, and reading the YAML (twice: here and in moto) took a third of that."""
    from infra.package import load_template

    template = load_template(TEMPLATE)
    return template, json.dumps(template)


def template() -> tuple[dict, str]:
    """The template as a dict (do not change it) and as the JSON moto is given."""
    return _template(TEMPLATE.stat().st_mtime_ns)


def deploy(stage: str = "local", public_origin: str = LOCAL_ORIGIN) -> dict[str, str]:
    """Create the stack from infra/template.yaml; return its outputs."""
    cloudformation = _client("cloudformation")
    name = f"homeward-{stage}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=template()[1],
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": stage},
            {"ParameterKey": "Emulated", "ParameterValue": "true"},
            {"ParameterKey": "PublicOrigin", "ParameterValue": public_origin},
        ],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name} is {stack['StackStatus']}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    configure_uploads_bucket(outputs["UploadsBucketName"], public_origin)
    configure_evidence_bucket(outputs["EvidenceBucketName"])
    return outputs


def configure_evidence_bucket(bucket: str, retention_days: int = 1) -> None:
    """Give the emulated evidence bucket the template's versioning and Object Lock
    (compliance mode), which moto's CloudFormation does not set; locally for a day."""
    lock = template()[0]["Resources"]["EvidenceBucket"]["Properties"]["ObjectLockConfiguration"]
    s3 = _client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    mode = lock["Rule"]["DefaultRetention"]["Mode"]
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": lock["ObjectLockEnabled"],
            "Rule": {"DefaultRetention": {"Mode": mode, "Days": retention_days}},
        },
    )


def configure_uploads_bucket(bucket: str, public_origin: str) -> None:
    """Give the emulated bucket the template's versioning, lifecycle rules and CORS.

    moto's CloudFormation creates a bucket with its name, encryption and tags only; the
    rest is set here through the S3 API, from the template itself, so that versions (which
    cases record) behave locally as they do in AWS. moto does not run lifecycle rules.
    """
    properties = template()[0]["Resources"]["UploadsBucket"]["Properties"]
    s3 = _client("s3")
    s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration=properties["VersioningConfiguration"]
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [_lifecycle_rule(r) for r in properties["LifecycleConfiguration"]["Rules"]]
        },
    )
    rules = []
    for rule in properties["CorsConfiguration"]["CorsRules"]:
        origins = [
            public_origin if o == {"Ref": "PublicOrigin"} else o for o in rule["AllowedOrigins"]
        ]
        rules.append(
            {"AllowedMethods": rule["AllowedMethods"], "AllowedOrigins": origins}
            | ({"MaxAgeSeconds": rule["MaxAge"]} if "MaxAge" in rule else {})
        )
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})


def _lifecycle_rule(rule: dict) -> dict:
    """A lifecycle rule as CloudFormation spells it, as the S3 API does."""
    api: dict = {"ID": rule["Id"], "Status": rule["Status"]}
    api["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "ExpiredObjectDeleteMarker" in rule:
        api["Expiration"] = {"ExpiredObjectDeleteMarker": rule["ExpiredObjectDeleteMarker"]}
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


def configure_app(outputs: dict[str, str], stage: str = "local", **overrides: str) -> None:
    """Point the app's settings at the deployed resources (as the Lambda environment does)."""
    from chalicelib import wiring
    from infra.local import outbox

    os.environ.update(
        {
            "HOMEWARD_STAGE": stage,
            "HOMEWARD_TABLE": outputs["TableName"],
            "HOMEWARD_AUDIT_TABLE": outputs["AuditTableName"],
            "HOMEWARD_DELIVERY_QUEUE_URL": outputs["DeliveryQueueUrl"],
            "HOMEWARD_WEBHOOK_QUEUE_URL": outputs["WebhookQueueUrl"],
            "HOMEWARD_TELEGRAM_QUEUE_URL": outputs["TelegramQueueUrl"],
            "HOMEWARD_ALERT_SENDER": ALERT_SENDER,
            # The private bucket for the report form's photos and documents.
            "HOMEWARD_UPLOADS_BUCKET": outputs["UploadsBucketName"],
            "HOMEWARD_EVIDENCE_BUCKET": outputs["EvidenceBucketName"],
            "HOMEWARD_FIELDS_KEY": outputs["FieldsKeyArn"],
            **overrides,
        }
    )
    wiring.reset()
    outbox.install()
    wiring.local_staff = demo_staff() if stage == "local" else None
    # No TSA is reachable from here: a stand-in signs real RFC 3161 tokens.
    from infra.local import tsa

    wiring.local_tsa = tsa.authority()


def demo_staff(path: Path = DEMO_STAFF) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as rows:
        return [dict(row) for row in csv.DictReader(rows)]


@contextlib.contextmanager
def in_process(stage: str = "local", *, seed_contacts: bool = True, **settings: str):
    """The whole stack in an in-process moto, for tests and benches; yields the outputs."""
    from moto import mock_aws

    set_aws_environment()
    os.environ.pop("AWS_ENDPOINT_URL", None)
    make_transactions_atomic()
    read_json_templates_as_json()
    answer_stream_reads_as_json()
    share_one_key_pair_among_symmetric_keys()
    with mock_aws():
        outputs = deploy(stage)
        configure_app(outputs, "local", **settings)
        if seed_contacts:
            seed()
        yield outputs


def read_directory(contacts_file: Path = DEMO_CONTACTS, rules_file: Path = DEMO_RULES):
    """A directory from a contacts CSV and a rules JSON; refuses one with any problem."""
    from chalicelib.domain.contacts import read_contact_list
    from chalicelib.domain.routing import Directory, RoutingRule

    contacts, errors = read_contact_list(contacts_file.read_text(encoding="utf-8"))
    if errors:
        raise ValueError("; ".join(map(str, errors)))
    rules = [RoutingRule.model_validate(r) for r in json.loads(rules_file.read_text())["rules"]]
    directory = Directory(tuple(contacts), tuple(rules))
    problems = directory.problems()
    if problems:
        raise ValueError("; ".join(sorted(problems)))
    return directory


def seed(contacts_file: Path = DEMO_CONTACTS, rules_file: Path = DEMO_RULES) -> int:
    """Load the directory (contacts, routing rules) and verify the alert sender, as an
    operator would; refuses a directory in which an alert could reach nobody."""

    from chalicelib import wiring

    directory = read_directory(contacts_file, rules_file)
    stores = wiring.stores()
    uow = stores.unit_of_work()
    stores.directory.change(
        uow, stores.directory.read().version, contacts=directory.contacts, rules=directory.rules
    )
    uow.commit()
    _client("ses").verify_email_identity(EmailAddress=ALERT_SENDER)
    # The demo staff are colleagues from the start, as if each had signed in once.
    from chalicelib.domain.staff import StaffMember
    from chalicelib.services import colleagues

    for person in demo_staff():
        staff = StaffMember(
            person["subject"], person["role"], person["agency"], person["name"], person["email"]
        )
        colleagues.record(staff, stores=stores)
    return len(directory.contacts)
