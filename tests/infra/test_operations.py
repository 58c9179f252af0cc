"""What operators rely on, read from the template `make package` really builds (the
session's `sam_template`, and `transformed`: what CloudFormation makes of it): alarms that
page the operators' topic, the edge (WAF, throttling, reserved concurrency), logs, keys,
and what survives a stack deletion. Each test fails if the template regresses."""

from __future__ import annotations

import json

import pytest

from infra import costs, operations, package

TOPIC = {"Ref": "OperatorsTopic"}
STREAM_READERS = ("DispatchAlerts", "FollowUpNewItems")


def _of_type(template: dict, kind: str) -> dict[str, dict]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


def _functions(transformed: dict) -> dict[str, dict]:
    return _of_type(transformed, "AWS::Lambda::Function")


@pytest.fixture(scope="module")
def alarms(sam_template):
    return {
        name: r["Properties"]
        for name, r in _of_type(sam_template, "AWS::CloudWatch::Alarm").items()
    }


def _watching(alarms: dict, metric: str, function: str) -> list[dict]:
    dimension = [{"Name": "FunctionName", "Value": {"Ref": function}}]
    return [
        a for a in alarms.values() if a["MetricName"] == metric and a["Dimensions"] == dimension
    ]


def test_every_alarm_pages_the_operators_topic_when_it_fires_and_when_it_clears(alarms):
    # errors per function, iterator age per stream reader, and seven more
    assert len(alarms) >= len(operations.FUNCTIONS) + len(STREAM_READERS) + 7
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [TOPIC], name
        assert alarm["OKActions"] == [TOPIC], name
        assert alarm["TreatMissingData"] in ("notBreaching", "breaching"), name
    # The cost estimate prices as many alarms as there are.
    assert len(alarms) == costs.ALARMS


def test_each_function_has_exactly_one_errors_alarm(alarms, transformed):
    functions = set(_functions(transformed))
    assert functions == set(operations.FUNCTIONS)
    for function in functions:
        (alarm,) = _watching(alarms, "Errors", function)
        assert alarm["Namespace"] == "AWS/Lambda"
        assert alarm["Statistic"] == "Sum"
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        # No invocations is not an error: a quiet night must not page anyone.
        assert alarm["TreatMissingData"] == "notBreaching"


def test_each_stream_reader_pages_when_it_falls_behind_the_stream(alarms, sam_template):
    readers = {
        name
        for name, r in _of_type(sam_template, "AWS::Serverless::Function").items()
        if any(e["Type"] == "DynamoDB" for e in r["Properties"].get("Events", {}).values())
    }
    assert readers == set(STREAM_READERS)
    for function in readers:
        (alarm,) = _watching(alarms, "IteratorAge", function)
        assert alarm["Statistic"] == "Maximum"
        assert alarm["Threshold"] <= 60_000  # milliseconds: a minute behind
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_a_stopped_escalation_schedule_pages_because_missing_data_breaches(alarms):
    (alarm,) = _watching(alarms, "Invocations", "EscalateUnacknowledged")
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
    # A schedule that stopped sends no data at all: only "breaching" can see that.
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["Period"] * alarm["EvaluationPeriods"] <= 15 * 60


def test_api_errors_sms_spend_and_failed_deliveries_page_someone(alarms, transformed):
    by_metric = {a["MetricName"]: a for a in alarms.values()}
    api = by_metric["5XXError"]
    (rest_api,) = _of_type(transformed, "AWS::ApiGateway::RestApi").values()
    (stage,) = _of_type(transformed, "AWS::ApiGateway::Stage").values()
    # The dimensions name the API and stage that really exist, or the alarm never fires;
    # the API's name is the stage's own, so one stage's alarm never counts another's 5xx.
    assert rest_api["Properties"]["Name"] == rest_api["Properties"]["Body"]["info"]["title"]
    assert api["Dimensions"] == [
        {"Name": "ApiName", "Value": rest_api["Properties"]["Name"]},
        {"Name": "Stage", "Value": stage["Properties"]["StageName"]},
    ]
    assert api["Dimensions"][0]["Value"] == {"Fn::Sub": "homeward-${Stage}"}
    # A regional API behind the regional custom domain (no CloudFront hop), and its stage
    # (after the API) waits for the account's logging role its access log needs.
    assert rest_api["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert "ApiGatewayAccount" in rest_api["DependsOn"]
    sms = by_metric["SMSMonthToDateSpentUSD"]
    assert sms["Namespace"] == "AWS/SNS"
    assert sms["Threshold"] == {"Ref": "SmsSpendAlarmUsd"}
    failed = by_metric["DeliveriesFailed"]
    assert failed["Namespace"] == operations.METRICS_NAMESPACE
    assert failed["Dimensions"] == [{"Name": "Stage", "Value": {"Ref": "Stage"}}]
    assert (failed["ComparisonOperator"], failed["Threshold"]) == ("GreaterThanThreshold", 0)
    for queue in ("DeliveryDeadLetterQueue", "StreamFailureQueue"):
        (parked,) = [
            a
            for a in alarms.values()
            if a["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and a["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}
        ]
        assert parked["Threshold"] == 0


def test_the_budget_and_the_operators_email_reach_the_operators_topic(sam_template):
    resources = sam_template["Resources"]
    budget = resources["MonthlyBudget"]["Properties"]
    assert budget["Budget"]["BudgetLimit"]["Amount"] == {"Ref": "MonthlyBudgetUsd"}
    for notification in budget["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": TOPIC}]
    subscription = resources["OperatorsEmailSubscription"]
    assert subscription["Condition"] == "HasOperatorsEmail"
    assert subscription["Properties"]["TopicArn"] == TOPIC
    (statement,) = resources["OperatorsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert set(statement["Principal"]["Service"]) == {
        "budgets.amazonaws.com",
        "cloudwatch.amazonaws.com",
    }


def test_the_web_acl_is_associated_with_the_stage_that_exists(transformed):
    (stage_name,) = _of_type(transformed, "AWS::ApiGateway::Stage")
    stage = transformed["Resources"][stage_name]["Properties"]
    (association,) = _of_type(transformed, "AWS::WAFv2::WebACLAssociation").values()
    assert stage_name in association["DependsOn"]
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn.endswith(f"/restapis/${{RestAPI}}/stages/{stage['StageName']}")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}
    acl = transformed["Resources"]["EdgeWebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL"
    rules = {r["Name"]: r for r in acl["Rules"]}
    rate = rules["RatePerAddress"]["Statement"]["RateBasedStatement"]
    assert rate == {"Limit": operations.WAF_RATE_LIMIT, "AggregateKeyType": "IP"}
    assert rules["RatePerAddress"]["Action"] == {"Block": {}}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(rules)
    # Sampled requests would keep what people typed in WAF's console.
    assert all(not r["VisibilityConfig"]["SampledRequestsEnabled"] for r in acl["Rules"])


def test_the_stage_throttles_everything_and_the_public_intake_harder(transformed):
    (stage,) = _of_type(transformed, "AWS::ApiGateway::Stage").values()
    settings = {
        (m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]
    }
    everything = settings[("/*", "*")]
    assert everything["ThrottlingRateLimit"] > 0 and everything["ThrottlingBurstLimit"] > 0
    for route in (("/~1api~1v1~1reports", "POST"), ("/report", "POST")):
        assert settings[route]["ThrottlingRateLimit"] < everything["ThrottlingRateLimit"]
        assert settings[route]["ThrottlingBurstLimit"] < everything["ThrottlingBurstLimit"]
    # Detailed (per-method, charged) metrics on the public intake alone.
    detailed = {route for route, m in settings.items() if m.get("MetricsEnabled")}
    assert detailed == {
        ("/~1api~1v1~1reports", "POST"),
        ("/report", "POST"),
        ("/report~1uploads", "POST"),
    }
    access = stage["Properties"]["AccessLogSetting"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    # No client address, user agent or query string in the API's access log.
    for leak in ("identity.sourceIp", "identity.userAgent", "caller", "requestOverride"):
        assert leak not in access["Format"]
    json.loads(access["Format"])  # one JSON object a line


def test_the_alert_path_has_reserved_concurrency_and_the_sender_a_ceiling(transformed):
    functions = _functions(transformed)
    for function in ("DispatchAlerts", "SendDeliveries", "EscalateUnacknowledged"):
        reserved = functions[function]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved["Fn::If"][0] == "ReservesConcurrency"
        assert reserved["Fn::If"][1] >= 1
    # The public routes get none: a flood on them cannot take the alert path's room.
    assert "ReservedConcurrentExecutions" not in functions["PublicHandler"]["Properties"]
    (mapping,) = [
        m["Properties"]
        for m in _of_type(transformed, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "SendDeliveries"}
    ]
    maximum = mapping["ScalingConfig"]["MaximumConcurrency"]
    assert (
        2
        <= maximum
        <= functions["SendDeliveries"]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1]
    )


def test_every_function_has_its_own_expiring_encrypted_log_group_made_before_it(transformed):
    resources = transformed["Resources"]
    groups = _of_type(transformed, "AWS::Logs::LogGroup")
    for name, function in _functions(transformed).items():
        function_name = function["Properties"]["FunctionName"]["Fn::Sub"]
        (group,) = [
            g
            for g in groups.values()
            if g["Properties"]["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{function_name}"}
        ]
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert f"{name}LogGroup" in resources[name]["DependsOn"]
    for group in groups.values():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}


def test_the_delivery_queue_outlasts_six_sender_timeouts(transformed):
    timeout = _functions(transformed)["SendDeliveries"]["Properties"]["Timeout"]
    queue = transformed["Resources"]["DeliveryQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_the_daily_anchor_has_the_time_to_read_every_case_with_evidence(transformed):
    """One query per case: 20,000 cases at DynamoDB's few milliseconds each is well past
    the 30 s of the other functions."""
    functions = _functions(transformed)
    assert functions["AnchorCustody"]["Properties"]["Timeout"] == 900
    assert functions["SendDeliveries"]["Properties"]["Timeout"] < 900


# Every resource that holds something that cannot be made again, and how it is kept.
STATEFUL = {
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
    "AWS::Cognito::UserPool",
    "AWS::Logs::LogGroup",
    "AWS::Backup::BackupVault",
}


# The delivery queue holds only pointers to deliveries the table keeps (the sweeper
# queues them again); the dead-letter and stream-failure queues hold what failed.
def test_every_stateful_resource_survives_deletion_and_replacement_but_not_a_failed_creation(
    transformed,
):
    resources = transformed["Resources"]
    kept = {n for n, r in resources.items() if r["Type"] in STATEFUL}
    kept |= set(_of_type(transformed, "AWS::SQS::Queue"))  # every queue, DeliveryQueue too
    assert {"CasesTable", "AuditTable", "UploadsBucket", "DataKey", "FieldsKey"} <= kept
    assert {"SigningKey", "StaffUserPool", "BackupVault", "DeliveryQueue"} <= kept
    for name in kept:
        # Kept on a deletion; deleted when the creation that made it is rolled back (its
        # fixed name would make the retry fail).
        assert resources[name].get("DeletionPolicy") == "RetainExceptOnCreate", name
        assert resources[name].get("UpdateReplacePolicy") == "Retain", name
    for name in _of_type(transformed, "AWS::DynamoDB::Table"):
        properties = resources[name]["Properties"]
        assert properties["DeletionProtectionEnabled"] == {"Fn::If": ["Protects", True, False]}
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    assert resources["StaffUserPool"]["Properties"]["DeletionProtection"] == {
        "Fn::If": ["Protects", "ACTIVE", "INACTIVE"]
    }
    assert transformed["Parameters"]["DeletionProtection"]["Default"] == "true"


def _key_of(kind: str, properties: dict):
    if kind == "AWS::DynamoDB::Table":
        sse = properties["SSESpecification"]
        assert sse["SSEType"] == "KMS"
        return sse["KMSMasterKeyId"]
    if kind in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
        return properties["KmsMasterKeyId"]
    if kind == "AWS::S3::Bucket":
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        default = rule["ServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        return default["KMSMasterKeyID"]
    if kind in ("AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        return properties["KmsKeyId"]
    if kind == "AWS::Backup::BackupVault":
        return properties["EncryptionKeyArn"]
    raise AssertionError(kind)


DATA_STORES = {
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::S3::Bucket",
    "AWS::SecretsManager::Secret",
    "AWS::Logs::LogGroup",
    "AWS::Backup::BackupVault",
}
STAGE_KEY = ({"Ref": "DataKey"}, {"Fn::GetAtt": ["DataKey", "Arn"]})


def test_every_data_store_is_encrypted_with_the_stages_own_key(transformed):
    stores = {n: r for n, r in transformed["Resources"].items() if r["Type"] in DATA_STORES}
    # The one exception, by S3's rule: a server access log destination takes SSE-S3 only.
    log = stores.pop("EvidenceAccessLogBucket")["Properties"]["BucketEncryption"]
    (rule,) = log["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert len(stores) >= 20
    for name, resource in stores.items():
        assert _key_of(resource["Type"], resource["Properties"]) in STAGE_KEY, name
    key = transformed["Resources"]["DataKey"]["Properties"]
    assert key["EnableKeyRotation"] is True


def test_bounces_complaints_and_rejects_reach_the_function_that_records_them(transformed):
    resources = transformed["Resources"]
    identity = resources["AlertsEmailIdentity"]["Properties"]
    assert identity["EmailIdentity"] == {"Ref": "DomainName"}
    assert identity["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["ConfigurationSetAttributes"] == {
        "ConfigurationSetName": {"Ref": "AlertsConfigurationSet"}
    }
    destination = resources["AlertsConfigurationSetEvents"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "AlertsConfigurationSet"}
    events = destination["EventDestination"]
    assert events["Enabled"] is True
    assert set(events["MatchingEventTypes"]) == {"bounce", "complaint", "reject"}
    topic = events["SnsDestination"]["TopicARN"]
    assert topic == {"Ref": "DeliveryEventsTopic"}
    # The function is subscribed to that topic, and SES may publish to it (and use its key).
    (subscription,) = [
        s["Properties"]
        for s in _of_type(transformed, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == topic
    ]
    assert subscription["Protocol"] == "lambda"
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["RecordDeliveryEvents", "Arn"]}
    # Invoked asynchronously: what fails every retry is parked where an alarm watches.
    recorder = resources["RecordDeliveryEvents"]["Properties"]
    assert recorder["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}
    }
    (statement,) = resources["DeliveryEventsTopicPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"}
    key_policy = resources["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        "ses.amazonaws.com" in s["Principal"].get("Service", [])
        and "kms:GenerateDataKey*" in s["Action"]
        for s in key_policy
    )
    # Every function sends through the configuration set, under the SMS policy.
    for function in _functions(transformed).values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["HOMEWARD_SES_CONFIGURATION_SET"] == {"Ref": "AlertsConfigurationSet"}
        assert variables["HOMEWARD_SMS_FOR"] == {"Ref": "SmsFor"}
        assert variables["HOMEWARD_SMS_ONE_PART"] == {"Ref": "SmsOnePart"}
        assert variables["HOMEWARD_SMS_MAX_PRICE"] == {"Ref": "SmsMaxPriceUsd"}


def test_replies_to_alerts_sms_reach_the_function_that_records_them(transformed):
    """End User Messaging SMS publishes what the two-way number receives to the stage's
    replies topic; only that function is subscribed, and what fails it is parked."""
    resources = transformed["Resources"]
    topic = {"Ref": "SmsRepliesTopic"}
    assert resources["SmsRepliesTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    (subscription,) = [
        s["Properties"]
        for s in _of_type(transformed, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == topic
    ]
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["RecordSmsReplies", "Arn"]}
    recorder = resources["RecordSmsReplies"]["Properties"]
    assert recorder["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]}
    }
    (statement,) = resources["SmsRepliesTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    key_policy = resources["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(
        "sms-voice.amazonaws.com" in s["Principal"].get("Service", [])
        and "kms:GenerateDataKey*" in s["Action"]
        for s in key_policy
    )
    # The number SMS are sent from is the stack's, and replies are on only with one.
    assert transformed["Parameters"]["SmsReplyNumber"]["Default"] == ""
    for function in _functions(transformed).values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["HOMEWARD_SMS_REPLY_NUMBER"] == {"Ref": "SmsReplyNumber"}


def test_sms_policy_spend_limit_and_delivery_status_logging_are_stack_settings(sam_template):
    parameters = sam_template["Parameters"]
    assert parameters["SmsFor"]["Default"] == "urgent"
    assert parameters["SmsOnePart"]["Default"] == "true"
    assert parameters["SmsMonthlySpendLimitUsd"]["Type"] == "Number"
    assert parameters["SmsMaxPriceUsd"]["Default"] == ""  # no ceiling unless one is set
    outputs = sam_template["Outputs"]
    # infra/deploy.py reads these to set the account's SMS attributes.
    assert outputs["SmsMonthlySpendLimitUsd"]["Value"] == {"Ref": "SmsMonthlySpendLimitUsd"}
    assert outputs["SmsDeliveryStatusRoleArn"]["Value"] == {
        "Fn::GetAtt": ["SmsDeliveryStatusRole", "Arn"]
    }
    role = sam_template["Resources"]["SmsDeliveryStatusRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    # Only into the two delivery-status groups the stack owns, which expire and are
    # encrypted with the stage's key (they hold phone numbers).
    resources = sam_template["Resources"]
    groups = [
        resources[name]["Properties"] for name in ("SmsDeliveryLogGroup", "SmsFailureLogGroup")
    ]
    assert [g["LogGroupName"]["Fn::Sub"] for g in groups] == [
        "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber",
        "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber/Failure",
    ]
    for group in groups:
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert statement["Resource"]["Fn::Sub"].split(":log-group:")[1] == (
        f"{groups[0]['LogGroupName']['Fn::Sub']}*"
    )


def test_checkov_skips_are_per_resource_each_with_its_reason(sam_template):
    import yaml

    config = yaml.safe_load((operations.ROOT / "infra" / "checkov.yaml").read_text())
    assert "skip-check" not in config and "soft-fail" not in config
    skipped = {
        name: {s["id"]: s["comment"] for s in r["Metadata"]["checkov"]["skip"]}
        for name, r in sam_template["Resources"].items()
        if "checkov" in r.get("Metadata", {})
    }
    assert skipped == operations.checkov_skips()  # what the package really carries
    for name, skips in skipped.items():
        for check, reason in skips.items():
            assert len(reason) > 40 and reason.rstrip()[-1] != ".", (name, check)
    # A DLQ is skipped where a function's failures land elsewhere, never where it has one.
    functions = set(operations.FUNCTIONS)
    with_dlq = {
        n for n in functions if "DeadLetterQueue" in sam_template["Resources"][n]["Properties"]
    }
    assert with_dlq == {"RecordDeliveryEvents", "RecordSmsReplies"}
    assert {n for n in functions if "CKV_AWS_116" in skipped[n]} == functions - with_dlq
    # The write-anywhere finding, on both roles that publish SMS (each denies topics).
    assert {n for n, s in skipped.items() if "CKV_AWS_111" in s} == {
        "SendDeliveriesRole",
        "SendImportDigestsRole",
    }


def test_api_gateways_own_answers_carry_the_apps_security_headers(transformed):
    """Issue 23 (low): unknown routes (API Gateway's 403), throttled callers and its other
    4xx/5xx answers lacked HSTS, CSP and nosniff: no function runs to add them."""
    from chalicelib.web.http import EVERY_ANSWER

    (api,) = _of_type(transformed, "AWS::ApiGateway::RestApi").values()
    responses = api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for kind, response in responses.items():
        headers = {
            name.removeprefix("gatewayresponse.header."): value
            for name, value in response["responseParameters"].items()
        }
        for name, value in {**EVERY_ANSWER, "Cache-Control": "no-store"}.items():
            assert headers[name] == f"'{value}'", (kind, name)
    # Specific types inherit the defaults only when none of them is customised apart.
    assert not {"THROTTLED", "MISSING_AUTHENTICATION_TOKEN", "WAF_FILTERED"} & set(responses)


def test_one_source_cannot_drain_the_intakes_shared_buckets(transformed):
    """Issue 23 (medium 10): API Gateway's throttles are shared by all callers, and WAF
    counted single addresses, so an IPv6 /64 walked past it and one source could block
    the form for everyone. Each source is now held well below each shared bucket."""
    (stage,) = _of_type(transformed, "AWS::ApiGateway::Stage").values()
    settings = {
        (m["ResourcePath"], m["HttpMethod"]): m for m in stage["Properties"]["MethodSettings"]
    }
    # The form's page, its post, the JSON intake and the uploads: a bucket each.
    page, post = settings[("/", "GET")], settings[("/report", "POST")]
    assert page["ThrottlingRateLimit"] >= post["ThrottlingRateLimit"]
    assert settings[("/report~1uploads", "POST")] is not settings[("/", "GET")]
    acl = transformed["Resources"]["EdgeWebAcl"]["Properties"]
    rules = {r["Name"]: r for r in acl["Rules"]}
    per_address = rules["IntakePerAddress"]["Statement"]["RateBasedStatement"]
    assert per_address["AggregateKeyType"] == "IP"
    per_operator = rules["IntakePerIpv6Operator"]["Statement"]["RateBasedStatement"]
    assert per_operator["CustomKeys"] == [{"ASN": {}}]
    for rule in (per_address, per_operator):
        # Per second, one source (or one IPv6 operator) can take at most a third of the
        # post's bucket, the rest stays for everyone else.
        assert rule["Limit"] / 300 <= post["ThrottlingRateLimit"] / 3
        scope = json.dumps(rule["ScopeDownStatement"])
        for path in ("/report", "/api/v1/reports", "/report/uploads"):
            assert f'"SearchString": "{path}"' in scope
        assert '"SearchString": "POST"' in scope
        assert rules["IntakePerAddress"]["Action"] == {"Block": {}}
    ipv6 = per_operator["ScopeDownStatement"]["AndStatement"]["Statements"][0]
    ipset = ipv6["IPSetReferenceStatement"]["Arn"]["Fn::GetAtt"][0]
    addresses = transformed["Resources"][ipset]["Properties"]
    assert addresses["IPAddressVersion"] == "IPV6"
    assert sorted(addresses["Addresses"]) == ["8000::/1", "::/1"]


def test_every_request_on_an_original_is_logged_by_s3_beside_the_custody_chains(transformed):
    """The deployed evidence bucket keeps S3's own access log (a read by the evidence role
    outside Homeward shows there too), into a bucket only S3's log delivery writes, for
    this bucket alone; the emulated one (moto) has neither."""
    resources = transformed["Resources"]
    evidence = resources["EvidenceBucket"]["Properties"]
    assert evidence["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": "EvidenceAccessLogBucket"},
        "LogFilePrefix": "evidence/",
    }
    log = resources["EvidenceAccessLogBucket"]["Properties"]
    assert all(log["PublicAccessBlockConfiguration"].values())
    statements = resources["EvidenceAccessLogBucketPolicy"]["Properties"]["PolicyDocument"]
    (allowed,) = [s for s in statements["Statement"] if s["Effect"] == "Allow"]
    assert allowed["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allowed["Action"] == "s3:PutObject"
    assert allowed["Condition"]["ArnLike"] == {
        "aws:SourceArn": {"Fn::GetAtt": ["EvidenceBucket", "Arn"]}
    }
    emulated = package.load_template()["Resources"]  # before strip_emulation
    assert emulated["EvidenceAccessLogBucket"]["Condition"] == "InAws"
    assert emulated["EvidenceBucket"]["Properties"]["LoggingConfiguration"]["Fn::If"][0] == "InAws"
