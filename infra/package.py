"""Build the deployable CloudFormation: Chalice's functions merged with infra/template.yaml.

    python -m infra.package --stage dev            # -> build/package/dev/{sam.json,deployment.zip}

The merge adds what Chalice cannot express (DESIGN.md, "Known sharp edges"):
- every function's environment points at the template's resources;
- each function gets its own reviewed IAM policy, scoped to those resources (Chalice's
  generator reads only app.py, so `autogen_policy` stays off);
- the stream and queue event sources use the real ARNs, report partial batch failures,
  and the stream has a retry limit, bisection and an on-failure destination;
- the dispatcher only wakes for new alerts (an event filter), not for every write;
- the emulation switch of infra/template.yaml (the `Emulated` parameter, the `InAws`
  condition) is dropped, so what is deployed has no way to leave resources out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
# chalicelib/services/delivery.py sends each delivery at most this many times.
STREAM_RETRIES = 5


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """Read a CloudFormation YAML template, short-form intrinsics (!Ref, !Sub...) included."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", intrinsic)
    return yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass


def _statement(sid: str, actions: list[str], resources: list[Any]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


TABLE = {"Fn::GetAtt": ["CasesTable", "Arn"]}
TABLE_INDEXES = {"Fn::Sub": "${CasesTable.Arn}/index/*"}
AUDIT = {"Fn::GetAtt": ["AuditTable", "Arn"]}
STATE_INDEX = {"Fn::Sub": "${CasesTable.Arn}/index/by_state"}
QUEUE = {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}
LOGS = _statement(
    "Logs",
    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"}],
)
# What every stream reader needs: its records, and somewhere to park what keeps failing.
READ_STREAM = _statement(
    "Stream",
    [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ],
    [{"Fn::GetAtt": ["CasesTable", "StreamArn"]}],
)
STREAM_ON_FAILURE = _statement(
    "OnFailure", ["sqs:SendMessage"], [{"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}]
)
SES_IDENTITIES = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
}
EMAIL = _statement("Email", ["ses:SendEmail"], [SES_IDENTITIES])
SIGNING_KEY = _statement("SigningKey", ["secretsmanager:GetSecretValue"], [{"Ref": "SigningKey"}])

# What each function may do, and nothing more.
POLICIES: dict[str, list[dict[str, Any]]] = {
    "ApiHandlerRole": [
        LOGS,
        SIGNING_KEY,
        # One transaction per report: case, alert, idempotency key, rate-limit counter;
        # staff reads and versioned changes of cases.
        _statement(
            "Cases",
            [
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:ConditionCheckItem",
            ],
            [TABLE, TABLE_INDEXES],
        ),
        # Coordinators remove contacts and routing rules: the only items the API deletes.
        {
            **_statement("DirectoryRemovals", ["dynamodb:DeleteItem"], [TABLE]),
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["DIRECTORY"]}},
        },
        # The audit trail is append-only: put and query, never update or delete.
        _statement("Audit", ["dynamodb:PutItem", "dynamodb:Query"], [AUDIT]),
        # A coordinator's retry of an undelivered alert.
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
        # The report form's files: presigned POSTs are signed with PutObject; submit reads
        # each file back (HeadObject needs GetObject) and deletes one that is refused.
        _statement(
            "FormUploads",
            ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            [{"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"}],
        ),
    ],
    "DispatchAlertsRole": [
        LOGS,
        SIGNING_KEY,
        READ_STREAM,
        # The directory; the deliveries, and the mandate of the agencies an alert reached
        # (one transaction); a first alert's time to be acknowledged, from its rules.
        _statement("Route", ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"], [TABLE]),
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
        STREAM_ON_FAILURE,
    ],
    "FindMatchesRole": [
        LOGS,
        SIGNING_KEY,
        READ_STREAM,
        # Blocking-key lookups, candidate reports, and the pairs found.
        _statement(
            "Candidates", ["dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem"], [TABLE]
        ),
        STREAM_ON_FAILURE,
    ],
    "SendDeliveriesRole": [
        LOGS,
        SIGNING_KEY,
        _statement(
            "Consume",
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            [QUEUE],
        ),
        _statement("Deliveries", ["dynamodb:UpdateItem", "dynamodb:GetItem"], [TABLE]),
        EMAIL,
        # SMS goes to phone numbers, which have no ARN: Publish cannot be scoped further.
        _statement("Sms", ["sns:Publish"], ["*"]),
    ],
    "EscalateUnacknowledgedRole": [
        LOGS,
        SIGNING_KEY,
        _statement("Waiting", ["dynamodb:Query"], [STATE_INDEX]),
        # The routing rules' escalation policies (the directory).
        _statement("Directory", ["dynamodb:Query"], [TABLE]),
        # The escalation's outbox item and the waiting alert, in one transaction.
        _statement("Escalate", ["dynamodb:PutItem", "dynamodb:UpdateItem"], [TABLE]),
    ],
    "SendDailyDigestRole": [
        LOGS,
        SIGNING_KEY,
        _statement("Read", ["dynamodb:Query"], [TABLE, TABLE_INDEXES]),
        _statement("OncePerDay", ["dynamodb:PutItem"], [TABLE]),
        EMAIL,
    ],
    "RequeueStaleDeliveriesRole": [
        LOGS,
        SIGNING_KEY,
        _statement("Stale", ["dynamodb:Query"], [STATE_INDEX]),
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
    ],
}

ENVIRONMENT = {
    "HOMEWARD_TABLE": {"Ref": "CasesTable"},
    "HOMEWARD_DELIVERY_QUEUE_URL": {"Ref": "DeliveryQueue"},
    "HOMEWARD_SIGNING_KEY_SECRET": {"Ref": "SigningKey"},
    "HOMEWARD_AUDIT_TABLE": {"Ref": "AuditTable"},
    "HOMEWARD_TOKEN_ISSUER": {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${StaffUserPool}"
    },
    "HOMEWARD_TOKEN_AUDIENCE": {"Ref": "StaffUserPoolClient"},
    "HOMEWARD_UPLOADS_BUCKET": {"Ref": "UploadsBucket"},
}


def _new(kind: str) -> str:
    """An event filter: only new items of one kind wake the function."""
    return json.dumps({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": [kind]}}}})


def _stream_source(kind: str) -> dict[str, Any]:
    return {
        "Type": "DynamoDB",
        "Properties": {
            "Stream": {"Fn::GetAtt": ["CasesTable", "StreamArn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "MaximumRetryAttempts": STREAM_RETRIES,
            "BisectBatchOnFunctionError": True,
            "DestinationConfig": {
                "OnFailure": {
                    "Type": "SQS",
                    "Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]},
                }
            },
            "FilterCriteria": {"Filters": [{"Pattern": _new(kind)}]},
        },
    }


def _errors_alarm(function: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"homeward-${{Stage}}-{function}-errors"},
            "AlarmDescription": f"{function} failed in the last 5 minutes",
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function}}],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "OperatorsTopic"}],
            "OKActions": [{"Ref": "OperatorsTopic"}],
        },
    }


# What only the emulation needs (infra/local deploys template.yaml with Emulated=true to
# leave out what moto cannot create). The deployed template has no such switch.
EMULATION_PARAMETER = "Emulated"
EMULATION_CONDITION = "InAws"


def strip_emulation(template: dict[str, Any]) -> dict[str, Any]:
    """Drop the emulation switch: every resource it guarded is simply deployed."""
    template["Parameters"].pop(EMULATION_PARAMETER)
    conditions = template.get("Conditions", {})
    conditions.pop(EMULATION_CONDITION)
    if not conditions:
        template.pop("Conditions", None)
    for resource in template["Resources"].values():
        if resource.get("Condition") == EMULATION_CONDITION:
            del resource["Condition"]
    # Anything else still naming the switch (an Fn::If, a condition built on it) would
    # be a dangling reference: refuse rather than deploy a template CloudFormation rejects.
    leftover = json.dumps(template)
    for name in (EMULATION_PARAMETER, EMULATION_CONDITION):
        if f'"{name}"' in leftover:
            raise ValueError(f"infra/template.yaml still refers to {name} beyond what is stripped")
    return template


def merge_template(stage: str) -> dict[str, Any]:
    template = strip_emulation(load_template())
    template["Parameters"]["Stage"]["Default"] = stage
    resources = template["Resources"]
    for role, statements in POLICIES.items():
        resources[role] = {
            "Properties": {
                "Policies": [
                    {
                        "PolicyName": role.removesuffix("Role"),
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                    }
                ]
            }
        }
    functions = (
        "APIHandler",
        "DispatchAlerts",
        "FindMatches",
        "SendDeliveries",
        "RequeueStaleDeliveries",
        "EscalateUnacknowledged",
        "SendDailyDigest",
    )
    for function in functions:
        resources[function] = {"Properties": {"Environment": {"Variables": dict(ENVIRONMENT)}}}
    resources["DispatchAlerts"]["Properties"]["Events"] = {
        "DispatchAlertsDynamodbEventSource": _stream_source("alert")
    }
    resources["FindMatches"]["Properties"]["Events"] = {
        "FindMatchesDynamodbEventSource": _stream_source("case")
    }
    # The staff routes' Cognito authorizer points at the template's user pool.
    resources["RestAPI"] = {
        "Properties": {
            "DefinitionBody": {
                "securityDefinitions": {
                    "StaffPool": {
                        "x-amazon-apigateway-authorizer": {
                            "providerARNs": [{"Fn::GetAtt": ["StaffUserPool", "Arn"]}]
                        }
                    }
                }
            }
        }
    }
    # Functions that alerting depends on page the operators when they fail: a dispatcher
    # or sender that errors, or an escalation schedule that stopped running.
    for function in ("DispatchAlerts", "SendDeliveries", "EscalateUnacknowledged"):
        resources[f"{function}ErrorsAlarm"] = _errors_alarm(function)
    resources["SendDeliveries"]["Properties"]["Events"] = {
        "SendDeliveriesSqsEventSource": {
            "Type": "SQS",
            "Properties": {
                "Queue": QUEUE,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        }
    }
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / "package" / args.stage
    merge = ROOT / "build" / f"merge-{args.stage}.json"
    merge.parent.mkdir(parents=True, exist_ok=True)
    merge.write_text(json.dumps(merge_template(args.stage), indent=2))
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--stage",
            args.stage,
            "--merge-template",
            str(merge),
            str(out),
        ],
        cwd=ROOT,
        check=True,
        # Staff routes get API Gateway's Cognito authorizer (chalicelib/web/staff.py).
        env={**os.environ, "HOMEWARD_COGNITO_AUTHORIZER": "1"},
    )
    size = (out / "deployment.zip").stat().st_size
    print(f"{out / 'deployment.zip'}: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
