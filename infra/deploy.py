"""`make deploy STAGE=…`: a stage of Homeward in AWS, from this checkout, checked after.

    python -m infra.deploy --stage prod --domain homeward.example.org \\
        --certificate arn:aws:acm:eu-central-1:…:certificate/… --sign-in-prefix homeward-prod-staff

(or HOMEWARD_DOMAIN, HOMEWARD_CERTIFICATE_ARN, HOMEWARD_SIGN_IN_PREFIX). Any other stack
parameter: --parameter NAME=VALUE (`make deploy PARAMS="NAME=VALUE ..."`). An update of a
stage keeps every parameter not given again (UsePreviousValue), so `make deploy
STAGE=prod` alone is enough then.

1. Before anything is built, the pre-flight (infra/preflight.py): the certificate must be
   issued for the domain in this region (API Gateway would refuse it well into the
   deployment); the concurrency quota decides ReserveConcurrency on a new stage; the
   sign-in prefix must be free or the stage's; no other stage in the account; and what
   would keep alerts from going out is said (SES and SNS sandboxes, an unverified sender).
2. `infra.package` builds the Lambda package and the merged template, and refuses a
   package that would not run on Lambda.
3. deployment.zip and the template go to an artifact bucket (--bucket or
   HOMEWARD_ARTIFACT_BUCKET; homeward-artifacts-ACCOUNT-REGION by default), created
   private if missing; each under its own content's hash.
4. One CloudFormation change set (CREATE, or UPDATE), its changes listed, then executed;
   the SAM transform needs CAPABILITY_AUTO_EXPAND, the functions' named roles
   CAPABILITY_NAMED_IAM.
   A failed update is rolled back by CloudFormation itself; what failed is printed.
   A new stage is created without deletion protection, which a second change set turns
   on once it exists: a first creation that fails is rolled back whole (every kept
   resource is RetainExceptOnCreate), and the next `make deploy` deletes the rolled-back
   stack and creates it again.
5. The outputs: where the form is, where staff sign in, the operators' topic.
6. `homeward smoke` against the stage's default URL (which works before DNS does) and
   its own domain once that answers. A failed smoke test fails the deployment: roll
   back as README, "Deploying", says.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra import package, preflight

ROOT = package.ROOT
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,20}$")  # infra/template.yaml's Stage
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# The stack parameters a new stage must be given (infra/package.py, PUBLIC_PARAMETERS).
REQUIRED = ("DomainName", "CertificateArn", "SignInDomainPrefix")
# Stack states a deployment may start from (anything *_IN_PROGRESS is another one running).
SETTLED = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
}


class DeployError(Exception):
    """Said to the operator; the deployment stopped there."""


def _say(*lines: str) -> None:
    print(*lines, sep="\n", flush=True)


def _warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr, flush=True)


# -- what is deployed -------------------------------------------------------------------


def release() -> str:
    """The commit being deployed, as the stack's Release output will show it."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return described or "unknown"


def _existing(cloudformation: Any, stack: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    status = found["StackStatus"]
    if status == "REVIEW_IN_PROGRESS":
        return None  # a change set was made but never executed: still a new stack
    if status == "ROLLBACK_COMPLETE":
        # A first creation that failed. CloudFormation deleted all it had made (every
        # resource that would be kept is RetainExceptOnCreate, and deletion protection is
        # only turned on once the stack exists), and such a stack can only be deleted.
        _say(f"{stack} failed to be created and was rolled back, keeping nothing: deleting it")
        cloudformation.delete_stack(StackName=stack)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 180}
        )
        return None
    if status in ("ROLLBACK_FAILED", "DELETE_FAILED"):
        raise DeployError(
            "\n".join(
                [
                    f"{stack} is {status}: its first creation failed and CloudFormation could "
                    "not delete all it had made. Left behind:",
                    *left_behind(cloudformation, stack),
                    "Delete those (README, Deploying: a failed first deployment), then "
                    f"aws cloudformation delete-stack --stack-name {stack} "
                    "--deletion-mode FORCE_DELETE_STACK, and deploy again.",
                ]
            )
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        raise DeployError(
            f"{stack} could not roll back its last update; finish that first (aws "
            f"cloudformation continue-update-rollback --stack-name {stack}; README, Deploying)"
        )
    if status not in SETTLED:
        raise DeployError(f"{stack} is {status}: let it finish first (README, Deploying)")
    return found


# Parameters infra.deploy sets itself, never an operator's --parameter.
OWN = {"Stage": "--stage", "Release": "the commit checked out"}
# The flags (and their environment variables) that name a stack parameter.
FLAGS = {
    "DomainName": "domain",
    "CertificateArn": "certificate",
    "SignInDomainPrefix": "sign_in_prefix",
    "PublicUrl": "public_url",
    "HostedZoneId": "hosted_zone",
    "AlertSender": "alert_sender",
}


def _allowed(name: str, value: str, spec: dict[str, Any]) -> str | None:
    """Why CloudFormation would refuse `value` for the parameter, said before building."""
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return f"{name}={value}: one of " + ", ".join(str(v) for v in spec["AllowedValues"])
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return f"{name}={value}: not of the form {spec['AllowedPattern']}"
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return f"{name}={value}: a number"
        if "MinValue" in spec and number < spec["MinValue"]:
            return f"{name}={value}: at least {spec['MinValue']}"
    if "MaxLength" in spec and len(value) > spec["MaxLength"]:
        return f"{name}: at most {spec['MaxLength']} characters"
    return None


def given_parameters(args: argparse.Namespace) -> dict[str, str]:
    """What this deployment sets: the flags, then every --parameter NAME=VALUE (an empty
    VALUE sets it empty: OperatorsEmail= stops the e-mail subscription)."""
    known = package.deployed_parameters()
    given = {name: getattr(args, flag) for name, flag in FLAGS.items() if getattr(args, flag)}
    if args.help_line:
        given["HelpLine"] = help_line(args.help_line)
    if args.no_reserve_concurrency:
        given["ReserveConcurrency"] = "false"
    problems = []
    for pair in args.parameter or []:
        name, equals, value = pair.partition("=")
        if not equals:
            problems.append(f"{pair}: NAME=VALUE")
        elif name in OWN:
            problems.append(f"{name} is not a parameter to give ({OWN[name]} sets it)")
        elif name not in known:
            problems.append(f"{name}: no such stack parameter")
        else:
            given[name] = value
    problems += [
        why for name, value in given.items() if (why := _allowed(name, value, known[name]))
    ]
    if problems:
        settable = ", ".join(sorted(set(known) - set(OWN)))
        raise DeployError("; ".join(problems) + f" (the stack's parameters: {settable})")
    return given


def left_behind(cloudformation: Any, stack: str) -> list[str]:
    """What a failed first creation could not delete: type, name and why."""
    summaries = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return [
        f"  {r['ResourceType']} {r.get('PhysicalResourceId', r['LogicalResourceId'])}: "
        f"{r.get('ResourceStatusReason', r['ResourceStatus'])}"
        for r in summaries
        if r["ResourceStatus"] in ("DELETE_FAILED", "CREATE_COMPLETE")
    ]


def parameters(args: argparse.Namespace, existing: dict[str, Any] | None) -> list[dict]:
    """The stack's parameters: what was given; on an update, every other one the stack
    has keeps its value (UsePreviousValue), whatever the template's default says. Only a
    parameter new to the template starts at its default."""
    given = given_parameters(args)
    had = {p["ParameterKey"] for p in (existing or {}).get("Parameters", [])}
    missing = [f"--{FLAGS[name].replace('_', '-')}" for name in REQUIRED if name not in given]
    if missing and existing is None:
        raise DeployError(
            "a new stage needs " + ", ".join(missing) + " (or HOMEWARD_DOMAIN, "
            "HOMEWARD_CERTIFICATE_ARN, HOMEWARD_SIGN_IN_PREFIX): README, Deploying"
        )
    chosen = [
        {"ParameterKey": "Stage", "ParameterValue": args.stage},
        {"ParameterKey": "Release", "ParameterValue": release()},
    ]
    for name in package.deployed_parameters():
        if name in OWN:
            continue
        if name in given:
            chosen.append({"ParameterKey": name, "ParameterValue": given[name]})
        elif name in had:
            chosen.append({"ParameterKey": name, "UsePreviousValue": True})
    return chosen


def help_line(path: str | None) -> str | None:
    """The help line file's JSON, compact, once its phone number has been read."""
    if not path:
        return None
    import phonenumbers

    try:
        line = json.loads(Path(path).read_text(encoding="utf-8"))
        if not phonenumbers.is_valid_number(phonenumbers.parse(line["phone"], None)):
            raise ValueError("not a valid phone number")
    except (OSError, ValueError, KeyError, TypeError, phonenumbers.NumberParseException) as e:
        raise DeployError(f"--help-line {path}: {e} (README, Whom to call)") from e
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


# -- before building: what would fail late, or silently -------------------------------


def _value(chosen: list[dict], name: str, existing: dict | None = None) -> str | None:
    """A parameter's value: as chosen now, else as the stack has it."""
    for source in (chosen, (existing or {}).get("Parameters", [])):
        for parameter in source:
            if parameter["ParameterKey"] == name and "ParameterValue" in parameter:
                return parameter["ParameterValue"]
    return None


def _covers(name: str, domain: str) -> bool:
    name, domain = name.lower(), domain.lower()
    return name == domain or (
        name.startswith("*.") and domain.endswith(name[1:]) and domain.count(".") == name.count(".")
    )


def check_certificate(acm: Any, arn: str, domain: str, region: str) -> None:
    from botocore.exceptions import ClientError

    if f":acm:{region}:" not in arn:
        raise DeployError(
            f"the certificate must be in {region}, the stack's region (a regional custom "
            "domain): request or import it there"
        )
    try:
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except ClientError as error:
        raise DeployError(f"the certificate: {error.response['Error']['Code']}") from None
    names = [certificate.get("DomainName", ""), *certificate.get("SubjectAlternativeNames", [])]
    if not any(_covers(name, domain) for name in names):
        raise DeployError(f"the certificate is for {', '.join(sorted(set(names)))}, not {domain}")
    if certificate.get("Status") != "ISSUED":
        raise DeployError(
            f"the certificate is {certificate.get('Status')}: finish its DNS validation first"
        )


def preflight_checks(
    session: Any, args: argparse.Namespace, chosen: list[dict], existing: dict | None
) -> list[dict]:
    """The account checked before anything is built (infra/preflight.py): what is found
    printed, with what to do; what would make the stack fail stops here. Returns `chosen`
    with ReserveConcurrency decided (as given, as the stage had it, or from the quota)."""
    domain = _value(chosen, "DomainName", existing) or ""
    sender = _value(chosen, "AlertSender", existing) or f"alerts@{domain}"
    prefix = _value(chosen, "SignInDomainPrefix", existing) or ""
    own_pool = outputs_from(existing).get("StaffUserPoolId")
    wanted = _value(chosen, "ReserveConcurrency", existing)
    sesv2, sns = session.client("sesv2"), session.client("sns")
    reserve: list[str] = []

    def concurrency() -> preflight.Finding:
        decided, finding = preflight.concurrency(session.client("lambda"), args.stage, wanted)
        reserve.append(decided)
        return finding

    findings = preflight.run(
        [
            ("concurrency", concurrency),
            ("SES", lambda: preflight.ses_account(sesv2)),
            ("SES identity", lambda: preflight.ses_identity(sesv2, sender.rpartition("@")[2])),
            ("SMS", lambda: preflight.sms_sandbox(sns)),
            (
                "sign-in prefix",
                lambda: preflight.sign_in_prefix(session.client("cognito-idp"), prefix, own_pool),
            ),
            (
                "account",
                lambda: preflight.other_stages(
                    session.client("cloudformation"), f"homeward-{args.stage}"
                ),
            ),
        ]
    )
    _say("Pre-flight (README, Deploying):", *(finding.line() for finding in findings))
    for finding in findings:
        if not finding.ok and not finding.fatal:
            _warn(f"{finding.check}: {finding.said}")
    stops = [finding for finding in findings if finding.fatal]
    if stops:
        raise DeployError("stopped before building: " + "; ".join(f.said for f in stops))
    if not reserve:
        return chosen  # the quota could not be read: the parameter stays as it was
    kept = [p for p in chosen if p["ParameterKey"] != "ReserveConcurrency"]
    return [*kept, {"ParameterKey": "ReserveConcurrency", "ParameterValue": reserve[0]}]


def outputs_from(existing: dict | None) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in (existing or {}).get("Outputs", [])}


# -- build and upload -----------------------------------------------------------------------


def build(stage: str) -> Path:
    out = ROOT / "build" / "package" / stage
    deployment = package.build(stage, out)
    problems = package.check_package(deployment)
    if problems:
        raise DeployError("will not run on Lambda: " + "; ".join(problems))
    return out


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise DeployError(
                f"bucket {bucket} is not yours (or not reachable): --bucket"
            ) from None
    _say(f"Creating the artifact bucket {bucket} (private)")
    options = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=bucket, **options)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def upload(s3: Any, bucket: str, key: str, body: bytes) -> str:
    """Put `body` under `key` unless it is there already; its s3:// address."""
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ServerSideEncryption="AES256")
    return f"s3://{bucket}/{key}"


def _hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:20]


def template_for(built: Path, code: str) -> dict[str, Any]:
    """The merged template with every function's code in the bucket (what `aws
    cloudformation package` does to CodeUri)."""
    template = json.loads((built / "sam.json").read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code
    return template


# -- the change set ------------------------------------------------------------------------


def _print_changes(cloudformation: Any, stack: str, name: str) -> None:
    changes = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name).get(
        "Changes", []
    )
    _say(f"{len(changes)} change(s):")
    for change in changes:
        resource = change.get("ResourceChange", {})
        replace = resource.get("Replacement")
        note = (
            "  REPLACED"
            if replace == "True"
            else ("  may be replaced" if replace == "Conditional" else "")
        )
        _say(f"  {resource.get('Action', '?'):7} {resource.get('LogicalResourceId')}{note}")


def _failures(cloudformation: Any, stack: str, since: dt.datetime) -> list[str]:
    events = cloudformation.describe_stack_events(StackName=stack).get("StackEvents", [])
    return [
        f"  {e['LogicalResourceId']}: {e.get('ResourceStatusReason', e['ResourceStatus'])}"
        for e in reversed(events)
        if e["ResourceStatus"].endswith("_FAILED") and e["Timestamp"] >= since
    ]


def apply(
    cloudformation: Any, stack: str, template_url: str, chosen: list[dict], *, new: bool
) -> bool:
    """Create and execute the change set; False when there was nothing to change."""
    from botocore.exceptions import ClientError, WaiterError

    name = f"{stack}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    try:
        cloudformation.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            ChangeSetType="CREATE" if new else "UPDATE",
            TemplateURL=template_url,
            Parameters=chosen,
            Capabilities=CAPABILITIES,
            Description=f"homeward {_value(chosen, 'Release')}",
        )
    except ClientError as error:
        if "No updates are to be performed" in str(error):
            return False
        raise
    try:
        cloudformation.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except WaiterError:
        found = cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
        reason = found.get("StatusReason", "")
        if "didn't contain changes" in reason or "No updates" in reason:
            cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
            return False
        raise DeployError(f"CloudFormation refused the change set: {reason}") from None
    _print_changes(cloudformation, stack, name)
    _say(f"Executing {name}; CloudFormation rolls it back by itself if it fails.")
    cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
    waiter = "stack_create_complete" if new else "stack_update_complete"
    try:
        cloudformation.get_waiter(waiter).wait(
            StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 360}
        )
    except WaiterError:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        failed = _failures(cloudformation, stack, started)
        after = (
            "Nothing of it was kept: fix the cause and deploy again (make deploy deletes "
            "the rolled-back stack first)."
            if new
            else "The stage runs what it ran before (README, Deploying: rollback)."
        )
        raise DeployError(
            "\n".join([f"the deployment failed: {stack} is {found['StackStatus']}", *failed, after])
        ) from None
    return True


PROTECTION = "DeletionProtection"  # infra/template.yaml


def create(cloudformation: Any, stack: str, template_url: str, chosen: list[dict]) -> None:
    """A new stage: created without deletion protection, so that a creation that fails is
    rolled back whole (a protected table cannot be deleted, and its fixed name would make
    every retry fail); then, once it exists, a second change set protects the tables and
    the staff pool, unless DeletionProtection=false was given."""
    wanted = _value(chosen, PROTECTION) or "true"
    unprotected = [p for p in chosen if p["ParameterKey"] != PROTECTION]
    apply(
        cloudformation,
        stack,
        template_url,
        [*unprotected, {"ParameterKey": PROTECTION, "ParameterValue": "false"}],
        new=True,
    )
    if wanted == "true":
        _say("Turning on deletion protection (the case and audit tables, the staff pool).")
        kept = [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True} for p in unprotected]
        protected = [*kept, {"ParameterKey": PROTECTION, "ParameterValue": "true"}]
        apply(cloudformation, stack, template_url, protected, new=False)


# -- after ----------------------------------------------------------------------------------


def sms_attributes(outputs: dict[str, str]) -> dict[str, str]:
    """The account's SMS settings the stage needs (SNS keeps them per account and region,
    not in CloudFormation): transactional by default, the stack's monthly spend limit,
    and every message's delivery status logged with the stack's role."""
    return {
        "DefaultSMSType": "Transactional",
        "MonthlySpendLimit": outputs["SmsMonthlySpendLimitUsd"],
        "DeliveryStatusIAMRole": outputs["SmsDeliveryStatusRoleArn"],
        "DeliveryStatusSuccessSamplingRate": "100",
    }


def set_sms_attributes(sns: Any, outputs: dict[str, str]) -> None:
    from botocore.exceptions import ClientError

    try:
        sns.set_sms_attributes(attributes=sms_attributes(outputs))
    except ClientError as error:
        # A limit above the account's SMS quota is refused: AWS raises the quota on request.
        code = error.response.get("Error", {}).get("Code")
        _warn(f"SMS settings not set ({code}): ask AWS to raise the SMS spend quota (README)")
    else:
        _say(
            f"SMS: transactional, at most {outputs['SmsMonthlySpendLimitUsd']} USD a month, "
            "delivery status logged"
        )


def outputs_of(cloudformation: Any, stack: str) -> dict[str, str]:
    (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def _resolves(url: str) -> bool:
    try:
        socket.getaddrinfo(urllib.parse.urlsplit(url).hostname or "", 443)
    except OSError:
        return False
    return True


def report(outputs: dict[str, str], stack: str, hosted_zone: bool) -> None:
    form = outputs.get("FormUrl", "")
    domain = urllib.parse.urlsplit(form).hostname
    _say(
        f"\n{stack} is deployed (release {outputs.get('Release', '?')}).",
        f"  the form, for the public:       {form}",
        f"  the same, before DNS answers:   {outputs.get('EndpointURL', '?')}",
        f"  staff sign in (managed login):  {outputs.get('StaffSignInUrl', '?')}",
        f"      staff use it through:       homeward --url {form.rstrip('/')} login",
        f"  operators' alarms (subscribe):  {outputs.get('OperatorsTopicArn', '?')}",
    )
    if not hosted_zone:
        _say(f"  DNS: point {domain} at {outputs.get('DomainTarget', '?')} (CNAME)")


def check_directory(session: Any, outputs: dict[str, str], stack: str) -> None:
    """Say so when alerts would reach nobody: an empty directory before `bootstrap`."""
    from chalicelib import wiring

    stores = wiring.dynamo_stores(
        session.client("dynamodb"),
        table=outputs["TableName"],
        audit_table=outputs["AuditTableName"],
        cursor_key=b"deploy: reads no case list",
    )
    problems = stores.directory.read().problems()
    if problems:
        _warn(
            "alerts would reach nobody yet ("
            + "; ".join(sorted(problems))
            + f"). Before the form is public: homeward bootstrap --stack {stack} … (README)"
        )


def smoke_targets(outputs: dict[str, str], given: str | None) -> list[str]:
    if given:
        return [given]
    targets = [outputs["EndpointURL"]]
    form = outputs.get("FormUrl")
    if form and _resolves(form):
        targets.append(form)
    elif form:
        host = urllib.parse.urlsplit(form).hostname
        _warn(f"{host} does not resolve yet: the smoke test is of the default URL only")
    return targets


# -- the command ----------------------------------------------------------------------------


def deploy(
    args: argparse.Namespace,
    *,
    session: Any = None,
    built: Path | None = None,
    adapt: Callable[[dict], dict] = lambda template: template,
) -> int:
    """The whole deployment. `built`: a package already built (tests); `adapt`: what to
    do to the template before CloudFormation sees it (the tests' offline SAM transform)."""
    import boto3

    from chalicelib.cli.smoke import smoke

    session = session or boto3.session.Session(region_name=args.region)
    region = session.region_name
    stack = f"homeward-{args.stage}"
    cloudformation = session.client("cloudformation")
    existing = _existing(cloudformation, stack)
    chosen = parameters(args, existing)
    domain = _value(chosen, "DomainName", existing) or ""
    certificate = _value(chosen, "CertificateArn", existing)
    if certificate:
        check_certificate(session.client("acm"), certificate, domain, region)
    chosen = preflight_checks(session, args, chosen, existing)
    if release().endswith("-dirty"):
        _warn("uncommitted changes are deployed: this release cannot be deployed again from git")

    built = built or build(args.stage)
    account = session.client("sts").get_caller_identity()["Account"]
    bucket = args.bucket or f"homeward-artifacts-{account}-{region}"
    s3 = session.client("s3")
    ensure_bucket(s3, bucket, region)
    code = (built / "deployment.zip").read_bytes()
    code_uri = upload(s3, bucket, f"{args.stage}/{_hash(code)}.zip", code)
    template = adapt(template_for(built, code_uri))
    body = json.dumps(template, sort_keys=True).encode()
    key = f"{args.stage}/template-{_hash(body)}.json"
    upload(s3, bucket, key, body)
    _say(f"Uploaded the package and the template to s3://{bucket}/{args.stage}/")

    template_url = f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
    if existing is None:
        create(cloudformation, stack, template_url, chosen)
    elif not apply(cloudformation, stack, template_url, chosen, new=False):
        _say(f"Nothing to change: {stack} already runs this release.")
    outputs = outputs_of(cloudformation, stack)
    set_sms_attributes(session.client("sns"), outputs)
    report(outputs, stack, bool(_value(chosen, "HostedZoneId", existing)))
    check_directory(session, outputs, stack)
    if args.no_smoke:
        return 0
    # Uploads come from where people open the form, whichever address is checked (a
    # stand-in for the stage, --smoke-url, has its own origin).
    origin = None if args.smoke_url else outputs.get("UploadsOrigin")
    targets = smoke_targets(outputs, args.smoke_url)
    passed = all([smoke(target, origin=origin) for target in targets])
    if not passed:
        _warn("the smoke test failed: see above, and roll back as README, Deploying, says")
    return 0 if passed else 1


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m infra.deploy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stage", required=True, help="dev, prod…: the stack is homeward-STAGE")
    parser.add_argument(
        "--region",
        default=env("AWS_DEFAULT_REGION") or env("AWS_REGION") or "eu-central-1",
        help="the stage's region (AWS_DEFAULT_REGION; eu-central-1 if unset)",
    )
    parser.add_argument("--domain", default=env("HOMEWARD_DOMAIN"), help="homeward.example.org")
    parser.add_argument(
        "--certificate",
        default=env("HOMEWARD_CERTIFICATE_ARN"),
        help="its ACM certificate, in --region",
    )
    parser.add_argument(
        "--sign-in-prefix",
        default=env("HOMEWARD_SIGN_IN_PREFIX"),
        help="staff sign in at PREFIX.auth.REGION.amazoncognito.com",
    )
    parser.add_argument(
        "--hosted-zone",
        default=env("HOMEWARD_HOSTED_ZONE_ID"),
        help="the domain's Route 53 zone: its DNS record is made too",
    )
    parser.add_argument("--public-url", help="where people open the stage, if not https://DOMAIN")
    parser.add_argument(
        "--alert-sender",
        default=env("HOMEWARD_ALERT_SENDER"),
        help="alerts' From address (default alerts@DOMAIN)",
    )
    parser.add_argument(
        "--help-line",
        default=env("HOMEWARD_HELP_LINE_FILE"),
        help="a JSON file: whom reporters can call (infra/demo/help-line.json's shape)",
    )
    parser.add_argument(
        "--bucket",
        default=env("HOMEWARD_ARTIFACT_BUCKET"),
        help="the artifact bucket (created if missing)",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        metavar="NAME=VALUE",
        help="any stack parameter (OperatorsEmail=oncall@..., SmsMonthlySpendLimitUsd=300, "
        "ReserveConcurrency=false...), again for each; `make deploy PARAMS='A=1 B=2'`. "
        "On a later deployment every parameter not given keeps the stage's value",
    )
    parser.add_argument(
        "--no-reserve-concurrency",
        action="store_true",
        help="reserve no concurrency for the alert path (ReserveConcurrency=false); by "
        "default a new stage reserves it when the account's quota holds it",
    )
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke test")
    parser.add_argument("--smoke-url", help=argparse.SUPPRESS)  # a stand-in for the stage (tests)
    args = parser.parse_args(argv)
    if not STAGE_PATTERN.match(args.stage) or args.stage == package.LOCAL_STAGE:
        parser.error("--stage: a name like dev or prod (the local stage is never deployed)")
    return args


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = arguments(argv)
    try:
        return deploy(args)
    except DeployError as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"deploy: AWS refused: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
