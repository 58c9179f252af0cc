"""What a careful operator adds around the functions: alarms, logs, the edge, backups.

Merged into the deployable template by infra/package.py (none of it exists in the local
emulation). Every alarm pages the operators' topic; the README's "Operating" section says
what each one means and what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOPIC = {"Ref": "OperatorsTopic"}
DATA_KEY = {"Fn::GetAtt": ["DataKey", "Arn"]}
# The functions of the stage: Chalice's and the public routes' own.
FUNCTIONS = (
    "APIHandler",
    "PublicHandler",
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
    "TelegramHandler",
    "HandleTelegramUpdates",
    "TidyTelegramChats",
)
# How many of each function may run at once, reserved out of the account's pool: a flood
# on the public routes can never leave the alert path without room to run.
RESERVED_CONCURRENCY = {
    "DispatchAlerts": 5,
    "SendDeliveries": 10,
    "EscalateUnacknowledged": 2,
    "FollowUpNewItems": 5,
}
# The sender takes at most this many queue pollers' batches at once.
SENDER_MAX_CONCURRENCY = 5
# API Gateway's own throttle, before any function runs: steady rate and burst, for the
# whole stage and (lower) for the public intake.
# These buckets are shared by every caller (API Gateway has no per-client throttle for
# anonymous callers), so no one source may drain them: WAF limits each source well below
# them (waf()), the app each IPv4 address or IPv6 /64 (domain/intake.py network_of). Each
# route of the form has its own bucket: a flood of posts leaves the page itself loading.
STAGE_THROTTLE = {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}
REPORTS_THROTTLE = {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}
FORM_PAGE_THROTTLE = {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40}
UPLOADS_THROTTLE = {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40}
# Requests one address may send in five minutes before WAF blocks it for a while.
WAF_RATE_LIMIT = 300
# Posts to the public intake (a report, a form, its files) one address may send in five
# minutes: a reporter sends one report with a few photos; at most 1/3 request a second,
# a thirtieth of the intake's bucket.
WAF_INTAKE_LIMIT = 100
# The same from all the IPv6 addresses of one network operator (ASN). WAF cannot count an
# IPv6 /64 as one source (its keys are an address, a forwarded address, an ASN, or custom
# request parts), so a flood walking the 2^64 addresses of its /64 is held by its
# operator: at most a third of the intake's bucket, and only its IPv6 users wait.
WAF_INTAKE_V6_LIMIT = 1000
API_STAGE = "api"
# The REST API's name, per stage: the 5xx alarm's ApiName dimension.
API_NAME = {"Fn::Sub": "homeward-${Stage}"}
# The routes whose detailed (per-method) metrics are kept: the public intake. The rest
# are counted in the stage's totals (detailed metrics are charged per method).
INTAKE_ROUTES = (
    ("/~1api~1v1~1reports", "POST"),
    ("/report", "POST"),
    ("/report~1uploads", "POST"),
)
# Where the functions' own metrics go (chalicelib/adapters/metrics.py writes them).
METRICS_NAMESPACE = "Homeward"

PARAMETERS = {
    "OperatorsEmail": {
        "Type": "String",
        "Default": "",
        "Description": "Where the operators' alarms are e-mailed (confirm the subscription)",
    },
    "LogRetentionDays": {
        "Type": "Number",
        "Default": 90,
        "AllowedValues": [30, 60, 90, 180, 365, 731],
        "Description": "How long function and API logs are kept",
    },
    "MonthlyBudgetUsd": {
        "Type": "Number",
        "Default": 200,
        "Description": "The stage's monthly AWS budget: operators hear at 80% and 100%",
    },
    "SmsSpendAlarmUsd": {
        "Type": "Number",
        "Default": 50,
        "Description": "Month-to-date SMS spend that pages the operators",
    },
    "BackupCopyVaultArn": {
        "Type": "String",
        "Default": "",
        "Description": "A backup vault in a second region (or account) that every backup is "
        "copied to; empty: no copy",
    },
    "TimeStampAuthorityUrl": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^(https?://\S+)?$",
        "Description": "The RFC 3161 Time-Stamp Authority that anchors the custody chains "
        "daily (e.g. a qualified TSA's URL); empty: not anchored, and the log says so",
    },
    "TimeStampAuthorityCertificate": {
        "Type": "String",
        "Default": "",
        "Description": "That TSA's certificate (PEM): every token is verified against it "
        "before it is kept, and prosecutors' packages carry it",
    },
    "SmsFor": {
        "Type": "String",
        "Default": "urgent",
        "AllowedValues": ["urgent", "all"],
        "Description": "Which alerts also go by SMS to a contact who gets e-mail: urgent "
        "reports and escalations, or all (a contact with SMS alone always gets it)",
    },
    "SmsOnePart": {
        "Type": "String",
        "Default": "true",
        "AllowedValues": ["true", "false"],
        "Description": "Every SMS in one GSM-7 part, Ukrainian in Latin letters (KMU 2010) "
        "(about a seventh of the price of two Cyrillic parts)",
    },
    "SmsMaxPriceUsd": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^([0-9]+(\.[0-9]{1,5})?)?$",
        "Description": "The most one SMS may cost (USD), empty for no ceiling. SNS drops a "
        "dearer message instead of sending it: set it above every destination's price",
    },
    "SmsReplyNumber": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^(\+[1-9][0-9]{6,14})?$",
        "Description": "The stage's two-way number (AWS End User Messaging SMS, E.164): "
        "alerts' SMS are sent from it and may be answered with their code; empty for none. "
        "Its two-way destination is the SmsRepliesTopicArn output",
    },
    "SmsMonthlySpendLimitUsd": {
        "Type": "Number",
        "Default": 100,
        "MinValue": 1,
        "Description": "The account's SNS SMS spend limit a month (make deploy sets it; "
        "above 1 USD only after AWS raised the account's quota)",
    },
    "ReserveConcurrency": {
        "Type": "String",
        "Default": "true",
        "AllowedValues": ["true", "false"],
        "Description": "Reserve concurrency for the alert path (needs an account limit above "
        "the default 10: ask AWS first, README)",
    },
}
CONDITIONS = {
    "HasOperatorsEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "OperatorsEmail"}, ""]}]},
    "HasBackupCopy": {"Fn::Not": [{"Fn::Equals": [{"Ref": "BackupCopyVaultArn"}, ""]}]},
    "ReservesConcurrency": {"Fn::Equals": [{"Ref": "ReserveConcurrency"}, "true"]},
}


def alarm(
    name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: list[dict[str, Any]],
    *,
    statistic: str = "Sum",
    threshold: float | dict = 0,
    comparison: str = "GreaterThanThreshold",
    period: int = 300,
    missing: str = "notBreaching",
    evaluation_periods: int = 1,
) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"homeward-${{Stage}}-{name}"},
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": evaluation_periods,
            "Threshold": threshold,
            "ComparisonOperator": comparison,
            "TreatMissingData": missing,
            "AlarmActions": [TOPIC],
            "OKActions": [TOPIC],
        },
    }


def _function(name: str) -> list[dict[str, Any]]:
    return [{"Name": "FunctionName", "Value": {"Ref": name}}]


# The functions that read the case table's stream (app.py), each watched for falling behind:
# two at most, as DynamoDB Streams throttle a third reader of a shard.
STREAM_READERS = ("DispatchAlerts", "FollowUpNewItems")


def alarms() -> dict[str, dict[str, Any]]:
    found = {
        f"{name}ErrorsAlarm": alarm(
            f"{name}-errors",
            f"{name} failed in the last 5 minutes",
            "AWS/Lambda",
            "Errors",
            _function(name),
        )
        for name in FUNCTIONS
    }
    found |= {
        f"{name}IteratorAgeAlarm": alarm(
            f"{name}-iterator-age",
            f"{name} is more than a minute behind the case table's stream",
            "AWS/Lambda",
            "IteratorAge",
            _function(name),
            statistic="Maximum",
            threshold=60_000,
            period=60,
            evaluation_periods=3,
        )
        for name in STREAM_READERS
    }
    # Errors cannot show a schedule that stopped: no invocation, no error. Missing data
    # breaches here.
    found["EscalationStoppedAlarm"] = alarm(
        "escalation-stopped",
        "The escalation schedule has not run for 10 minutes: unacknowledged alerts would "
        "never climb their ladder",
        "AWS/Lambda",
        "Invocations",
        _function("EscalateUnacknowledged"),
        threshold=1,
        comparison="LessThanThreshold",
        period=300,
        evaluation_periods=2,
        missing="breaching",
    )
    found["Api5xxAlarm"] = alarm(
        "api-5xx",
        "The API answered 5xx: a report or a staff request failed",
        "AWS/ApiGateway",
        "5XXError",
        [
            # The stage's own API (every stage's API stage is "api"; the name tells them
            # apart in one account).
            {"Name": "ApiName", "Value": API_NAME},
            {"Name": "Stage", "Value": API_STAGE},
        ],
    )
    found["SmsSpendAlarm"] = alarm(
        "sms-spend",
        "SMS spend this month passed the stage's limit: alerts by SMS will soon stop",
        "AWS/SNS",
        "SMSMonthToDateSpentUSD",
        [],
        statistic="Maximum",
        threshold={"Ref": "SmsSpendAlarmUsd"},
        period=3600,
    )
    found["DeliveriesFailedAlarm"] = alarm(
        "deliveries-failed",
        "An e-mail or SMS was refused for good (an unverified sender, an opted-out phone, a "
        "bounce): its contact did not hear of an alert",
        METRICS_NAMESPACE,
        "DeliveriesFailed",
        [{"Name": "Stage", "Value": {"Ref": "Stage"}}],
    )
    return found


def _kebab(name: str) -> str:
    kebab = "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
    return kebab.replace("a-p-i", "api")


def function_name(name: str) -> dict[str, str]:
    """A function's name, fixed so that its log group can be named before it exists (a
    log group naming the function by Ref would depend on it: a cycle)."""
    return {"Fn::Sub": f"homeward-${{Stage}}-{_kebab(name)}"}


def role_name(role: str) -> dict[str, str]:
    """A function role's name, under the prefix the stage's KMS key policies allow."""
    return {"Fn::Sub": f"homeward-${{Stage}}-{_kebab(role.removesuffix('Role'))}"}


def log_groups() -> dict[str, dict[str, Any]]:
    """A log group per function, made before the function first logs (else Lambda makes
    one that never expires, and this resource would then fail as AlreadyExists)."""
    groups = {
        f"{name}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": {"Fn::Sub": f"/aws/lambda/homeward-${{Stage}}-{_kebab(name)}"},
                "RetentionInDays": {"Ref": "LogRetentionDays"},
                "KmsKeyId": DATA_KEY,
            },
        }
        for name in FUNCTIONS
    }
    # SNS logs each SMS's delivery status (with the phone number) into these, named by the
    # account and region: made here, with the stage's retention and key, rather than by
    # SNS on the first SMS (never expiring, unencrypted). One stage per account (README,
    # Deploying), so the names are free.
    for name, suffix in (("SmsDeliveryLogGroup", ""), ("SmsFailureLogGroup", "/Failure")):
        groups[name] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": {"Fn::Sub": f"{SMS_LOG_GROUP}{suffix}"},
                "RetentionInDays": {"Ref": "LogRetentionDays"},
                "KmsKeyId": DATA_KEY,
            },
        }
    groups["ApiAccessLogGroup"] = {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "RetainExceptOnCreate",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "LogGroupName": {"Fn::Sub": "/homeward/${Stage}/api-access"},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
            "KmsKeyId": DATA_KEY,
        },
    }
    return groups


# Where SNS logs the delivery status of SMS sent to phone numbers (its name is SNS's).
SMS_LOG_GROUP = "sns/${AWS::Region}/${AWS::AccountId}/DirectPublishToPhoneNumber"


# What an access log line holds: no client address, no user agent, no query string
# (a reporter's address and a search could be in them).
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","time":"$context.requestTime",'
    '"method":"$context.httpMethod","resource":"$context.resourcePath",'
    '"status":"$context.status","latencyMs":"$context.responseLatency",'
    '"bytes":"$context.responseLength","waf":"$context.waf.status"}'
)


def api_stage() -> dict[str, Any]:
    """Properties of Chalice's RestAPI (a SAM Api) for its stage: access logs without the
    client address, throttling for the stage and tighter for the public intake, detailed
    metrics on the intake alone; a regional endpoint (the stage's custom domain is
    regional: an edge API behind it would add a CloudFront hop for nothing), and a name
    of the stage's own."""
    throttles = {
        ("/~1api~1v1~1reports", "POST"): REPORTS_THROTTLE,
        ("/report", "POST"): REPORTS_THROTTLE,
        ("/report~1uploads", "POST"): UPLOADS_THROTTLE,
    }
    intake = [
        {
            "ResourcePath": path,
            "HttpMethod": method,
            "MetricsEnabled": True,
            **throttles.get((path, method), STAGE_THROTTLE),
        }
        for path, method in INTAKE_ROUTES
    ]
    # The form's page (the root) has a bucket of its own, apart from its posts' and the
    # stage's: flooding one leaves the others.
    page = {"ResourcePath": "/", "HttpMethod": "GET", "MetricsEnabled": False}
    return {
        "Name": API_NAME,
        "EndpointConfiguration": {"Type": "REGIONAL"},
        "AccessLogSetting": {
            "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
            "Format": ACCESS_LOG_FORMAT,
        },
        "MethodSettings": [
            {"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": False, **STAGE_THROTTLE},
            *intake,
            {**page, **FORM_PAGE_THROTTLE},
        ],
    }


# API Gateway's own answers, given before any function runs: DEFAULT_4XX covers every 4xx
# type without one of its own (an unknown route's 403 MISSING_AUTHENTICATION_TOKEN, 429
# THROTTLED, WAF_FILTERED, an authorizer's 401...), DEFAULT_5XX every 5xx (a timeout, an
# integration failure).
GATEWAY_RESPONSE_TYPES = ("DEFAULT_4XX", "DEFAULT_5XX")


def gateway_response_headers() -> dict[str, str]:
    """The headers on every answer of the app (chalicelib/web/http.py EVERY_ANSWER) and
    nothing kept by caches: the same for API Gateway's own answers (issue 23)."""
    from chalicelib.web.http import EVERY_ANSWER

    return {**EVERY_ANSWER, "Cache-Control": "no-store"}


def gateway_responses() -> dict[str, Any]:
    """The OpenAPI extension for them: in the API's definition, so a change redeploys the
    stage (a separate AWS::ApiGateway::GatewayResponse would wait for the next one)."""
    # A static value is enclosed in single quotes; the CSP's own quotes stay as they are.
    parameters = {
        f"gatewayresponse.header.{name}": f"'{value}'"
        for name, value in gateway_response_headers().items()
    }
    return {kind: {"responseParameters": parameters} for kind in GATEWAY_RESPONSE_TYPES}


def api_gateway_logging() -> dict[str, dict[str, Any]]:
    """API Gateway writes access logs with an account-wide role of its own."""
    return {
        "ApiGatewayLogsRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                        "AmazonAPIGatewayPushToCloudWatchLogs"
                    }
                ],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}},
        },
    }


def _managed_rule(name: str, priority: int, *, counted: tuple[str, ...] = ()) -> dict:
    statement: dict[str, Any] = {"VendorName": "AWS", "Name": name}
    if counted:
        statement["RuleActionOverrides"] = [
            {"Name": rule, "ActionToUse": {"Count": {}}} for rule in counted
        ]
    return {
        "Name": name,
        "Priority": priority,
        "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": statement},
        "VisibilityConfig": _visibility(name),
    }


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": True, "MetricName": name}


# The intake's posts as WAF sees their path: the stage's own address has /api before
# them, the stage's domain does not.
INTAKE_PATHS = ("/report", "/api/v1/reports", "/report/uploads")


def _intake_posts() -> dict[str, Any]:
    """A scope-down statement: a POST to one of the intake's paths."""
    paths = [
        {
            "ByteMatchStatement": {
                "FieldToMatch": {"UriPath": {}},
                "PositionalConstraint": "ENDS_WITH",
                "SearchString": path,
                "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
            }
        }
        for path in INTAKE_PATHS
    ]
    post = {
        "ByteMatchStatement": {
            "FieldToMatch": {"Method": {}},
            "PositionalConstraint": "EXACTLY",
            "SearchString": "POST",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    return {"AndStatement": {"Statements": [post, {"OrStatement": {"Statements": paths}}]}}


def _from_ipv6() -> dict[str, Any]:
    return {"IPSetReferenceStatement": {"Arn": {"Fn::GetAtt": ["EveryIpv6Address", "Arn"]}}}


def _rate_rule(name: str, priority: int, statement: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": statement},
        "VisibilityConfig": _visibility(name),
    }


def waf() -> dict[str, dict[str, Any]]:
    """A regional web ACL on the API stage: one address sending too much is blocked, one
    sending too many reports sooner (one IPv6 network operator too, as WAF cannot count a
    /64), and AWS's common and known-bad-input rules filter the rest.

    The common rule set blocks bodies over 8 KB; a report may be 64 KB and a form post
    three times that, so that rule only counts (the app refuses what is too large).
    Sampled requests are off: they would keep what people typed in WAF's console.
    """
    return {
        "EdgeWebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": {"Fn::Sub": "homeward-${Stage}"},
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": _visibility("homeward"),
                "Rules": [
                    _rate_rule(
                        "RatePerAddress",
                        0,
                        {"Limit": WAF_RATE_LIMIT, "AggregateKeyType": "IP"},
                    ),
                    _managed_rule(
                        "AWSManagedRulesCommonRuleSet", 1, counted=("SizeRestrictions_BODY",)
                    ),
                    _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 2),
                    _rate_rule(
                        "IntakePerAddress",
                        3,
                        {
                            "Limit": WAF_INTAKE_LIMIT,
                            "AggregateKeyType": "IP",
                            "ScopeDownStatement": _intake_posts(),
                        },
                    ),
                    _rate_rule(
                        "IntakePerIpv6Operator",
                        4,
                        {
                            "Limit": WAF_INTAKE_V6_LIMIT,
                            "AggregateKeyType": "CUSTOM_KEYS",
                            "CustomKeys": [{"ASN": {}}],
                            "ScopeDownStatement": {
                                "AndStatement": {"Statements": [_from_ipv6(), _intake_posts()]}
                            },
                        },
                    ),
                ],
            },
        },
        # Every IPv6 address (WAF takes no /0: two halves).
        "EveryIpv6Address": {
            "Type": "AWS::WAFv2::IPSet",
            "Properties": {
                "Name": {"Fn::Sub": "homeward-${Stage}-ipv6"},
                "Scope": "REGIONAL",
                "IPAddressVersion": "IPV6",
                "Addresses": ["::/1", "8000::/1"],
            },
        },
        "EdgeWebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            # The stage SAM makes of the RestAPI's StageName.
            "DependsOn": [f"RestAPI{API_STAGE}Stage"],
            "Properties": {
                "ResourceArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                    f"${{RestAPI}}/stages/{API_STAGE}"
                },
                "WebACLArn": {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]},
            },
        },
    }


# The SES events that mean an alert's e-mail did not reach its contact.
REFUSALS = ["bounce", "complaint", "reject"]


def email_feedback() -> dict[str, dict[str, Any]]:
    """The alert sender's domain identity, signed with DKIM, sending through a
    configuration set whose bounces, complaints and rejects reach RecordDeliveryEvents
    through an encrypted topic. (Without a configuration set SES reports none of these:
    a bounced alert would look sent.)"""
    return {
        "AlertsConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {"Name": {"Fn::Sub": "homeward-${Stage}-alerts"}},
        },
        "AlertsConfigurationSetEvents": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": {"Ref": "AlertsConfigurationSet"},
                "EventDestination": {
                    "Name": "refusals",
                    "Enabled": True,
                    "MatchingEventTypes": REFUSALS,
                    "SnsDestination": {"TopicARN": {"Ref": "DeliveryEventsTopic"}},
                },
            },
        },
        "AlertsEmailIdentity": {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": {"Ref": "DomainName"},
                "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
                "DkimAttributes": {"SigningEnabled": True},
                "ConfigurationSetAttributes": {
                    "ConfigurationSetName": {"Ref": "AlertsConfigurationSet"}
                },
                "FeedbackAttributes": {"EmailForwardingEnabled": False},
            },
        },
        "DeliveryEventsTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": "homeward-${Stage}-delivery-events"},
                "KmsMasterKeyId": {"Ref": "DataKey"},
            },
        },
        "DeliveryEventsTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "DeliveryEventsTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SesPublishes",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "DeliveryEventsTopic"},
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    ],
                },
            },
        },
        # SNS writes each SMS's delivery status (sns/REGION/ACCOUNT/DirectPublishToPhone
        # Number[/Failure]) with this role; infra/deploy.py sets it on the account.
        "SmsDeliveryStatusRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "SmsDeliveryStatus",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "logs:CreateLogGroup",
                                        "logs:CreateLogStream",
                                        "logs:PutLogEvents",
                                        "logs:PutMetricFilter",
                                        "logs:PutRetentionPolicy",
                                    ],
                                    # The two groups the stack made (the name and
                                    # NAME/Failure) and their streams, nothing else.
                                    "Resource": {
                                        "Fn::Sub": "arn:${AWS::Partition}:logs:"
                                        "${AWS::Region}:${AWS::AccountId}:log-group:"
                                        f"{SMS_LOG_GROUP}*"
                                    },
                                }
                            ],
                        },
                    }
                ],
            },
        },
    }


OUTPUTS = {
    "SmsDeliveryStatusRoleArn": {
        "Description": "The role SNS logs SMS delivery status with (make deploy sets it)",
        "Value": {"Fn::GetAtt": ["SmsDeliveryStatusRole", "Arn"]},
    },
    "SmsRepliesTopicArn": {
        "Description": "The two-way destination of the SmsReplyNumber (End User Messaging "
        "SMS): replies to alerts' SMS reach RecordSmsReplies through it",
        "Value": {"Ref": "SmsRepliesTopic"},
    },
    "SmsMonthlySpendLimitUsd": {
        "Description": "The account's SMS spend limit a month (make deploy sets it)",
        "Value": {"Ref": "SmsMonthlySpendLimitUsd"},
    },
    **{
        f"DkimRecord{n}": {
            "Description": f"DKIM CNAME {n} of the alert sender's domain: "
            "name and value, to add to its DNS",
            "Value": {
                "Fn::Join": [
                    " CNAME ",
                    [
                        {"Fn::GetAtt": ["AlertsEmailIdentity", f"DkimDNSTokenName{n}"]},
                        {"Fn::GetAtt": ["AlertsEmailIdentity", f"DkimDNSTokenValue{n}"]},
                    ],
                ]
            },
        }
        for n in (1, 2, 3)
    },
}


def sms_replies() -> dict[str, dict[str, Any]]:
    """The topic AWS End User Messaging SMS publishes replies to the stage's two-way number
    to (the number's two-way destination, set where the number is), which RecordSmsReplies
    reads. Encrypted with the stage's key, which the service may use for it."""
    return {
        "SmsRepliesTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": {"Fn::Sub": "homeward-${Stage}-sms-replies"},
                "KmsMasterKeyId": {"Ref": "DataKey"},
            },
        },
        "SmsRepliesTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "SmsRepliesTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TwoWaySmsPublishes",
                            "Effect": "Allow",
                            "Principal": {"Service": "sms-voice.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "SmsRepliesTopic"},
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    ],
                },
            },
        },
    }


def budget() -> dict[str, dict[str, Any]]:
    def notify(percent: int, kind: str) -> dict[str, Any]:
        return {
            "Notification": {
                "NotificationType": kind,
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": percent,
                "ThresholdType": "PERCENTAGE",
            },
            "Subscribers": [{"SubscriptionType": "SNS", "Address": TOPIC}],
        }

    return {
        "MonthlyBudget": {
            "Type": "AWS::Budgets::Budget",
            "Properties": {
                "Budget": {
                    "BudgetName": {"Fn::Sub": "homeward-${Stage}"},
                    "BudgetType": "COST",
                    "TimeUnit": "MONTHLY",
                    "BudgetLimit": {"Amount": {"Ref": "MonthlyBudgetUsd"}, "Unit": "USD"},
                },
                "NotificationsWithSubscribers": [
                    notify(80, "ACTUAL"),
                    notify(100, "ACTUAL"),
                    notify(100, "FORECASTED"),
                ],
            },
        },
        # Budgets publish to the operators' topic only with this.
        "OperatorsTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [TOPIC],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "BudgetsAndAlarmsPublish",
                            "Effect": "Allow",
                            "Principal": {
                                "Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
                            },
                            "Action": "sns:Publish",
                            "Resource": TOPIC,
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    ],
                },
            },
        },
        "OperatorsEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasOperatorsEmail",
            "Properties": {
                "TopicArn": TOPIC,
                "Protocol": "email",
                "Endpoint": {"Ref": "OperatorsEmail"},
            },
        },
    }


def backups() -> dict[str, dict[str, Any]]:
    """Daily backups of the tables and the uploads bucket, kept 35 days in a vault under
    the stage's data key, copied to a vault elsewhere when one is given. Point-in-time
    recovery (the tables') covers the last 35 days to the second; this covers losing the
    table, the account's region, or a mistake found late."""
    copy = {
        "Fn::If": [
            "HasBackupCopy",
            [
                {
                    "DestinationBackupVaultArn": {"Ref": "BackupCopyVaultArn"},
                    "Lifecycle": {"DeleteAfterDays": 35},
                }
            ],
            {"Ref": "AWS::NoValue"},
        ]
    }
    return {
        "BackupVault": {
            "Type": "AWS::Backup::BackupVault",
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BackupVaultName": {"Fn::Sub": "homeward-${Stage}"},
                "EncryptionKeyArn": DATA_KEY,
            },
        },
        "BackupPlan": {
            "Type": "AWS::Backup::BackupPlan",
            "Properties": {
                "BackupPlan": {
                    "BackupPlanName": {"Fn::Sub": "homeward-${Stage}"},
                    "BackupPlanRule": [
                        {
                            "RuleName": "daily",
                            "TargetBackupVault": {"Ref": "BackupVault"},
                            "ScheduleExpression": "cron(0 3 * * ? *)",
                            "Lifecycle": {"DeleteAfterDays": 35},
                            "CopyActions": copy,
                        }
                    ],
                }
            },
        },
        "BackupRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "backup.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                        f"AWSBackupServiceRolePolicyFor{what}"
                    }
                    for what in ("Backup", "Restores", "S3Backup", "S3Restore")
                ],
            },
        },
        "BackupSelection": {
            "Type": "AWS::Backup::BackupSelection",
            "Properties": {
                "BackupPlanId": {"Ref": "BackupPlan"},
                "BackupSelection": {
                    "SelectionName": "homeward-data",
                    "IamRoleArn": {"Fn::GetAtt": ["BackupRole", "Arn"]},
                    "Resources": [
                        {"Fn::GetAtt": ["CasesTable", "Arn"]},
                        {"Fn::GetAtt": ["AuditTable", "Arn"]},
                        {"Fn::GetAtt": ["UploadsBucket", "Arn"]},
                    ],
                },
            },
        },
    }


# What every function's role may do with the data key: the queues, the bucket, the
# secret and the tables are encrypted with it.
USE_DATA_KEY = {
    "Sid": "DataAtRest",
    "Effect": "Allow",
    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
    "Resource": [DATA_KEY],
}


# checkov's findings that do not apply, each on the resources it names and with the reason
# for those resources (`make lint-infra` reports them as skipped, never hides them):
# infra/checkov.yaml skips nothing globally. A function's reason depends on how it is
# invoked, so CKV_AWS_116 is given per kind.
API_FUNCTIONS = ("APIHandler", "PublicHandler", "TelegramHandler")
STREAM_FUNCTIONS = STREAM_READERS
QUEUE_FUNCTIONS = ("SendDeliveries", "SendWebhooks", "HandleTelegramUpdates")
EVERY_MINUTE = (
    "RequeueStaleDeliveries",
    "EscalateUnacknowledged",
    "SendImportDigests",
    "TidyTelegramChats",
)
NO_DLQ = {
    **dict.fromkeys(
        API_FUNCTIONS,
        "Invoked synchronously by API Gateway: the caller gets the error, and a DLQ only "
        "receives failed asynchronous invocations",
    ),
    **dict.fromkeys(
        STREAM_FUNCTIONS,
        "Reads the table's stream through an event source mapping, whose failed batches go "
        "to its on-failure destination (StreamFailureQueue, alarmed); a function DLQ is "
        "never used for stream records",
    ),
    **dict.fromkeys(
        QUEUE_FUNCTIONS,
        "Reads its SQS queue through an event source mapping: failed messages go to the "
        "queue's own dead-letter queue (redrive policy, alarmed); a function DLQ is never "
        "used for them",
    ),
    **dict.fromkeys(
        EVERY_MINUTE,
        "A one-minute schedule: each run does all that is due by then, so what a failed run "
        "left is done by the next; the schedule's event carries no data to keep, and the "
        "errors alarm pages",
    ),
    "AnonymiseExpired": "An hourly schedule: each run anonymises every case past its "
    "retention (the by_retention index), so a failed run's cases go at the next; the "
    "schedule's event carries no data to keep, and the errors alarm pages",
    "AlertOverdueFollowUps": "An hourly schedule: each run alerts every return record "
    "still due (the by_state index's FOLLOWUPS#due) and not yet alerted for that due date, "
    "so a failed run's alerts go at the next; the schedule's event carries no data to keep, "
    "and the errors alarm pages",
    "AnchorCustody": "A daily schedule whose event carries no data: a DLQ would keep an "
    "empty event. A failed run pages (its errors alarm); the next day's anchor covers every "
    "head as it then stands, so nothing is left unanchored",
    "SendDailyDigest": "A daily schedule whose event carries no data: a DLQ would keep an "
    "empty event, not the digest. A failed run pages (its errors alarm) and is re-run by "
    "invoking the function",
}
FUNCTION_SKIPS = {
    "CKV_AWS_115": "The alert path (dispatcher, sender, escalation, matching) reserves "
    "concurrency when the account's quota holds it (ReserveConcurrency); this function "
    "shares the account's pool on purpose, so that no reservation can starve the alert path",
    "CKV_AWS_117": "Calls only AWS APIs (and partners' HTTPS webhooks): a VPC would need NAT "
    "or endpoints, add cold-start time and protect nothing here",
    "CKV_AWS_173": "Its environment holds resource names and public URLs only; the signing "
    "key is in Secrets Manager under the stage's data key",
}
RESOURCE_SKIPS = {
    "RestAPI": {
        "CKV_AWS_73": "X-Ray traces would keep request paths (acknowledgement and status "
        "tokens are in them) outside the stage's key and retention",
        "CKV_AWS_120": "Answers are per caller (staff lists, status pages) and must never be "
        "served from a cache to someone else",
    },
    "UploadsBucket": {
        "CKV_AWS_18": "The public posts here: its server access log would list reporters' "
        "IP addresses beside their reports' files. Staff reach files only through the app, "
        "whose audit trail records who opened which case",
    },
    "EvidenceAccessLogBucket": {
        "CKV_AWS_18": "It is the evidence bucket's access log: logging it would need "
        "another log bucket, and so on",
        "CKV_AWS_145": "S3 delivers server access logs only into a bucket encrypted with "
        "S3's own keys (SSE-KMS is not supported for a log destination); the logs hold "
        "requests, no case content",
    },
    "SendDeliveriesRole": {
        "CKV_AWS_111": "sns:Publish on * sends SMS to phone numbers, which have no ARN to "
        "scope; publishing to any topic is denied by an explicit Deny (infra/package.py)",
    },
    "SendImportDigestsRole": {
        "CKV_AWS_111": "sns:Publish on * sends a partner's import digest by SMS to a phone "
        "number, which has no ARN to scope; publishing to any topic is denied by an "
        "explicit Deny (infra/package.py)",
    },
}


def checkov_skips() -> dict[str, dict[str, str]]:
    """Resource -> {check: reason}: every skip of `make lint-infra`, with its reason."""
    found: dict[str, dict[str, str]] = {name: dict(FUNCTION_SKIPS) for name in FUNCTIONS}
    for name, reason in NO_DLQ.items():
        found[name]["CKV_AWS_116"] = reason
    for name, skips in RESOURCE_SKIPS.items():
        found.setdefault(name, {}).update(skips)
    return found


def add_checkov_skips(resources: dict[str, Any]) -> None:
    for name, skips in checkov_skips().items():
        metadata = resources.setdefault(name, {}).setdefault("Metadata", {})
        metadata["checkov"] = {
            "skip": [{"id": check, "comment": reason} for check, reason in sorted(skips.items())]
        }


def add_operations(template: dict[str, Any]) -> None:
    """Put all of the above into the merged template (infra/package.py calls this)."""
    template.setdefault("Parameters", {}).update(PARAMETERS)
    template.setdefault("Conditions", {}).update(CONDITIONS)
    resources = template["Resources"]
    resources.update(alarms())
    resources.update(log_groups())
    resources.update(api_gateway_logging())
    resources.update(waf())
    resources.update(budget())
    resources.update(backups())
    resources.update(email_feedback())
    resources.update(sms_replies())
    template.setdefault("Outputs", {}).update(OUTPUTS)
    add_checkov_skips(resources)
    api = resources.setdefault("RestAPI", {}).setdefault("Properties", {})
    api.update(api_stage())
    # The OpenAPI title names the API too (an import takes it): the stage's own name.
    api.setdefault("DefinitionBody", {}).setdefault("info", {})["title"] = API_NAME
    api["DefinitionBody"]["x-amazon-apigateway-gateway-responses"] = gateway_responses()
    # The stage's access logging needs the account's API Gateway logging role first: on a
    # first deployment the stage (after the API, after this) would otherwise race it.
    resources["RestAPI"].setdefault("DependsOn", []).append("ApiGatewayAccount")
    for name in FUNCTIONS:
        properties = resources.setdefault(name, {}).setdefault("Properties", {})
        properties["FunctionName"] = function_name(name)
        if name in RESERVED_CONCURRENCY:
            properties["ReservedConcurrentExecutions"] = {
                "Fn::If": [
                    "ReservesConcurrency",
                    RESERVED_CONCURRENCY[name],
                    {"Ref": "AWS::NoValue"},
                ]
            }
        # The function's log group must exist before the function first runs.
        resources[name].setdefault("DependsOn", []).append(f"{name}LogGroup")
