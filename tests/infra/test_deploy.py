"""`make deploy` end to end against moto: the checks before, the upload, the change set
created and executed in moto's CloudFormation, the outputs, and the smoke test, run
against the local runner standing in for the stage (moto's API Gateway runs no code).

CloudFormation applies the SAM transform itself; moto does not, so the template is
transformed offline and what moto cannot create is left out, exactly as the deploy
rehearsal of tests/infra/test_packaging.py does (tests/rehearsal.py).
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from helpers import local_runner
from rehearsal import PARAMETERS, REGION, for_moto, sam_transform

from infra import deploy

pytestmark = pytest.mark.e2e  # starts the local runner, for the smoke test


def rehearse(template: dict) -> dict:
    return for_moto(sam_transform(template))[0]


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
    execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        execute(self, change_set_name, stack_name)
        # moto 5 creates a change set's resources but keeps the stack's outputs from
        # before it (none, for a new stack); CloudFormation shows the template's.
        for stack in self.stacks.values():
            if stack.name == stack_name:
                stack._parse_template()
                stack.output_map = stack._create_output_map()

    monkeypatch.setattr(CloudFormationBackend, "execute_change_set", execute_change_set)
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
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    given = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert given["DomainName"] == PARAMETERS["DomainName"]
    assert given["Release"] == deploy.release() != ""
    functions = aws.client("lambda").list_functions()["Functions"]
    assert len(functions) == 12  # Chalice's eleven and the public routes' own
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
    assert "SES has not verified homeward.example.org (with DKIM)" in err
    # The smoke test ran against the stage's stand-in, and passed.
    assert f"smoke test of {stand_in}/" in out
    assert out.count("  ok    ") == 6 and "FAIL" not in out

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
