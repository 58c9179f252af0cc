"""What ships: requirements.txt derived from pyproject.toml, and the merged CloudFormation."""

import json
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from rehearsal import ARTIFACTS, PARAMETERS, REGION, for_moto, lint_errors

from infra import package, requirements


def test_requirements_txt_is_derived_from_pyproject():
    assert (requirements.ROOT / "requirements.txt").read_text() == requirements.render()
    assert "boto3" not in requirements.render()  # the Lambda runtime provides it


def _chalice_names():
    import app

    names = {"APIHandler"}
    for source in app.app.event_sources:
        names.add("".join(part.capitalize() for part in source.name.split("_")))
    return names


def test_every_function_chalice_builds_gets_its_environment_policy_and_sources():
    merged = package.merge_template("dev")["Resources"]
    functions = _chalice_names()
    assert functions == {
        "APIHandler",
        "DispatchAlerts",
        "FollowUpNewItems",
        "SendDeliveries",
        "RequeueStaleDeliveries",
        "EscalateUnacknowledged",
        "SendDailyDigest",
        "AnchorCustody",
        "SendImportDigests",
        "SendWebhooks",
        "AnonymiseExpired",
        "RecordDeliveryEvents",
        "AlertOverdueFollowUps",
        "RecordSmsReplies",
        "HandleTelegramUpdates",
        "TidyTelegramChats",
    }
    for function in functions:
        assert "HOMEWARD_TABLE" in merged[function]["Properties"]["Environment"]["Variables"]
        role = "ApiHandlerRole" if function == "APIHandler" else f"{function}Role"
        assert merged[role]["Properties"]["Policies"]


def test_stream_and_queue_sources_report_partial_failures_and_park_poison():
    merged = package.merge_template("dev")["Resources"]
    for function, kinds in (
        ("DispatchAlerts", ["alert"]),
        ("FollowUpNewItems", ["case", "webhook", "withdrawal"]),
    ):
        (source,) = merged[function]["Properties"]["Events"].values()
        properties = source["Properties"]
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert properties["MaximumRetryAttempts"] == package.STREAM_RETRIES
        assert properties["BisectBatchOnFunctionError"] is True
        assert "OnFailure" in properties["DestinationConfig"]
        pattern = json.loads(properties["FilterCriteria"]["Filters"][0]["Pattern"])
        assert pattern["dynamodb"]["NewImage"]["kind"]["S"] == kinds
    for function, queue_name in (
        ("SendDeliveries", "DeliveryQueue"),
        ("SendWebhooks", "WebhookQueue"),
    ):
        (queue,) = merged[function]["Properties"]["Events"].values()
        assert queue["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert queue["Properties"]["Queue"] == {"Fn::GetAtt": [queue_name, "Arn"]}


def test_the_case_tables_stream_has_at_most_two_readers_the_dispatcher_one(transformed):
    """DynamoDB Streams throttle above two readers per shard: the alert dispatcher reads
    it alone, and one function follows up everything else."""
    stream = {"Fn::GetAtt": ["CasesTable", "StreamArn"]}
    resources = transformed["Resources"]
    readers = sorted(
        r["Properties"]["FunctionName"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == stream
    )
    assert readers == ["DispatchAlerts", "FollowUpNewItems"]
    assert not [r for r in resources.values() if r["Type"] == "AWS::Pipes::Pipe"]


def test_the_follow_up_reader_may_do_what_the_three_it_replaces_did():
    role = package.POLICIES["FollowUpNewItemsRole"]
    sids = [s["Sid"] for s in role]
    assert len(sids) == len(set(sids))
    actions = {a for s in role for a in s["Action"]}
    # matching (BatchGetItem), withdrawals (DeleteItem of derived items, the audit trail),
    # webhooks (their queue), and the stream with its on-failure queue
    assert {"dynamodb:BatchGetItem", "dynamodb:DeleteItem", "sqs:SendMessage"} <= actions
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator"} <= actions
    assert not {"kms:Decrypt", "ses:SendEmail", "sns:Publish"} & actions
    for name in ("FindMatchesRole", "CarryOutWithdrawalsRole", "QueueWebhooksRole"):
        assert name not in package.POLICIES


def test_the_audit_table_can_only_be_appended_to_and_read():
    merged = package.merge_template("dev")["Resources"]
    audit = {"Fn::GetAtt": ["AuditTable", "Arn"]}
    allowed = set()
    for role, statements in package.POLICIES.items():
        for statement in statements:
            if audit in statement["Resource"]:
                assert statement["Resource"] == [audit], role
                allowed |= set(statement["Action"])
    assert allowed == {"dynamodb:PutItem", "dynamodb:Query"}
    protected = {"Fn::If": ["Protects", True, False]}
    assert merged["AuditTable"]["Properties"]["DeletionProtectionEnabled"] == protected


def test_delivery_attempts_match_the_queues_redrive_policy():
    from chalicelib.services.delivery import MAX_ATTEMPTS

    template = package.load_template()
    redrive = template["Resources"]["DeliveryQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == MAX_ATTEMPTS


def test_webhook_attempts_fit_the_queues_redrive_policy_and_visibility():
    from chalicelib.domain.webhooks import MAX_ATTEMPTS, backoff_seconds

    queue = package.load_template()["Resources"]["WebhookQueue"]["Properties"]
    # Parked in the table after its last attempt; the queue's dead letters take only a
    # message whose sender crashed more often than that.
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_ATTEMPTS + 2
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]
    }
    waited = sum(backoff_seconds(n, jitter=1.2) for n in range(1, MAX_ATTEMPTS))
    assert waited < 12 * 3600  # SQS's longest visibility, from the first receive


def test_operators_are_paged_when_alerting_itself_is_in_trouble():
    merged = package.merge_template("dev")["Resources"]
    alarms = {name: r for name, r in merged.items() if r.get("Type") == "AWS::CloudWatch::Alarm"}
    watched = {
        (a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms.values()
        if a["Properties"]["Dimensions"]
    }
    for queue in ("DeliveryDeadLetterQueue", "StreamFailureQueue", "WebhookDeadLetterQueue"):
        assert any(m == "ApproximateNumberOfMessagesVisible" and queue in v for m, v in watched), (
            queue
        )
    for function in ("DispatchAlerts", "SendDeliveries", "EscalateUnacknowledged"):
        assert ("Errors", json.dumps({"Ref": function})) in watched, function
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OperatorsTopic"}]


def test_staff_sign_in_is_the_code_flow_with_pkce_and_mfa_on_a_public_client():
    from chalicelib.cli.signin import callback_url

    merged = package.merge_template("dev")["Resources"]
    client = merged["StaffUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False  # PKCE, not a secret, protects the code
    assert client["AllowedOAuthFlows"] == ["code"]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert client["CallbackURLs"][1] == callback_url() == "http://127.0.0.1:47615/callback"
    assert "/staff/callback" in json.dumps(client["CallbackURLs"][0])
    pool = merged["StaffUserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert merged["StaffSignIn"]["Properties"]["UserPoolId"] == {"Ref": "StaffUserPool"}


def test_the_deployed_template_has_no_emulation_switch():
    merged = package.merge_template("dev")
    assert "Emulated" not in merged["Parameters"]
    assert "InAws" not in merged.get("Conditions", {})
    # Only what the operator chooses is optional: the DNS record (HostedZoneId) and the
    # operators' e-mail subscription (OperatorsEmail).
    conditional = {
        name: r["Condition"] for name, r in merged["Resources"].items() if "Condition" in r
    }
    assert conditional == {
        "ApiDomainRecord": "ManagesDns",
        "OperatorsEmailSubscription": "HasOperatorsEmail",
    }
    # The local runner still deploys the switch, to leave out what moto cannot create.
    template = package.load_template()
    assert template["Parameters"]["Emulated"]["Default"] == "false"
    assert template["Resources"]["SigningKey"]["Condition"] == "InAws"


# -- What `make package` really builds ---------------------------------------------------
#
# Checked on Chalice's own output, not only on merge_template(): the merge happens inside
# `chalice package`, and what it makes of our template (and of app.py's event sources) is
# what CloudFormation gets. One build (tests/infra/conftest.py) serves every test below.

# Lambda's limit is 50 MB zipped for a direct upload; ours is tighter, for cold starts.
# Measured at 20.4 MB (`make package`, after issue 23): Pillow and its bundled codecs
# (pillow.libs 5.2 MB, PIL 1.7 MB, for re-encoding uploads without their metadata),
# cryptography 4.9, rapidfuzz 3.2, pydantic-core 2.2, the rest under 0.6 each; no tests,
# caches or second copies of a library in it. A new dependency that grows it past this
# is a decision to make here, not a surprise in a deploy. Issue 27 made it: rfc3161-client
# (2.4 MB, with its own Rust build of the ASN.1 and PKCS#7 code) for the custody chains'
# daily RFC 3161 anchor, measured at 22.8 MB in all. Homeward's own code is 0.7 MB of it
# and grows with every feature (issue 27's statements and evidence pages took it past 23.0):
# half a megabyte of headroom for that, still far less than any new library.
MAX_ZIPPED = 23_500_000


def test_the_package_lints_clean_and_has_no_placeholder_or_emulation_left(sam_template):
    assert lint_errors(sam_template) == []
    text = json.dumps(sam_template)
    # app.py's placeholders are all replaced by the merge with the template's resources.
    import app

    for placeholder in (app.CASES_STREAM, app.DELIVERY_QUEUE, app.WEBHOOK_QUEUE):
        assert placeholder not in text
    assert "Emulated" not in sam_template["Parameters"]
    assert "InAws" not in text
    # Each source is the template's resource alone: an intrinsic merged with Chalice's
    # would keep both keys, which CloudFormation refuses.
    resources = sam_template["Resources"]
    (queue,) = resources["SendDeliveries"]["Properties"]["Events"].values()
    assert queue["Properties"]["Queue"] == package.QUEUE
    for function in ("DispatchAlerts", "FollowUpNewItems"):
        (stream,) = resources[function]["Properties"]["Events"].values()
        assert stream["Properties"]["Stream"] == {"Fn::GetAtt": ["CasesTable", "StreamArn"]}


def test_the_sam_transform_succeeds_and_its_output_lints_clean(transformed):
    assert lint_errors(transformed) == []
    types = {r["Type"] for r in transformed["Resources"].values()}
    assert not [t for t in types if t.startswith("AWS::Serverless::")]
    runtimes = {
        (r["Properties"]["Runtime"], *r["Properties"]["Architectures"])
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    # Lambda's python3.11 is deprecated on 2027-06-30; python3.13 is supported until 2029.
    assert runtimes == {("python3.13", "x86_64")}


def test_the_package_is_built_for_python313_on_amazon_linux_2023(built, sam_template):
    """Every function (Chalice's and the public one) on python3.13, and the package's
    native libraries built for that Python and checked against AL2023's glibc 2.34."""
    functions = {
        name: r["Properties"]["Runtime"]
        for name, r in sam_template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert len(functions) >= 10 and "PublicHandler" in functions
    assert set(functions.values()) == {"python3.13"}
    assert package.RUNTIME_VERSIONS["GLIBC"] == (2, 34)
    with zipfile.ZipFile(built / "deployment.zip") as archive:
        extensions = [n for n in archive.namelist() if re.search(r"\.cpython-\d+", n)]
        wheels = [n for n in archive.namelist() if n.endswith(".dist-info/WHEEL")]
        tags = "".join(archive.read(n).decode() for n in wheels)
    assert extensions and all(".cpython-313-" in n for n in extensions)
    # abi3 wheels (cryptography's cp311-abi3) load on any later CPython; no other 3.11 build
    assert "cp311-cp311" not in tags and "cp313-cp313" in tags


def test_every_native_library_in_the_package_loads_on_the_lambda_runtime(built):
    deployment = built / "deployment.zip"
    with zipfile.ZipFile(deployment) as archive:
        libraries = [n for n in archive.namelist() if ".so" in n.rsplit("/", 1)[-1]]
    # the checks below looked at something: rapidfuzz, pydantic-core, cryptography...
    assert any(n.startswith("rapidfuzz/") for n in libraries)
    assert any(n.startswith("pydantic_core/") for n in libraries)
    assert package.check_package(deployment) == []
    zipped, _ = package.sizes(deployment)
    assert zipped <= MAX_ZIPPED


LIBSTDCXX = Path("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")


def test_the_native_library_check_refuses_what_was_built_on_this_host(tmp_path):
    if not LIBSTDCXX.exists():
        pytest.skip(f"no host library to check against ({LIBSTDCXX})")
    deployment = tmp_path / "deployment.zip"
    with zipfile.ZipFile(deployment, "w") as archive:
        # what Chalice packages when it compiles an sdist here: a linux_x86_64 wheel
        # whose libraries need this host's glibc
        archive.write(LIBSTDCXX, "fuzzy/_native.cpython-311-x86_64-linux-gnu.so")
        archive.writestr(
            "fuzzy-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
        )
        archive.writestr(
            "wide-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
            "Tag: cp313-cp313-manylinux_2_35_x86_64\nTag: cp313-cp313-manylinux_2_39_x86_64\n",
        )
        # rapidfuzz 3.14's tags: too new for Amazon Linux 2 (glibc 2.26), fine on 2023 (2.34)
        archive.writestr(
            "recent-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n"
            "Tag: cp313-cp313-manylinux_2_27_x86_64\nTag: cp313-cp313-manylinux_2_28_x86_64\n",
        )
        archive.writestr(
            "old-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-abi3-manylinux2014_x86_64\n",
        )
        archive.writestr(
            "pure-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
    problems = package.check_package(deployment)
    assert any(p.startswith("fuzzy/_native") and "GLIBC_2." in p for p in problems)
    assert any(p.startswith("fuzzy-1.0.dist-info") and "linux_x86_64" in p for p in problems)
    assert any(p.startswith("wide-1.0.dist-info") for p in problems)
    assert not any(p.startswith(("old-", "pure-", "recent-")) for p in problems)
    # and requirements.txt's packages are all missing from this one
    assert any(p.startswith("rapidfuzz: not in the package") for p in problems)


def test_the_transformed_template_deploys_into_moto(built, transformed):
    import boto3
    from moto import mock_aws

    from infra.local import emulator

    emulator.read_json_templates_as_json()  # moto would read the JSON as YAML: seconds
    template, skipped = for_moto(transformed)
    resources = template["Resources"]
    warnings.warn(f"deploy rehearsal leaves out what moto cannot create: {skipped}", stacklevel=1)

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.upload_file(str(built / "deployment.zip"), ARTIFACTS, "deployment.zip")
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(
            StackName="homeward-dev",
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        (stack,) = cloudformation.describe_stacks(StackName="homeward-dev")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        summaries = cloudformation.list_stack_resources(StackName="homeward-dev")[
            "StackResourceSummaries"
        ]
        # moto lists a resource its condition left out once, without a name.
        created = {r["LogicalResourceId"]: r["ResourceStatus"] for r in summaries}
        created.pop("", None)
        # No hosted zone and no operators' e-mail were given (PARAMETERS): neither the DNS
        # record nor the subscription is created.
        expected = {name for name, r in resources.items() if "Condition" not in r}
        assert created == dict.fromkeys(expected, "CREATE_COMPLETE")
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        assert set(outputs) >= set(package.load_template()["Outputs"]) | {"EndpointURL"}
        assert outputs["TableName"] == "homeward-dev-cases"

        # Every function runs the package on the runtime, with the template's resources.
        lambda_ = boto3.client("lambda", region_name=REGION)
        functions = lambda_.list_functions()["Functions"]
        # Chalice's sixteen, the public routes' own and the Telegram webhook's.
        assert len(functions) == 18
        for function in functions:
            assert function["Runtime"] == package.RUNTIME
            variables = function["Environment"]["Variables"]
            assert variables["HOMEWARD_TABLE"] == outputs["TableName"]
            assert variables["HOMEWARD_DELIVERY_QUEUE_URL"] == outputs["DeliveryQueueUrl"]
            # The stage's own address: acknowledgement links in alerts point there.
            assert variables["HOMEWARD_PUBLIC_URL"] == f"https://{PARAMETERS['DomainName']}"
            assert variables["HOMEWARD_SIGN_IN_URL"] == outputs["StaffSignInUrl"]
        assert outputs["FormUrl"] == f"https://{PARAMETERS['DomainName']}/"
        assert outputs["StaffSignInUrl"] == (
            f"https://{PARAMETERS['SignInDomainPrefix']}.auth.{REGION}.amazoncognito.com"
        )

        # The event sources read the template's stream and queue, not app.py's placeholders.
        def sources(function):
            return lambda_.list_event_source_mappings(FunctionName=physical[function])[
                "EventSourceMappings"
            ]

        (queue,) = sources("SendDeliveries")
        assert queue["EventSourceArn"] == outputs["DeliveryQueueArn"]
        assert queue["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        (queue,) = sources("SendWebhooks")
        assert queue["EventSourceArn"] == outputs["WebhookQueueArn"]
        for function in ("DispatchAlerts", "FollowUpNewItems"):
            (source,) = sources(function)
            assert source["EventSourceArn"] == outputs["TableStreamArn"]
            assert (
                source["DestinationConfig"]["OnFailure"]["Destination"]
                == (outputs["StreamFailureQueueArn"])
            )


def test_the_local_stage_is_never_packaged_nor_started_in_lambda():
    """The local stage trusts development tokens and shows /dev/outbox."""
    from chalicelib import config

    with pytest.raises(SystemExit):
        package.main(["--stage", "local"])
    with pytest.raises(RuntimeError):
        config.load({"HOMEWARD_STAGE": "local", "AWS_LAMBDA_FUNCTION_NAME": "homeward-api"})
    assert config.load({"HOMEWARD_STAGE": "local"}).is_local


def test_the_uploads_bucket_keeps_uploads_briefly_and_takes_posts_from_homeward_only():
    import datetime as dt

    from chalicelib.domain import form_keys

    local, deployed = package.load_template(), package.merge_template("dev")
    origin = local["Parameters"]["PublicOrigin"]
    assert re.match(origin["AllowedPattern"], origin["Default"])
    # Deployed, the origin is the stage's own (its domain, or PublicUrl's host): nothing
    # to set, and no placeholder left to forget (tests/infra/test_deploy.py uploads).
    assert "PublicOrigin" not in deployed["Parameters"]
    for template, origins in (
        (local, [{"Ref": "PublicOrigin"}]),
        (deployed, [package.PUBLIC_ORIGIN]),
    ):
        bucket = template["Resources"]["UploadsBucket"]["Properties"]
        assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
        (cors,) = bucket["CorsConfiguration"]["CorsRules"]
        assert cors["AllowedOrigins"] == origins
        assert cors["AllowedMethods"] == ["POST"]
        assert "*" not in json.dumps(cors)

        rules = bucket["LifecycleConfiguration"]["Rules"]
        assert {r["Status"] for r in rules} == {"Enabled"}
        (expire,) = [r for r in rules if "ExpirationInDays" in r and r["Prefix"] == "uploads/"]
        # Uploads outlive the key they were made for: a form sent in its last minute
        # still finds its files.
        assert dt.timedelta(days=expire["ExpirationInDays"]) > form_keys.LIFETIME
        assert expire["ExpirationInDays"] <= 2
        (noncurrent,) = [
            r for r in rules if "NoncurrentVersionExpiration" in r and r["Prefix"] == "uploads/"
        ]
        assert noncurrent["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 1
        assert noncurrent["ExpiredObjectDeleteMarker"] is True
        # Staff exports are gone the next day.
        (exports,) = [r for r in rules if r.get("Prefix") == "exports/"]
        assert exports["ExpirationInDays"] == 1
        # Nothing ever expires what a case keeps.
        for rule in rules:
            if "ExpirationInDays" in rule or "NoncurrentVersionExpiration" in rule:
                assert rule["Prefix"] in ("uploads/", "exports/")


def test_partner_scopes_are_the_resource_servers_own():
    from chalicelib.domain.partners import RESOURCE_SERVER, SCOPES

    server = package.merge_template("dev")["Resources"]["PartnerResourceServer"]["Properties"]
    assert server["Identifier"] == RESOURCE_SERVER
    assert {f"{RESOURCE_SERVER}/{s['ScopeName']}" for s in server["Scopes"]} == set(SCOPES)


def test_without_a_python313_make_package_says_how_to_get_one(tmp_path, monkeypatch):
    import sys

    # Neither python3.13 nor python3 on PATH, and $PYTHON313 a Python of the wrong version.
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYTHON313", sys.executable if sys.version_info[:2] != (3, 13) else "x")
    with pytest.raises(SystemExit) as stopped:
        package.find_python313()
    assert "pyenv install 3.13.0" in str(stopped.value)
    assert "PYTHON313=" in str(stopped.value)


def test_nothing_with_a_fixed_name_outlives_a_failed_creation_and_data_outlives_the_rest():
    """RetainExceptOnCreate: kept when a later update or deletion would remove it, deleted
    when the creation that made it is rolled back (a retry would meet its fixed name)."""
    merged = package.merge_template("dev")
    resources = merged["Resources"]
    policies = {
        name: (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy"))
        for name, r in resources.items()
        if "DeletionPolicy" in r or "UpdateReplacePolicy" in r
    }
    # (UpdateReplacePolicy has no RetainExceptOnCreate: a replacement is never a creation.)
    assert set(policies.values()) == {("RetainExceptOnCreate", "Retain")}
    kept_types = {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
        "AWS::Cognito::UserPool",
        "AWS::Backup::BackupVault",
        "AWS::KMS::Key",
    }
    assert {n for n, r in resources.items() if r.get("Type") in kept_types} == set(policies)
    assert "DeliveryQueue" in policies
    # Deletion protection, which would make the rollback fail, follows a parameter that
    # make deploy turns on once the stage exists (infra/deploy.py, create).
    assert merged["Parameters"]["DeletionProtection"]["Default"] == "true"
    for table in ("CasesTable", "AuditTable"):
        assert resources[table]["Properties"]["DeletionProtectionEnabled"] == {
            "Fn::If": ["Protects", True, False]
        }
    assert resources["StaffUserPool"]["Properties"]["DeletionProtection"] == {
        "Fn::If": ["Protects", "ACTIVE", "INACTIVE"]
    }


def test_the_readmes_clean_up_of_a_failed_first_deploy_names_everything_it_can_leave():
    """Each kind of kept resource has its command in README's clean-up, and each queue its
    name: a new one added without it fails here."""
    readme = (package.ROOT / "README.md").read_text(encoding="utf-8")
    clean_up = readme[readme.index("**A failed first creation that left something**") :]
    clean_up = clean_up[: clean_up.index("### The package and the runtime")]
    commands = {
        "AWS::DynamoDB::Table": "aws dynamodb delete-table",
        "AWS::SQS::Queue": "aws sqs delete-queue",
        "AWS::Logs::LogGroup": "aws logs delete-log-group",
        "AWS::S3::Bucket": "aws s3 rb",
        "AWS::SecretsManager::Secret": "aws secretsmanager delete-secret",
        "AWS::Cognito::UserPool": "aws cognito-idp delete-user-pool",
        "AWS::Backup::BackupVault": "aws backup delete-backup-vault",
        "AWS::KMS::Key": "aws kms schedule-key-deletion",
    }
    resources = package.merge_template("dev")["Resources"]
    kept = {n: r for n, r in resources.items() if r.get("DeletionPolicy")}
    assert {r["Type"] for r in kept.values()} == set(commands)
    for command in commands.values():
        assert command in clean_up, command
    for name, queue in kept.items():
        if queue["Type"] == "AWS::SQS::Queue":
            suffix = queue["Properties"]["QueueName"]["Fn::Sub"].removeprefix("homeward-${Stage}-")
            assert suffix in clean_up.split("for q in", 1)[1].split(";", 1)[0].split(), name
