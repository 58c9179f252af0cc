"""`make deploy` end to end against moto: the checks before, the upload, the change set
created and executed in moto's CloudFormation, the outputs, and the smoke test, run
against the local runner standing in for the stage (moto's API Gateway runs no code).

CloudFormation applies the SAM transform itself; moto does not, so the template is
transformed offline and what moto cannot create is left out, exactly as the deploy
rehearsal of tests/infra/test_packaging.py does (tests/rehearsal.py).
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import boto3
import pytest
from helpers import local_runner
from rehearsal import PARAMETERS, REGION, for_moto, sam_transform

from infra import deploy, operations, package
from infra.local import emulator

pytestmark = pytest.mark.e2e  # starts the local runner, for the smoke test


_rehearsed: dict[str, dict] = {}


def rehearse(template: dict) -> dict:
    """The template as moto can create it. Every deploy here hands over the same package
    (the session's build, uploaded under the same key), so the SAM transform runs once."""
    key = json.dumps(template, sort_keys=True)
    if key not in _rehearsed:
        made = for_moto(sam_transform(template))[0]
        # moto 5 updates a resource its condition left out as though it existed (and
        # fails): the DNS record, only made with a hosted zone, which these tests never give.
        del made["Resources"]["ApiDomainRecord"]
        _rehearsed[key] = made
    return copy.deepcopy(_rehearsed[key])


def arguments(*extra: str):
    domain, prefix = PARAMETERS["DomainName"], PARAMETERS["SignInDomainPrefix"]
    return deploy.arguments(
        ["--stage", "dev", "--domain", domain, "--sign-in-prefix", prefix, *extra]
    )


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws
    from moto import settings as moto_settings
    from moto.cloudformation.models import CloudFormationBackend

    # What infra.deploy reads from the environment comes from these tests alone (the app's
    # own tests leave HOMEWARD_ALERT_SENDER set for the local stage).
    for name in ("DOMAIN", "CERTIFICATE_ARN", "SIGN_IN_PREFIX", "HOSTED_ZONE_ID", "ALERT_SENDER"):
        monkeypatch.delenv(f"HOMEWARD_{name}", raising=False)
    monkeypatch.delenv("HOMEWARD_ARTIFACT_BUCKET", raising=False)
    # moto issues a requested certificate after a minute; ACM after its DNS validation.
    monkeypatch.setattr(moto_settings, "ACM_VALIDATION_WAIT", 0)
    # moto reads a template as YAML first, in pure Python: seconds for the packaged one
    # at every change set.
    emulator.read_json_templates_as_json()
    from moto.cloudformation.models import Stack

    execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        (stack,) = [stack for stack in self.stacks.values() if stack.name == stack_name]
        creating = stack.status == "REVIEW_IN_PROGRESS"
        try:
            execute(self, change_set_name, stack_name)
        except Exception as error:
            if not creating:
                raise
            # moto 5 leaves a creation that failed half-way as it stands; CloudFormation
            # rolls it back: it deletes what it made, except what is DeletionPolicy: Retain
            # (RetainExceptOnCreate is deleted on the rollback of its creation), which is
            # what moto's own deletion of a stack keeps.
            stack._add_stack_event("CREATE_FAILED", resource_status_reason=str(error))
            try:
                stack.resource_map.delete()
            except Exception:
                stack.status = "ROLLBACK_FAILED"
            else:
                stack.status = "ROLLBACK_COMPLETE"
            return
        # moto 5 creates a change set's resources but keeps the stack's outputs from
        # before it (none, for a new stack); CloudFormation shows the template's.
        stack._parse_template()
        stack.output_map = stack._create_output_map()

    monkeypatch.setattr(CloudFormationBackend, "execute_change_set", execute_change_set)
    # CloudFormation finds "no changes" in the values a stack would have; moto compares
    # the list of parameters given (UsePreviousValue for all of them is not "the same").
    monkeypatch.setattr(
        Stack,
        "has_parameters",
        lambda self, given: all(self.stack_parameters.get(k) == v for k, v in given.items()),
    )
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        yield session


def certificate(session, domain=PARAMETERS["DomainName"]) -> str:
    return session.client("acm").request_certificate(DomainName=domain)["CertificateArn"]


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory, dev_key):
    log = tmp_path_factory.mktemp("deploy") / "runner.log"
    with local_runner(log, HOMEWARD_DEV_KEY_FILE=str(dev_key)) as (base, _, _):
        yield base


def test_make_deploy_creates_and_executes_its_change_set_then_smoke_tests(
    aws, built, stand_in, capsys
):
    args = arguments("--certificate", certificate(aws), "--smoke-url", stand_in)
    assert deploy.deploy(args, session=aws, built=built, adapt=rehearse) == 0
    out, err = capsys.readouterr()

    # The artifact bucket was made, private, and holds the package and the template.
    s3 = aws.client("s3")
    bucket = "homeward-artifacts-123456789012-eu-central-1"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {k.rsplit("/", 1)[0] for k in keys} == {"dev"} and len(keys) == 2

    # The stack: created from its change set, with the stage's parameters.
    cloudformation = aws.client("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName="homeward-dev")["Stacks"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"  # created, then protected
    given = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert given["DomainName"] == PARAMETERS["DomainName"]
    assert given["Release"] == deploy.release() != ""
    functions = aws.client("lambda").list_functions()["Functions"]
    # Chalice's sixteen (the staff API, two stream readers, since DispatchAlerts and
    # FollowUpNewItems are all DynamoDB Streams allows, and the schedules, queue and topic
    # readers, AlertOverdueFollowUps of the return pathway and RecordSmsReplies among them,
    # the Telegram bot's worker and schedule, the custody chains' daily anchor), the public
    # routes' own and the Telegram webhook's.
    assert len(functions) == 18
    for function in functions:
        code = aws.client("lambda").get_function(FunctionName=function["FunctionName"])
        variables = code["Configuration"]["Environment"]["Variables"]
        assert variables["HOMEWARD_PUBLIC_URL"] == "https://homeward.example.org"
        assert variables["HOMEWARD_ALERT_SENDER"] == "alerts@homeward.example.org"

    # The account's SMS settings: transactional, the stack's spend limit, status logged.
    sms = aws.client("sns").get_sms_attributes()["attributes"]
    assert sms["DefaultSMSType"] == "Transactional"
    assert sms["MonthlySpendLimit"] == "100"
    assert ":role/" in sms["DeliveryStatusIAMRole"]
    assert "SmsDeliveryStatusRole" in sms["DeliveryStatusIAMRole"]

    # What the operator is told: where each thing is, what to do next.
    assert "the form, for the public:       https://homeward.example.org/" in out
    assert "staff use it through:       homeward --url https://homeward.example.org login" in out
    assert "operators' alarms (subscribe):  arn:aws:sns:eu-central-1:" in out
    assert "DNS: point homeward.example.org at" in out
    assert (
        "alerts would reach nobody yet" in err and "homeward bootstrap --stack homeward-dev" in err
    )
    # What would keep alerts from going out is said (moto's SES knows no such domain).
    assert "SES identity: homeward.example.org is not verified (with DKIM)" in err
    # The smoke test ran against the stage's stand-in, and passed.
    assert f"smoke test of {stand_in}/" in out
    smoked = out.split(f"smoke test of {stand_in}/")[1]
    assert smoked.count("  ok    ") == 7 and "FAIL" not in smoked
    assert f"ok    upload: a photo uploaded from {stand_in}" in smoked

    # Deploying the same release again changes nothing, and says so.
    args = arguments("--smoke-url", stand_in, "--no-smoke")
    assert deploy.deploy(args, session=aws, built=built, adapt=rehearse) == 0
    assert "Nothing to change: homeward-dev already runs this release." in capsys.readouterr().out


def test_a_certificate_that_cannot_serve_the_domain_stops_it_before_anything_is_built(
    aws, capsys, monkeypatch
):
    def no_build(stage):
        raise AssertionError("built")

    monkeypatch.setattr(deploy, "build", no_build)
    wrong = certificate(aws, "other.example.org")
    elsewhere = (
        f"arn:aws:acm:us-east-1:123456789012:certificate/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    )
    for arn, said in ((wrong, "not homeward.example.org"), (elsewhere, "must be in eu-central-1")):
        with pytest.raises(deploy.DeployError, match=said):
            deploy.deploy(arguments("--certificate", arn), session=aws)
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_a_new_stage_names_what_it_still_needs(aws):
    with pytest.raises(deploy.DeployError, match="a new stage needs --certificate"):
        deploy.deploy(arguments(), session=aws)
    with pytest.raises(SystemExit):
        deploy.arguments(["--stage", "local"])  # the local stage is never deployed


class RolledBack:
    """CloudFormation as it answers an update that failed and was rolled back (moto 5
    neither fails nor rolls back a change set)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.answers = {
            "describe_change_set": {
                "Status": "CREATE_COMPLETE",
                "Changes": [
                    {"ResourceChange": {"Action": "Modify", "LogicalResourceId": "APIHandler"}},
                    {
                        "ResourceChange": {
                            "Action": "Modify",
                            "LogicalResourceId": "CasesTable",
                            "Replacement": "True",
                        }
                    },
                ],
            },
            "describe_stacks": {"Stacks": [{"StackStatus": "UPDATE_ROLLBACK_COMPLETE"}]},
            "describe_stack_events": {
                "StackEvents": [
                    {
                        "LogicalResourceId": "ApiDomain",
                        "ResourceStatus": "UPDATE_FAILED",
                        "ResourceStatusReason": "The certificate is not valid for this domain",
                        "Timestamp": dt.datetime.now(dt.UTC),
                    }
                ]
            },
        }

    def __getattr__(self, operation):
        def call(**kwargs):
            self.calls.append((operation, kwargs))
            return self.answers.get(operation, {})

        return call

    def get_waiter(self, name):
        from botocore.exceptions import WaiterError

        class Waiter:
            def wait(self, **kwargs):
                if name == "stack_update_complete":
                    raise WaiterError(name, "Waiter encountered a terminal failure state", {})

        return Waiter()


def test_a_failed_update_says_what_failed_and_that_it_was_rolled_back(capsys):
    cloudformation = RolledBack()
    chosen = [{"ParameterKey": "Release", "ParameterValue": "abc123"}]
    with pytest.raises(deploy.DeployError) as failed:
        deploy.apply(cloudformation, "homeward-prod", "https://b/t.json", chosen, new=False)
    said = str(failed.value)
    assert "homeward-prod is UPDATE_ROLLBACK_COMPLETE" in said
    assert "ApiDomain: The certificate is not valid for this domain" in said
    assert "runs what it ran before" in said
    (created,) = [kwargs for op, kwargs in cloudformation.calls if op == "create_change_set"]
    assert created["ChangeSetType"] == "UPDATE"
    assert created["Capabilities"] == [
        "CAPABILITY_IAM",
        "CAPABILITY_NAMED_IAM",
        "CAPABILITY_AUTO_EXPAND",
    ]
    assert "execute_change_set" in [op for op, _ in cloudformation.calls]
    out = capsys.readouterr().out
    assert "CasesTable  REPLACED" in out  # a replaced table is said before it happens


def test_whom_reporters_call_reaches_the_stage_and_a_wrong_number_stops_the_deploy(
    tmp_path, monkeypatch
):
    import json
    from pathlib import Path

    monkeypatch.delenv("HOMEWARD_HELP_LINE_FILE", raising=False)
    certificate = "arn:aws:acm:eu-central-1:111122223333:certificate/0000-1111"
    line = tmp_path / "help-line.json"
    line.write_text(Path(deploy.ROOT, "infra/demo/help-line.json").read_text(encoding="utf-8"))
    chosen = deploy.parameters(
        arguments("--certificate", certificate, "--help-line", str(line)), None
    )
    given = {p["ParameterKey"]: p.get("ParameterValue") for p in chosen}
    assert json.loads(given["HelpLine"])["name"]["uk"].startswith("Гаряча лінія")

    line.write_text('{"phone": "+380 44 12"}', encoding="utf-8")
    with pytest.raises(deploy.DeployError, match=r"--help-line .*not a valid phone number"):
        deploy.parameters(arguments("--certificate", certificate, "--help-line", str(line)), None)


def _stack_parameters(session) -> dict[str, str]:
    (stack,) = session.client("cloudformation").describe_stacks(StackName="homeward-dev")["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def _upload_preflight(session, origin: str) -> tuple[int, str | None]:
    """A browser on `origin` about to post a photo to the stage's bucket: the CORS
    preflight's status and allowed origin, then (when allowed) the presigned POST.

    moto's CloudFormation makes the bucket without its CorsConfiguration; it is put here
    as CloudFormation would: the deployed template's rule (the one make deploy uploaded),
    with the origin moto resolved for the stack (its UploadsOrigin output)."""
    import json

    import requests

    s3 = session.client("s3")
    outputs = deploy.outputs_of(session.client("cloudformation"), "homeward-dev")
    artifacts = "homeward-artifacts-123456789012-eu-central-1"
    listed = s3.list_objects_v2(Bucket=artifacts, Prefix="dev/template-")["Contents"]
    newest = max(listed, key=lambda o: o["LastModified"])["Key"]
    template = json.loads(s3.get_object(Bucket=artifacts, Key=newest)["Body"].read())
    bucket = outputs["UploadsBucketName"]
    rules = []
    for rule in template["Resources"]["UploadsBucket"]["Properties"]["CorsConfiguration"][
        "CorsRules"
    ]:
        assert rule["AllowedOrigins"] == [package.PUBLIC_ORIGIN]
        rules.append(
            {
                "AllowedMethods": rule["AllowedMethods"],
                "AllowedOrigins": [outputs["UploadsOrigin"]],
                "MaxAgeSeconds": rule["MaxAge"],
            }
        )
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    post = s3.generate_presigned_post(
        bucket,
        "uploads/smoke/0",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, 10_000_000]],
    )
    asked = requests.options(
        post["url"], headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    allowed = asked.headers.get("Access-Control-Allow-Origin")
    if asked.status_code == 200 and allowed == origin:
        posted = requests.post(
            post["url"],
            data=post["fields"],
            files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")},
            headers={"Origin": origin},
        )
        assert posted.status_code == 204
        assert s3.head_object(Bucket=bucket, Key="uploads/smoke/0")["ContentType"] == "image/png"
    return asked.status_code, allowed


def test_a_later_deploy_that_changes_only_the_release_keeps_every_parameter(
    aws, built, monkeypatch
):
    monkeypatch.setattr(deploy, "release", lambda: "0123456789ab")
    chosen = {
        "OperatorsEmail": "oncall@nib.example.org",
        "SmsMonthlySpendLimitUsd": "250",
        "SmsSpendAlarmUsd": "120",
        "ReserveConcurrency": "false",
        "LogRetentionDays": "365",
        "SmsFor": "all",
    }
    first = arguments(
        "--certificate",
        certificate(aws),
        "--alert-sender",
        "alerts@nib.example.org",
        "--public-url",
        "https://report.example.org",
        "--no-smoke",
        *[flag for name, value in chosen.items() for flag in ("--parameter", f"{name}={value}")],
    )
    assert deploy.deploy(first, session=aws, built=built, adapt=rehearse) == 0
    before = _stack_parameters(aws)
    assert before.items() >= chosen.items()
    # Photos are uploaded from where the form is (PublicUrl's origin here), and only there.
    assert _upload_preflight(aws, "https://report.example.org") == (
        200,
        "https://report.example.org",
    )
    assert _upload_preflight(aws, "https://homeward.example")[0] == 403
    assert aws.client("sns").get_sms_attributes()["attributes"]["MonthlySpendLimit"] == "250"

    # `make deploy STAGE=dev` alone, a commit later: nothing but the release changes.
    monkeypatch.setattr(deploy, "release", lambda: "ba9876543210")
    aws.client("sns").set_sms_attributes(attributes={"MonthlySpendLimit": "1"})
    later = deploy.arguments(["--stage", "dev", "--no-smoke"])
    assert deploy.deploy(later, session=aws, built=built, adapt=rehearse) == 0
    after = _stack_parameters(aws)
    assert after.pop("Release") == "ba9876543210" and before.pop("Release") == "0123456789ab"
    assert after == before
    # The account's SMS spend limit is the stage's again, not the template's default.
    assert aws.client("sns").get_sms_attributes()["attributes"]["MonthlySpendLimit"] == "250"

    # A parameter given again changes alone; an empty value empties it.
    monkeypatch.setattr(deploy, "release", lambda: "cafe00000000")
    again = deploy.arguments(["--stage", "dev", "--no-smoke", "--parameter", "OperatorsEmail="])
    assert deploy.deploy(again, session=aws, built=built, adapt=rehearse) == 0
    changed = _stack_parameters(aws)
    assert changed["OperatorsEmail"] == ""
    assert changed["SmsMonthlySpendLimitUsd"] == "250" and changed["SmsFor"] == "all"


def test_a_parameter_the_stack_does_not_have_or_would_refuse_stops_it_before_anything(aws):
    certificate_arn = certificate(aws)
    for flag, said in (
        ("OperatorEmail=x@example.org", "OperatorEmail: no such stack parameter"),
        ("ReserveConcurrency=no", "ReserveConcurrency=no: one of true, false"),
        ("SmsMonthlySpendLimitUsd=0", "SmsMonthlySpendLimitUsd=0: at least 1"),
        ("Release=abc", "Release is not a parameter to give"),
        ("OperatorsEmail", "OperatorsEmail: NAME=VALUE"),
    ):
        args = arguments("--certificate", certificate_arn, "--parameter", flag)
        with pytest.raises(deploy.DeployError, match=said):
            deploy.deploy(args, session=aws)
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_every_make_deploy_in_the_readme_is_one_infra_deploy_takes(monkeypatch):
    """What `make deploy STAGE=... VAR=... PARAMS=...` runs parses, and names only the
    stack's parameters (the README once said --parameter-overrides, which it refused)."""
    import re
    import shlex
    import subprocess

    readme = (deploy.ROOT / "README.md").read_text(encoding="utf-8")
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", readme, flags=re.S))
    commands = [
        shlex.split(command.replace("\\\n", " "), comments=True)[2:]
        for command in re.findall(r"make deploy (?:[^\n\\]|\\\n)*", shell)
    ]
    assert len(commands) >= 3 and all(any(a.startswith("STAGE=") for a in c) for c in commands)
    known = package.deployed_parameters()
    for assignments in commands:
        made = subprocess.run(
            ["make", "-n", "--no-print-directory", "deploy", *assignments],
            cwd=deploy.ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        argv = shlex.split(" ".join(made.replace("\\\n", " ").split("-m infra.deploy", 1)[1:]))
        for assignment in assignments:
            name, _, value = assignment.partition("=")
            if name.startswith("HOMEWARD_"):
                monkeypatch.setenv(name, value)
        args = deploy.arguments(argv)
        for pair in args.parameter or []:
            assert pair.partition("=")[0] in known, (assignments, pair)


def _left(session, stage="dev") -> dict[str, list[str]]:
    """Everything named for the stage that is still there."""
    prefix = f"homeward-{stage}-"
    return {
        "tables": [
            t
            for t in session.client("dynamodb").list_tables()["TableNames"]
            if t.startswith(prefix)
        ],
        "queues": session.client("sqs").list_queues(QueueNamePrefix=prefix).get("QueueUrls", []),
        "log groups": [
            g["logGroupName"]
            for g in session.client("logs").describe_log_groups()["logGroups"]
            if f"/{prefix}" in g["logGroupName"]
            or g["logGroupName"].startswith(f"/homeward/{stage}/")
        ],
        "buckets": [
            b["Name"]
            for b in session.client("s3").list_buckets()["Buckets"]
            if b["Name"].startswith(prefix)
        ],
        "functions": [
            f["FunctionName"]
            for f in session.client("lambda").list_functions()["Functions"]
            if f["FunctionName"].startswith(prefix)
        ],
    }


def test_a_first_deploy_that_fails_half_way_leaves_nothing_and_the_retry_succeeds(
    aws, built, monkeypatch, capsys
):
    from moto.awslambda.models import LambdaFunction

    create = LambdaFunction.create_from_cloudformation_json.__func__
    refused = []

    def create_function(cls, name, cloudformation_json, account_id, region_name, **kwargs):
        function = cloudformation_json["Properties"].get("FunctionName")
        if function == "homeward-dev-dispatch-alerts" and not refused:
            refused.append(function)  # what a new account's concurrency quota answers
            raise ValueError(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of [10]."
            )
        return create(cls, name, cloudformation_json, account_id, region_name, **kwargs)

    monkeypatch.setattr(
        LambdaFunction, "create_from_cloudformation_json", classmethod(create_function)
    )
    args = arguments("--certificate", certificate(aws), "--no-smoke")
    with pytest.raises(deploy.DeployError) as failed:
        deploy.deploy(args, session=aws, built=built, adapt=rehearse)
    said = str(failed.value)
    assert "homeward-dev is ROLLBACK_COMPLETE" in said and "UnreservedConcurrentExecution" in said
    assert "Nothing of it was kept" in said
    # Half-way: some of it had been made (the tables, queues, log groups, functions)...
    assert refused
    # ...and the rollback took all of it away: no fixed name blocks the retry.
    assert _left(aws) == {
        "tables": [],
        "queues": [],
        "log groups": [],
        "buckets": [],
        "functions": [],
    }

    # The retry (the cause fixed): the rolled-back stack is deleted, the stage created.
    assert deploy.deploy(args, session=aws, built=built, adapt=rehearse) == 0
    out = capsys.readouterr().out
    assert "failed to be created and was rolled back, keeping nothing: deleting it" in out
    (stack,) = aws.client("cloudformation").describe_stacks(StackName="homeward-dev")["Stacks"]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    left = _left(aws)
    assert left["tables"] == ["homeward-dev-audit", "homeward-dev-cases"]
    # The stage's domain is the origin its bucket takes uploads from.
    origin = "https://homeward.example.org"
    assert _upload_preflight(aws, origin) == (200, origin)
    assert _upload_preflight(aws, "https://elsewhere.example.org")[0] == 403
    assert len(left["functions"]) == 18  # as above (RecordSmsReplies too)
    # Once it exists, a second change set protects the tables and the staff pool (moto 5
    # applies no update to a table: test_packaging checks what the parameter turns on).
    assert "Turning on deletion protection" in out
    assert _stack_parameters(aws)["DeletionProtection"] == "true"


class Account:
    """The session make deploy is given, moto behind it, except for what moto 5 does not
    serve (each raises NotImplementedError there): Lambda's GetAccountSettings, SESv2's
    GetAccount and SNS's GetSMSSandboxAccountStatus, answered here as AWS answers them;
    and, with `verified`, an identity's verification (moto's never completes)."""

    def __init__(
        self, session, *, quota=1000, unreserved=None, production=True, sandbox=False, verified=None
    ):
        self.session = session
        self.region_name = session.region_name
        self.answers = {
            "lambda": {
                "get_account_settings": {
                    "AccountLimit": {
                        "ConcurrentExecutions": quota,
                        "UnreservedConcurrentExecutions": quota
                        if unreserved is None
                        else unreserved,
                    }
                }
            },
            "sesv2": {
                "get_account": {"ProductionAccessEnabled": production},
                **(
                    {}
                    if verified is None
                    else {"get_email_identity": {"VerifiedForSendingStatus": verified}}
                ),
            },
            "sns": {"get_sms_sandbox_account_status": {"IsInSandbox": sandbox}},
        }

    def client(self, name, **kwargs):
        real = self.session.client(name, **kwargs)
        answers = self.answers.get(name, {})

        class Client:
            def __getattr__(self, operation):
                if operation in answers:
                    return lambda **_: answers[operation]
                return getattr(real, operation)

        return Client()


def _preflight(account, *extra, existing=None):
    args = arguments("--certificate", "arn:aws:acm:eu-central-1:123456789012:certificate/0", *extra)
    return deploy.preflight_checks(account, args, deploy.parameters(args, existing), existing)


def test_reserved_concurrency_follows_the_accounts_quota_or_the_operator(aws, capsys):
    def reserve(chosen):
        return {p["ParameterKey"]: p.get("ParameterValue") for p in chosen}["ReserveConcurrency"]

    # A new account's quota (10): the reservations could not be made, so none are.
    assert reserve(_preflight(Account(aws, quota=10))) == "false"
    out, err = capsys.readouterr()
    assert "quota 10: reserving 22 for the alert path would leave -12 unreserved" in out
    assert "--quota-code L-B99A9384 --desired-value 1000" in err
    # A raised quota holds them, with Lambda's 100 left over...
    assert reserve(_preflight(Account(aws, quota=1000))) == "true"
    assert "quota 1000: the alert path reserves 22, 978 stay unreserved" in capsys.readouterr().out
    # ...unless other stacks reserved most of it.
    assert reserve(_preflight(Account(aws, quota=1000, unreserved=110))) == "false"
    # Off when asked, whatever the quota; asked on where it cannot be, it stops.
    assert reserve(_preflight(Account(aws, quota=10), "--no-reserve-concurrency")) == "false"
    capsys.readouterr()
    with pytest.raises(deploy.DeployError, match="stopped before building: quota 10"):
        _preflight(Account(aws, quota=10), "--parameter", "ReserveConcurrency=true")
    assert "STOP  concurrency" in capsys.readouterr().out


def test_an_update_gives_back_the_stages_own_reservations_before_counting(aws):
    functions = aws.client("lambda")
    role = aws.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for name, reserved in operations.RESERVED_CONCURRENCY.items():
        function = f"homeward-dev-{operations._kebab(name)}"
        functions.create_function(
            FunctionName=function,
            Runtime="python3.12",
            Role=role,
            Handler="app.app",
            Code={"ZipFile": b"zip"},
        )
        functions.put_function_concurrency(
            FunctionName=function, ReservedConcurrentExecutions=reserved
        )
    assert deploy.preflight.reserved_now(functions, "dev") == 22
    # 1000, of which this stage holds 22 and others 868: its 22 fit again.
    account = Account(aws, quota=1000, unreserved=110)
    chosen = _preflight(account)
    assert {p["ParameterKey"]: p.get("ParameterValue") for p in chosen}[
        "ReserveConcurrency"
    ] == "true"


def test_the_sandboxes_and_an_unverified_sender_are_said_with_what_to_do(aws, capsys):
    _preflight(Account(aws, production=False, sandbox=True))
    out, err = capsys.readouterr()
    assert "warn  SES: in its sandbox: 200 e-mails a day" in out
    assert "Request production access" in err
    assert "warn  SMS: in its sandbox: verified numbers only" in out
    assert "warn  SES identity: homeward.example.org is not verified" in out
    _preflight(Account(aws, verified=True))
    out, err = capsys.readouterr()
    assert "ok    SES: production access" in out and "ok    SMS: out of the sandbox" in out
    assert "ok    SES identity: homeward.example.org verified" in out
    assert err == ""


def test_a_sign_in_prefix_another_pool_holds_stops_it_before_anything_is_built(aws, capsys):
    cognito = aws.client("cognito-idp")
    other = cognito.create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
    cognito.create_user_pool_domain(Domain=PARAMETERS["SignInDomainPrefix"], UserPoolId=other)
    with pytest.raises(deploy.DeployError, match=f"is taken by user pool {other}: choose another"):
        _preflight(Account(aws))
    # The stage's own pool holding it (a later deployment) is as it should be.
    existing = {
        "Parameters": [],
        "Outputs": [{"OutputKey": "StaffUserPoolId", "OutputValue": other}],
    }
    _preflight(Account(aws), existing=existing)
    assert f"ok    sign-in prefix: {PARAMETERS['SignInDomainPrefix']} is this stage's" in (
        capsys.readouterr().out
    )


def test_a_second_stage_in_the_same_account_stops_before_anything_is_built(aws, capsys):
    cloudformation = aws.client("cloudformation")
    topic = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    cloudformation.create_stack(StackName="homeward-prod", TemplateBody=json.dumps(topic))
    cloudformation.create_stack(StackName="someone-elses", TemplateBody=json.dumps(topic))
    with pytest.raises(deploy.DeployError, match="homeward-prod already in this account"):
        _preflight(Account(aws))
    assert "STOP  account" in capsys.readouterr().out
    cloudformation.delete_stack(StackName="homeward-prod")
    _preflight(Account(aws))
    assert "ok    account: no other stage in this account and region" in capsys.readouterr().out
