"""The embedded AWS: infra/template.yaml deployed into moto, and the app pointed at it.

Used by the local runner (`make run`) and by the tests, so that both run Homeward on
the same resources as a deployment does.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
TEMPLATE = INFRA / "template.yaml"
DEMO_CONTACTS = INFRA / "contacts.example.json"
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


def make_transactions_atomic() -> None:
    """DynamoDB runs a transaction atomically; moto checks and writes without a lock.

    Two requests racing with one idempotency key must behave as on AWS, so the emulator
    gets the lock the real service has in effect.
    """
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_homeward_atomic", False):
        return
    lock = threading.Lock()

    @functools.wraps(original)
    def atomic(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    atomic._homeward_atomic = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = atomic


def deploy(stage: str = "local") -> dict[str, str]:
    """Create the stack from infra/template.yaml; return its outputs."""
    import boto3

    cloudformation = boto3.client("cloudformation", region_name=REGION)
    name = f"homeward-{stage}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": stage},
            {"ParameterKey": "Emulated", "ParameterValue": "true"},
        ],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name} is {stack['StackStatus']}")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def configure_app(outputs: dict[str, str], stage: str = "local", **overrides: str) -> None:
    """Point the app's settings at the deployed resources (as the Lambda environment does)."""
    from chalicelib import wiring

    os.environ.update(
        {
            "HOMEWARD_STAGE": stage,
            "HOMEWARD_TABLE": outputs["TableName"],
            "HOMEWARD_DELIVERY_QUEUE_URL": outputs["DeliveryQueueUrl"],
            "HOMEWARD_ALERT_SENDER": ALERT_SENDER,
            **overrides,
        }
    )
    wiring.reset()


def seed(contacts_file: Path = DEMO_CONTACTS) -> int:
    """Load the contact directory and verify the alert sender, as an operator would."""
    import boto3

    from chalicelib import wiring
    from chalicelib.domain.contacts import Contact

    data = json.loads(contacts_file.read_text())
    contacts = [Contact.model_validate(c) for c in data["contacts"]]
    wiring.repository().put_contacts(contacts)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=ALERT_SENDER)
    return len(contacts)
