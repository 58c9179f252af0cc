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

It then checks what it built (`check_package`): every native library in deployment.zip
must load on the Lambda runtime (README, "Deploying"), and the build fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
LOCAL_STAGE = "local"
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
RETENTION_INDEX = {"Fn::Sub": "${CasesTable.Arn}/index/by_retention"}
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
UPLOADS_BUCKET = {"Fn::GetAtt": ["UploadsBucket", "Arn"]}
UPLOADS = {"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"}
CASE_FILES = {"Fn::Sub": "${UploadsBucket.Arn}/cases/*"}
SES_IDENTITIES = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
}
EMAIL = _statement("Email", ["ses:SendEmail"], [SES_IDENTITIES])
SIGNING_KEY = _statement("SigningKey", ["secretsmanager:GetSecretValue"], [{"Ref": "SigningKey"}])
FIELDS_KEY = {"Fn::GetAtt": ["FieldsKey", "Arn"]}
# Sealing a report's sensitive fields needs a new data key; opening them needs Decrypt,
# which only the functions that show them get (chalicelib/adapters/sealing.py).
SEAL_FIELDS = _statement("SealFields", ["kms:GenerateDataKey"], [FIELDS_KEY])
OPEN_FIELDS = _statement("OpenFields", ["kms:Decrypt"], [FIELDS_KEY])

# What each function may do, and nothing more.
POLICIES: dict[str, list[dict[str, Any]]] = {
    "ApiHandlerRole": [
        LOGS,
        SIGNING_KEY,
        SEAL_FIELDS,
        # The staff API shows cases' sealed fields (until the public routes have a
        # function of their own, it shares this role).
        OPEN_FIELDS,
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
        # Coordinators remove contacts and routing rules.
        {
            **_statement("DirectoryRemovals", ["dynamodb:DeleteItem"], [TABLE]),
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["DIRECTORY"]}},
        },
        # A reporter's withdrawal and a coordinator's erasure of a person delete what was
        # derived from a case (services/erasure.py): its candidate pairs (in the cases'
        # partitions), blocking keys, the reporters' index, mandates. Never statistics,
        # idempotency keys, rates or the directory.
        {
            **_statement("Erasure", ["dynamodb:DeleteItem"], [TABLE]),
            "Condition": {
                "ForAllValues:StringLike": {
                    "dynamodb:LeadingKeys": ["CASE#*", "MATCHKEY#*", "REPORTER#*", "MANDATE#*"]
                }
            },
        },
        # The audit trail is append-only: put and query, never update or delete.
        _statement("Audit", ["dynamodb:PutItem", "dynamodb:Query"], [AUDIT]),
        # A coordinator's retry of an undelivered alert.
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
        # The report form's files. Presigned POSTs are signed with PutObject; submit reads
        # each file back by version (HeadObject needs GetObject), copies it to its case
        # (GetObjectVersion on the source) and deletes the slot's versions, or a refused
        # file's, for good (DeleteObjectVersion: a plain delete would leave them readable).
        _statement(
            "FormUploads",
            ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"],
            [UPLOADS],
        ),
        # A case's copies: written once if absent (PutObject for CopyObject, GetObject to
        # find an earlier attempt's copy), and the copies of attempts that lost removed.
        _statement(
            "CaseFiles",
            ["s3:PutObject", "s3:GetObject", "s3:DeleteObjectVersion"],
            [CASE_FILES],
        ),
        # Listing versions finds what to remove. ListBucket also makes a missing key a
        # 404 rather than a 403, which is how a file that never arrived is told apart.
        _statement("ListFiles", ["s3:ListBucket", "s3:ListBucketVersions"], [UPLOADS_BUCKET]),
    ],
    "DispatchAlertsRole": [
        LOGS,
        SIGNING_KEY,
        READ_STREAM,
        # The directory; the deliveries, and the mandate of the agencies an alert reached
        # (one transaction); a first alert's time to be acknowledged, from its rules; the
        # case's consent as it now is (GetItem: a reporter may have withdrawn it).
        _statement(
            "Route",
            ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"],
            [TABLE],
        ),
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
        STREAM_ON_FAILURE,
    ],
    "FindMatchesRole": [
        LOGS,
        SIGNING_KEY,
        READ_STREAM,
        # Blocking-key lookups, candidate reports, and the pairs found; the new case's
        # consent as it now is (GetItem: withdrawn since, it is not matched).
        _statement(
            "Candidates",
            ["dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:GetItem"],
            [TABLE],
        ),
        STREAM_ON_FAILURE,
    ],
    "SendDeliveriesRole": [
        LOGS,
        SIGNING_KEY,
        # An e-mail may carry the child's medical needs and distinguishing marks.
        OPEN_FIELDS,
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
    # The retention schedule anonymises cases (services/retention.py). It opens nothing
    # sealed (a sealed group is erased by removing it): no KMS at all.
    "AnonymiseExpiredRole": [
        LOGS,
        SIGNING_KEY,
        # The due cases (the retention index), then each case's partition.
        _statement("Due", ["dynamodb:Query"], [RETENTION_INDEX, TABLE]),
        # The case item rewritten, its audit entry beside it.
        _statement("Anonymise", ["dynamodb:UpdateItem"], [TABLE]),
        {
            **_statement("Derived", ["dynamodb:DeleteItem"], [TABLE]),
            "Condition": {
                "ForAllValues:StringLike": {
                    "dynamodb:LeadingKeys": ["CASE#*", "MATCHKEY#*", "REPORTER#*"]
                }
            },
        },
        _statement("Audit", ["dynamodb:PutItem"], [AUDIT]),
        # Every version of the case's files (a plain delete would leave them readable).
        _statement("CaseFiles", ["s3:DeleteObjectVersion"], [CASE_FILES]),
        _statement("ListFiles", ["s3:ListBucketVersions"], [UPLOADS_BUCKET]),
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
    "HOMEWARD_FIELDS_KEY": {"Fn::GetAtt": ["FieldsKey", "Arn"]},
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
        "AnonymiseExpired",
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


# Chalice deploys the Python it runs on. Lambda's python3.11 runtime is Amazon Linux 2:
# glibc 2.26 and gcc 7's libstdc++; python3.12 is Amazon Linux 2023: glibc 2.34, gcc 11.
# A native library that asks for a newer symbol version fails to import there, which no
# test on this host can notice (README, "Deploying").
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
RUNTIME_VERSIONS = {
    "python3.11": {"GLIBC": (2, 26), "GLIBCXX": (3, 4, 24), "CXXABI": (1, 3, 11)},
    "python3.12": {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13)},
}[RUNTIME]
_SYMBOL_VERSION = re.compile(r"\b(GLIBCXX|GLIBC|CXXABI)_([0-9]+(?:\.[0-9]+)+)\b")
# PEP 600 names for the legacy manylinux tags.
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _platform_glibc(platform: str) -> tuple[int, ...] | None:
    """The glibc a wheel's platform tag promises to need at most; None if it promises nothing."""
    legacy = platform.split("_", 1)[0]
    if legacy in _LEGACY_MANYLINUX:
        return _LEGACY_MANYLINUX[legacy]
    match = re.fullmatch(r"manylinux_([0-9]+)_([0-9]+)_\w+", platform)
    return (int(match[1]), int(match[2])) if match else None


def _wheel_problems(name: str, wheel: str) -> list[str]:
    """A platform wheel must carry a manylinux tag the runtime satisfies. A wheel that
    Chalice built from an sdist on this host is tagged linux_x86_64 and is refused."""
    fields = [line.partition(":") for line in wheel.splitlines()]
    if any(key == "Root-Is-Purelib" and value.strip() == "true" for key, _, value in fields):
        return []
    platforms = {value.strip().rsplit("-", 1)[-1] for key, _, value in fields if key == "Tag"}
    if platforms and all(p == "any" for p in platforms):
        return []
    runtime = RUNTIME_VERSIONS["GLIBC"]
    if any((glibc := _platform_glibc(p)) is not None and glibc <= runtime for p in platforms):
        return []
    return [f"{name}: wheel tagged {', '.join(sorted(platforms))} (built here, or too new)"]


def _library_problems(name: str, path: Path) -> list[str]:
    """Symbol versions a shared library needs beyond what the runtime provides."""
    dump = subprocess.run(
        ["objdump", "-T", str(path)], check=True, capture_output=True, text=True
    ).stdout
    needed: dict[str, tuple[int, ...]] = {}
    for line in dump.splitlines():
        if "*UND*" not in line:  # only what the library imports, not what it defines
            continue
        for family, version in _SYMBOL_VERSION.findall(line):
            needed[family] = max(needed.get(family, ()), _version(version))
    return [
        f"{name}: needs {family}_{'.'.join(map(str, version))}, "
        f"{RUNTIME} has {family}_{'.'.join(map(str, RUNTIME_VERSIONS[family]))}"
        for family, version in sorted(needed.items())
        if version > RUNTIME_VERSIONS[family]
    ]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _distributions(names: list[str]) -> set[str]:
    """The distributions whose NAME-VERSION.dist-info/ directories are among names."""
    return {
        _normalized(name.split("/")[0].removesuffix(".dist-info").rsplit("-", 1)[0])
        for name in names
        if ".dist-info/" in name
    }


def check_package(deployment: Path) -> list[str]:
    """What in deployment.zip would not work on the Lambda runtime (empty when all is well):
    native libraries needing a newer glibc/libstdc++, wheels built from source, and
    requirements Chalice could not package (it only warns about those)."""
    if not shutil.which("objdump"):
        raise RuntimeError("objdump (Debian's binutils) is needed to check native libraries")
    problems: list[str] = []
    with zipfile.ZipFile(deployment) as archive, tempfile.TemporaryDirectory() as scratch:
        names = archive.namelist()
        for name in names:
            if name.endswith(".dist-info/WHEEL"):
                problems += _wheel_problems(name, archive.read(name).decode())
            elif re.search(r"\.so(\.[0-9]+)*$", name):
                problems += _library_problems(name, Path(archive.extract(name, scratch)))
        packaged = _distributions(names)
    for requirement in (ROOT / "requirements.txt").read_text().splitlines():
        if requirement and not requirement.startswith("#"):
            wanted = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
            if _normalized(wanted) not in packaged:
                problems.append(f"{wanted}: not in the package (Chalice could not build it)")
    return problems


def sizes(deployment: Path) -> tuple[int, int]:
    """deployment.zip's size, zipped and unzipped (Lambda's limit is 250 MB unzipped)."""
    with zipfile.ZipFile(deployment) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    return deployment.stat().st_size, unzipped


def build(stage: str, out: Path) -> Path:
    """Run `chalice package` with the merged template; return deployment.zip's path."""
    merge = ROOT / "build" / f"merge-{stage}.json"
    merge.parent.mkdir(parents=True, exist_ok=True)
    merge.write_text(json.dumps(merge_template(stage), indent=2))
    subprocess.run(
        [
            str(Path(sys.executable).with_name("chalice")),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge),
            str(out),
        ],
        cwd=ROOT,
        check=True,
        # Staff routes get API Gateway's Cognito authorizer (chalicelib/web/staff.py).
        env={**os.environ, "HOMEWARD_COGNITO_AUTHORIZER": "1"},
    )
    return out / "deployment.zip"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.stage == LOCAL_STAGE:
        # The local stage trusts a development key and shows /dev/outbox: never in AWS.
        parser.error("the local stage is for `make run` on one machine; package dev or prod")
    deployment = build(args.stage, args.out or ROOT / "build" / "package" / args.stage)
    zipped, unzipped = sizes(deployment)
    print(f"{deployment}: {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped")
    problems = check_package(deployment)
    for problem in problems:
        print(f"will not run on Lambda's {RUNTIME}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
