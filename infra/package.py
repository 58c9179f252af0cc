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
  condition) is dropped, so what is deployed has no way to leave resources out;
- the stage gets its public address: a custom domain (DomainName, CertificateArn) that
  every function knows as HOMEWARD_PUBLIC_URL; and its staff sign-in: Cognito's managed
  login (SignInDomainPrefix) with an authorization-code client for the console and the
  `homeward` command.

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

from chalicelib import handlers
from chalicelib.cli.signin import SCOPES as SCOPE
from chalicelib.cli.signin import callback_url
from infra import operations

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


def _under(statement: dict[str, Any], *partitions: str) -> dict[str, Any]:
    """The statement, for items (and index entries) whose partition key is one of these
    (`*` as IAM matches it): the key map's prefixes (chalicelib/adapters/dynamo/keys.py).
    A function that holds it cannot reach the directory, partners' registrations or
    anything else outside them, whatever its code is made to do."""
    return {
        **statement,
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(partitions)}},
    }


TABLE = {"Fn::GetAtt": ["CasesTable", "Arn"]}
TABLE_INDEXES = {"Fn::Sub": "${CasesTable.Arn}/index/*"}
AUDIT = {"Fn::GetAtt": ["AuditTable", "Arn"]}
STATE_INDEX = {"Fn::Sub": "${CasesTable.Arn}/index/by_state"}
RETENTION_INDEX = {"Fn::Sub": "${CasesTable.Arn}/index/by_retention"}
QUEUE = {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}
WEBHOOK_QUEUE = {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
TELEGRAM_QUEUE = {"Fn::GetAtt": ["TelegramQueue", "Arn"]}
# The functions' log groups exist before they run (infra/operations.py): a function only
# writes streams into them, and only into the stage's own.
LOGS = _statement(
    "Logs",
    ["logs:CreateLogStream", "logs:PutLogEvents"],
    [
        {
            "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
            "log-group:/aws/lambda/homeward-${Stage}-*:*"
        }
    ],
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
EXPORTS = {"Fn::Sub": "${UploadsBucket.Arn}/exports/*"}
EVIDENCE_ORIGINALS = {"Fn::Sub": "${EvidenceBucket.Arn}/originals/*"}
SES_IDENTITIES = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
}
# An address of the stage's own domain, which SES must have verified (with DKIM).
ALERT_SENDER = {
    "Fn::If": ["HasAlertSender", {"Ref": "AlertSender"}, {"Fn::Sub": "alerts@${DomainName}"}]
}
# Alert e-mails go through the stage's configuration set (bounces, complaints).
SES_CONFIGURATION_SET = {
    "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
    "configuration-set/${AlertsConfigurationSet}"
}
# Only from the stage's own alert sender (the same value the functions are given).
EMAIL = {
    **_statement("Email", ["ses:SendEmail"], [SES_IDENTITIES, SES_CONFIGURATION_SET]),
    "Condition": {"StringEquals": {"ses:FromAddress": ALERT_SENDER}},
}
SIGNING_KEY = _statement("SigningKey", ["secretsmanager:GetSecretValue"], [{"Ref": "SigningKey"}])
# The console's session cookies: only the function that serves the console reads it.
SESSION_KEY = _statement(
    "SessionKey", ["secretsmanager:GetSecretValue"], [{"Ref": "ConsoleSessionKey"}]
)
# One secret per purpose (chalicelib/domain/keyring.py), each read only by the functions
# that sign or check what it is for.
FORM_KEY = _statement("FormKey", ["secretsmanager:GetSecretValue"], [{"Ref": "FormKey"}])
ACK_KEY = _statement("AckLinkKey", ["secretsmanager:GetSecretValue"], [{"Ref": "AckLinkKey"}])
STATUS_KEY = _statement(
    "StatusCodeKey", ["secretsmanager:GetSecretValue"], [{"Ref": "StatusCodeKey"}]
)
WEBHOOK_KEY = _statement("WebhookKey", ["secretsmanager:GetSecretValue"], [{"Ref": "WebhookKey"}])
# The Telegram bot's token and webhook secret: only the bot's three functions read it.
TELEGRAM_SECRET = _statement(
    "TelegramSecret", ["secretsmanager:GetSecretValue"], [{"Ref": "TelegramBotSecret"}]
)
FIELDS_KEY = {"Fn::GetAtt": ["FieldsKey", "Arn"]}
# Sealing a report's sensitive fields needs a new data key; opening them needs Decrypt,
# which only the functions that show them get (chalicelib/adapters/sealing.py).
SEAL_FIELDS = _statement("SealFields", ["kms:GenerateDataKey"], [FIELDS_KEY])
OPEN_FIELDS = _statement("OpenFields", ["kms:Decrypt"], [FIELDS_KEY])

# Where the public function writes: a report's case and what derives from it (its keys,
# the count), the idempotency and rate items that guard intake, a partner's batches.
PUBLIC_PARTITIONS = (
    "CASE#*",
    "IDEMPOTENCY#*",
    "RATE#*",
    "MATCHKEY#*",
    "REPORTER#*",
    "SEARCH#*",
    "STATISTICS",
    "PARTNER#*",
    # Evidence: a new original's item and custody, the reporter's withdrawal of the
    # evidence consent (recorded in each chain, the case taken out of unsent packages).
    "EVIDENCE#*",
    "EVIDENCE",
)

# The Telegram bot's own items (chalicelib/adapters/dynamo/keys.py): its conversations, the
# updates it handled, the deletions it planned.
TELEGRAM_PARTITIONS = ("CONVERSATION#telegram:*", "UPDATE#telegram#*", "TIDY")

# What each function may do, and nothing more.
POLICIES: dict[str, list[dict[str, Any]]] = {
    # The public routes: the form, the JSON intake, status, acknowledgement links. They
    # may seal a new report's sensitive fields but never open any (no kms:Decrypt), and
    # never read the audit trail.
    "PublicHandlerRole": [
        LOGS,
        # Blind indexes (sources, reporters' contact details); the form's keys, status
        # codes, and acknowledgement links checked. Never the console's or webhooks' keys.
        SIGNING_KEY,
        FORM_KEY,
        STATUS_KEY,
        ACK_KEY,
        SEAL_FIELDS,
        # One transaction per report: case, alert, idempotency key, rate charge, keys;
        # acknowledgements; a case's status for its reporter, and their withdrawal (a
        # request put beside the case: CarryOutWithdrawals does the rest); a partner's
        # import batches. Never the directory, staff or partners' registrations.
        _under(
            _statement(
                "Cases",
                [
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:ConditionCheckItem",
                ],
                [TABLE],
            ),
            *PUBLIC_PARTITIONS,
        ),
        # Who a partner is (its registration), read only; the health check's item.
        _under(_statement("Registrations", ["dynamodb:GetItem"], [TABLE]), "PARTNERS", "HEALTH"),
        # An acknowledgement is audited: the trail is only ever added to.
        _statement("Audit", ["dynamodb:PutItem"], [AUDIT]),
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
        # Originals kept as evidence: written once (If-None-Match), never read back; the
        # bucket's policy keeps reads to the evidence role whatever is granted here.
        _statement("EvidenceOriginals", ["s3:PutObject"], [EVIDENCE_ORIGINALS]),
        # Listing versions finds what to remove. ListBucket also makes a missing key a
        # 404 rather than a 403, which is how a file that never arrived is told apart.
        _statement("ListFiles", ["s3:ListBucket", "s3:ListBucketVersions"], [UPLOADS_BUCKET]),
    ],
    # The Telegram bot's webhook: checks Telegram's secret and queues the update. Nothing
    # else: no table, no key, no bucket.
    "TelegramHandlerRole": [
        LOGS,
        TELEGRAM_SECRET,
        _statement("Enqueue", ["sqs:SendMessage"], [TELEGRAM_QUEUE]),
    ],
    # The bot's worker: a conversation (sealed with the fields key; opened only when the
    # encryption context is a Telegram conversation's, never a case's), and filing its
    # report as the public function files a form's, its photos included.
    "HandleTelegramUpdatesRole": [
        LOGS,
        SIGNING_KEY,
        # The receipt's status code, and "/status REF CODE" checked as the status page does.
        STATUS_KEY,
        TELEGRAM_SECRET,
        SEAL_FIELDS,
        {
            **_statement("OpenConversations", ["kms:Decrypt"], [FIELDS_KEY]),
            "Condition": {"StringLike": {"kms:EncryptionContext:homeward:case": ["telegram:*"]}},
        },
        _statement(
            "Consume",
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            [TELEGRAM_QUEUE],
        ),
        _under(
            _statement(
                "Cases",
                [
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:ConditionCheckItem",
                ],
                [TABLE],
            ),
            *PUBLIC_PARTITIONS,
            *TELEGRAM_PARTITIONS,
        ),
        _under(_statement("Conversations", ["dynamodb:DeleteItem"], [TABLE]), *TELEGRAM_PARTITIONS),
        _statement(
            "FormUploads",
            ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"],
            [UPLOADS],
        ),
        _statement(
            "CaseFiles",
            ["s3:PutObject", "s3:GetObject", "s3:DeleteObjectVersion"],
            [CASE_FILES],
        ),
        _statement("ListFiles", ["s3:ListBucket", "s3:ListBucketVersions"], [UPLOADS_BUCKET]),
    ],
    # Every minute: conversations due to be deleted from their chats, and forgotten.
    "TidyTelegramChatsRole": [
        LOGS,
        TELEGRAM_SECRET,
        {
            **_statement("OpenConversations", ["kms:Decrypt"], [FIELDS_KEY]),
            "Condition": {"StringLike": {"kms:EncryptionContext:homeward:case": ["telegram:*"]}},
        },
        _under(
            _statement(
                "Conversations",
                ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:DeleteItem"],
                [TABLE],
            ),
            *TELEGRAM_PARTITIONS,
        ),
    ],
    # The staff API (Chalice's APIHandler: every route under /api/v1/staff/).
    "ApiHandlerRole": [
        LOGS,
        SIGNING_KEY,
        SESSION_KEY,
        # Partners' webhook secrets, shown to the coordinator who registers or rotates one.
        WEBHOOK_KEY,
        # Staff are shown cases' sealed fields, as the disclosure policy allows...
        OPEN_FIELDS,
        # ...and seal what they write in free text (notes, break-glass explanations).
        SEAL_FIELDS,
        # Reads of cases, lists and the directory; versioned changes of cases.
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
        # A coordinator's erasure of a person deletes what was derived from a case
        # (services/erasure.py): its candidate pairs (in the cases' partitions), blocking
        # keys, the reporters' index, mandates. Never statistics, idempotency keys, rates
        # or the directory.
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
        # A case's photos and documents, opened in the console through a link this role
        # signs for a minute (only the version the case recorded; only under cases/).
        _statement("CaseFilesRead", ["s3:GetObject", "s3:GetObjectVersion"], [CASE_FILES]),
        # A coordinator's retry of an undelivered alert, or of a failed webhook.
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE, WEBHOOK_QUEUE]),
        # Large exports: written under exports/, fetched by a link this role signs.
        _statement("Exports", ["s3:PutObject", "s3:GetObject"], [EXPORTS]),
    ],
    "DispatchAlertsRole": [
        LOGS,
        READ_STREAM,
        # The directory; the deliveries, and the mandate of the agencies an alert reached
        # (one transaction); a first alert's time to be acknowledged, from its rules; the
        # case's consent as it now is (GetItem: a reporter may have withdrawn it).
        _under(
            _statement(
                "Route",
                ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"],
                [TABLE],
            ),
            "CASE#*",
            "MANDATE#*",
            "DIRECTORY",
            "STATISTICS#*",
        ),
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
        STREAM_ON_FAILURE,
    ],
    "FindMatchesRole": [
        LOGS,
        READ_STREAM,
        # Blocking-key lookups, candidate reports, and the pairs found; the new case's
        # consent as it now is (GetItem: withdrawn since, it is not matched).
        _under(
            _statement(
                "Candidates",
                ["dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:GetItem"],
                [TABLE],
            ),
            "CASE#*",
            "MATCHKEY#*",
        ),
        STREAM_ON_FAILURE,
    ],
    "SendDeliveriesRole": [
        LOGS,
        # Acknowledgement links are signed with their own key, and with nothing else.
        ACK_KEY,
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
        _under(
            _statement("Deliveries", ["dynamodb:UpdateItem", "dynamodb:GetItem"], [TABLE]),
            "CASE#*",
        ),
        # The delivery's contact as the directory has it at send time (issue 22: a
        # corrected address is used), one item read; never the directory changed.
        _under(_statement("Contact", ["dynamodb:GetItem"], [TABLE]), "DIRECTORY"),
        # An SMS's reply code, kept for the contact before the SMS leaves.
        _under(_statement("ReplyCodes", ["dynamodb:PutItem"], [TABLE]), "SMSREPLY#*"),
        EMAIL,
        # SMS goes to phone numbers, which have no ARN: Publish cannot be scoped by the
        # resource. So publishing to any topic is denied: only phone numbers are left.
        _statement("Sms", ["sns:Publish"], ["*"]),
        {
            "Sid": "NoTopics",
            "Effect": "Deny",
            "Action": ["sns:Publish"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}],
        },
    ],
    "EscalateUnacknowledgedRole": [
        LOGS,
        _statement("Waiting", ["dynamodb:Query"], [STATE_INDEX]),
        # The routing rules' escalation policies (the directory).
        _under(_statement("Directory", ["dynamodb:Query"], [TABLE]), "DIRECTORY"),
        # The escalation's outbox item and the waiting alert, in one transaction.
        _under(
            _statement("Escalate", ["dynamodb:PutItem", "dynamodb:UpdateItem"], [TABLE]), "CASE#*"
        ),
    ],
    # SES's bounces, complaints and rejects (infra/operations.py): the delivery failed
    # with its reason, found among its case's deliveries, and its alert's wait cut short.
    "RecordDeliveryEventsRole": [
        LOGS,
        _under(
            _statement("Deliveries", ["dynamodb:UpdateItem", "dynamodb:Query"], [TABLE]), "CASE#*"
        ),
        # SNS invokes it asynchronously: an event that failed Lambda's retries is parked
        # with the failed stream batches (whose alarm pages the operators).
        STREAM_ON_FAILURE,
    ],
    # Replies to alerts' SMS (infra/operations.py's topic): the contact found by number
    # in the directory, the delivery by the contact and code, the delivery marked seen
    # and audited. Nothing else of a case, and no sending.
    "RecordSmsRepliesRole": [
        LOGS,
        _under(_statement("Directory", ["dynamodb:Query"], [TABLE]), "DIRECTORY"),
        _under(_statement("ReplyCodes", ["dynamodb:GetItem"], [TABLE]), "SMSREPLY#*"),
        _under(
            _statement("Deliveries", ["dynamodb:UpdateItem", "dynamodb:Query"], [TABLE]), "CASE#*"
        ),
        _statement("Audit", ["dynamodb:PutItem"], [AUDIT]),
        # Invoked by SNS asynchronously, as RecordDeliveryEvents: failures are parked.
        STREAM_ON_FAILURE,
    ],
    "SendDailyDigestRole": [
        LOGS,
        _statement("Read", ["dynamodb:Query"], [TABLE_INDEXES]),
        _under(_statement("Directory", ["dynamodb:Query"], [TABLE]), "DIRECTORY"),
        _under(_statement("OncePerDay", ["dynamodb:PutItem"], [TABLE]), "DIGEST"),
        EMAIL,
    ],
    # The daily anchor of the custody chains: every chain's head and last stamp read (the
    # evidence partitions only), one time stamp asked of the stage's TSA over their Merkle
    # root, the day's anchor put, and each new head's stamp written with its case.
    "AnchorCustodyRole": [
        LOGS,
        _under(
            _statement(
                "Heads", ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"], [TABLE]
            ),
            "EVIDENCE",
        ),
        _under(
            _statement("Chains", ["dynamodb:Query", "dynamodb:BatchWriteItem"], [TABLE]),
            "EVIDENCE#*",
        ),
    ],
    "RequeueStaleDeliveriesRole": [
        LOGS,
        _statement("Stale", ["dynamodb:Query"], [STATE_INDEX]),
        _statement("Enqueue", ["sqs:SendMessage"], [QUEUE]),
    ],
    # Closed import batches: each recipient's one digest (no sealed field is in one).
    "SendImportDigestsRole": [
        LOGS,
        # Closed batches and their alerts (by_state), the directory, the partner's name.
        _statement("Read", ["dynamodb:Query"], [STATE_INDEX]),
        _under(
            _statement("Partners", ["dynamodb:Query", "dynamodb:GetItem"], [TABLE]),
            "PARTNERS",
            "DIRECTORY",
        ),
        # Claiming a batch's digest, once.
        _under(_statement("Claim", ["dynamodb:UpdateItem"], [TABLE]), "PARTNER#*"),
        EMAIL,
        _statement("Sms", ["sns:Publish"], ["*"]),
        {
            "Sid": "NoTopics",
            "Effect": "Deny",
            "Action": ["sns:Publish"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}],
        },
    ],
    # New webhook items off the stream into the webhook queue: nothing else.
    "QueueWebhooksRole": [
        LOGS,
        READ_STREAM,
        _statement("Enqueue", ["sqs:SendMessage"], [WEBHOOK_QUEUE]),
        STREAM_ON_FAILURE,
    ],
    # Posting webhooks: the webhooks' key (each partner's secret is derived from it), the
    # webhook item and the partner's registration, the queue. No case, no sealed field.
    "SendWebhooksRole": [
        LOGS,
        WEBHOOK_KEY,
        _statement(
            "Consume",
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            [WEBHOOK_QUEUE],
        ),
        {
            **_statement("Webhooks", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [TABLE]),
            # Only the partners' partitions: a webhook item and a registration.
            "Condition": {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["PARTNER#*", "PARTNERS"]}
            },
        },
    ],
    # A reporter's withdrawal, asked for on the public status page, carried out from the
    # table's stream (services/erasure.py): their details and what was derived from the
    # case go, mandates are revoked, unsent alerts stopped. It opens nothing sealed.
    "CarryOutWithdrawalsRole": [
        LOGS,
        READ_STREAM,
        # The case's partition and the directory; the case rewritten, the intake desk's
        # mandate and count; the case's unsent deliveries stopped.
        _under(
            _statement(
                "Withdraw",
                ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                [TABLE],
            ),
            "CASE#*",
            "DIRECTORY",
            "MANDATE#*",
            "STATISTICS",
            "STATISTICS#*",
            # The evidence consent goes too: recorded in each file's chain of custody.
            "EVIDENCE#*",
            "EVIDENCE",
        ),
        {
            **_statement("Derived", ["dynamodb:DeleteItem"], [TABLE]),
            "Condition": {
                "ForAllValues:StringLike": {
                    "dynamodb:LeadingKeys": ["CASE#*", "MATCHKEY#*", "REPORTER#*", "MANDATE#*"]
                }
            },
        },
        _statement("Audit", ["dynamodb:PutItem"], [AUDIT]),
        STREAM_ON_FAILURE,
    ],
    # The retention schedule anonymises cases (services/retention.py). It opens nothing
    # sealed (a sealed group is erased by removing it): no KMS at all.
    # Returned children whose follow-up is late (services/aftercare.py): the due records,
    # the cases' summaries (no sealed field: no KMS), then the record and the desk's alert
    # written together.
    "AlertOverdueFollowUpsRole": [
        LOGS,
        _statement("Due", ["dynamodb:Query"], [STATE_INDEX]),
        _under(
            _statement("Read", ["dynamodb:GetItem", "dynamodb:BatchGetItem"], [TABLE]),
            "AFTERCARE",
            "CASE#*",
        ),
        _under(_statement("Alert", ["dynamodb:PutItem"], [TABLE]), "AFTERCARE", "CASE#*"),
    ],
    "AnonymiseExpiredRole": [
        LOGS,
        # The due cases (the retention index), then each case's partition.
        _under(
            _statement("Due", ["dynamodb:Query"], [RETENTION_INDEX, TABLE]), "RETENTION#*", "CASE#*"
        ),
        # The case item rewritten, its audit entry beside it.
        _under(_statement("Anonymise", ["dynamodb:UpdateItem"], [TABLE]), "CASE#*"),
        # What was derived from it: notes, corrections and pairs (in the case's partition),
        # blocking keys, the reporters' index, staff search keys.
        {
            **_statement("Derived", ["dynamodb:DeleteItem"], [TABLE]),
            "Condition": {
                "ForAllValues:StringLike": {
                    "dynamodb:LeadingKeys": ["CASE#*", "MATCHKEY#*", "REPORTER#*", "SEARCH#*"]
                }
            },
        },
        _statement("Audit", ["dynamodb:PutItem"], [AUDIT]),
        # The return record and what points at it: the record, its referrals in the
        # providers' inboxes, its closure marker go; the child leaves mediation lists.
        _under(
            _statement("ReturnRead", ["dynamodb:GetItem", "dynamodb:Query"], [TABLE]),
            "AFTERCARE",
            "MEDIATION",
        ),
        _under(_statement("MediationLists", ["dynamodb:PutItem"], [TABLE]), "MEDIATION"),
        _under(
            _statement("ReturnErased", ["dynamodb:DeleteItem"], [TABLE]),
            "AFTERCARE",
            "CLOSURES",
            "REFERRALS#*",
        ),
        # Witness statements (services/erasure.py erase_statements): the case's evidence
        # items and withdrawals, and the packages that may hold one, read; each one's
        # sealed words removed with an "erased" entry in its chain. Nothing sealed opened.
        _under(_statement("Statements", ["dynamodb:Query"], [TABLE]), "EVIDENCE#*", "EVIDENCE"),
        _under(
            _statement("StatementsErased", ["dynamodb:UpdateItem", "dynamodb:PutItem"], [TABLE]),
            "EVIDENCE#*",
        ),
        # Every version of the case's files (a plain delete would leave them readable).
        _statement("CaseFiles", ["s3:DeleteObjectVersion"], [CASE_FILES]),
        # Every staff export kept: which list the case is not recorded.
        _statement("Exports", ["s3:DeleteObjectVersion"], [EXPORTS]),
        _statement("ListFiles", ["s3:ListBucketVersions"], [UPLOADS_BUCKET]),
    ],
}


def _union(*roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statements of several roles as one role's: each once, no Sid used twice."""
    statements: list[dict[str, Any]] = []
    for statement in (s for role in roles for s in role):
        if statement in statements:
            continue
        if any(s["Sid"] == statement["Sid"] for s in statements):
            raise ValueError(f"two different statements named {statement['Sid']}")
        statements.append(statement)
    return statements


# One function follows up the stream's new cases, withdrawals and webhooks (DynamoDB
# Streams throttle above two readers per shard; the dispatcher is the other). It may do
# what each of the three did alone, and nothing more: their statements, above, together.
FOLLOW_UP_PARTS = ("FindMatchesRole", "CarryOutWithdrawalsRole", "QueueWebhooksRole")
POLICIES["FollowUpNewItemsRole"] = _union(*(POLICIES.pop(role) for role in FOLLOW_UP_PARTS))

# -- What only a deployed stage has: its own public address ----------------------------
#
# People open the form at https://DomainName: an API Gateway custom domain mapped with an
# empty base path to the API's stage, so no "/api" stage path shows. It is regional, so
# its ACM certificate lives in the stack's own region. Every page links relatively
# (chalicelib/web/pages.py), so the default execute-api URL, under its /api stage path,
# serves the same form before DNS is in place.
PUBLIC_PARAMETERS: dict[str, dict[str, Any]] = {
    "DomainName": {
        "Type": "String",
        "AllowedPattern": r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        "Description": "The stage's own domain, where people open the form: homeward.example.org",
    },
    "CertificateArn": {
        "Type": "String",
        "AllowedPattern": r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$",
        "Description": "An issued ACM certificate for DomainName, in the stack's own region",
    },
    "PublicUrl": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^(https://[^\s/?#]+(/[^\s?#]*[^\s/?#])?)?$",
        "Description": "Where people open the stage, if not https://DomainName (a CDN in front)",
    },
    "HostedZoneId": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": "^(Z[A-Z0-9]{1,31})?$",
        "Description": "DomainName's Route 53 hosted zone, to create its DNS record; "
        "empty: point DomainName at the DomainTarget output yourself",
    },
    "SignInDomainPrefix": {
        "Type": "String",
        # Cognito refuses prefixes with "aws", "amazon" or "cognito" in them.
        "AllowedPattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        "Description": "Staff sign in at https://PREFIX.auth.REGION.amazoncognito.com: "
        "unique in the region, e.g. homeward-prod-staff",
    },
    "AlertSender": {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^([^@\s]+@[^@\s]+)?$",
        "Description": "Alerts' From address, verified in SES (default alerts@DomainName)",
    },
    "HelpLine": {
        "Type": "String",
        "Default": "",
        "MaxLength": 4000,
        "Description": "Whom reporters can call, as JSON (infra/demo/help-line.json shows the "
        "shape; make deploy --help-line FILE); empty: the receipt names nobody",
    },
    "Release": {
        "Type": "String",
        "Default": "unknown",
        "Description": "The commit deployed (infra/deploy.py): what to go back to after a bad one",
    },
}


def deployed_parameters() -> dict[str, dict[str, Any]]:
    """Every parameter of the deployed stack, by name: infra/template.yaml's (without the
    emulation switch), the public address's and the operations' (what `make deploy
    PARAMS=...` may set, and keeps on later deployments)."""
    found = dict(load_template()["Parameters"])
    for name in (EMULATION_PARAMETER, *DERIVED_PARAMETERS):
        found.pop(name)
    return {**found, **PUBLIC_PARAMETERS, **operations.PARAMETERS}


PUBLIC_CONDITIONS = {
    "HasPublicUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PublicUrl"}, ""]}]},
    "ManagesDns": {"Fn::Not": [{"Fn::Equals": [{"Ref": "HostedZoneId"}, ""]}]},
    "HasAlertSender": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertSender"}, ""]}]},
}
PUBLIC_URL = {
    "Fn::If": ["HasPublicUrl", {"Ref": "PublicUrl"}, {"Fn::Sub": "https://${DomainName}"}]
}
# The origin (scheme and host) people open the form at: PublicUrl's host when one is
# given, else the stage's domain. The uploads bucket's CORS lets browsers post files from
# this origin alone (the template's PublicOrigin parameter is the local emulation's).
PUBLIC_ORIGIN = {
    "Fn::If": [
        "HasPublicUrl",
        {
            "Fn::Join": [
                "",
                ["https://", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "PublicUrl"}]}]}],
            ]
        },
        {"Fn::Sub": "https://${DomainName}"},
    ]
}
# Template parameters the deployed stack does not take: it derives them.
DERIVED_PARAMETERS = ("PublicOrigin",)
API_DOMAIN = {
    "ApiDomain": {
        "Type": "AWS::ApiGateway::DomainName",
        "Properties": {
            "DomainName": {"Ref": "DomainName"},
            "RegionalCertificateArn": {"Ref": "CertificateArn"},
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "SecurityPolicy": "TLS_1_2",
        },
    },
    # No BasePath: the stage answers at the domain's root.
    "ApiDomainMapping": {
        "Type": "AWS::ApiGateway::BasePathMapping",
        "Properties": {
            "DomainName": {"Ref": "ApiDomain"},
            "RestApiId": {"Ref": "RestAPI"},
            # SAM's name for the API's stage resource: the mapping waits until it exists.
            "Stage": {"Ref": "RestAPI.Stage"},
        },
    },
    "ApiDomainRecord": {
        "Type": "AWS::Route53::RecordSet",
        "Condition": "ManagesDns",
        "Properties": {
            "HostedZoneId": {"Ref": "HostedZoneId"},
            "Name": {"Ref": "DomainName"},
            "Type": "A",
            "AliasTarget": {
                "DNSName": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]},
                "HostedZoneId": {"Fn::GetAtt": ["ApiDomain", "RegionalHostedZoneId"]},
            },
        },
    },
}
# Staff sign in on Cognito's managed login (its classic hosted UI, which every user pool
# feature plan has): password and TOTP, set at the first sign-in, are entered there and
# nowhere else. The app client is public (no secret: it runs in a browser or on a staff
# laptop) and is given the authorization-code flow only; PKCE (S256) keeps a code that
# another program catches useless. Its callbacks: the staff console on the stage's own
# address, and the `homeward` command's loopback (RFC 8252).
SIGN_IN_URL = {"Fn::Sub": "https://${SignInDomainPrefix}.auth.${AWS::Region}.amazoncognito.com"}
SIGN_IN = {
    "StaffSignIn": {
        "Type": "AWS::Cognito::UserPoolDomain",
        "Properties": {
            "Domain": {"Ref": "SignInDomainPrefix"},
            "UserPoolId": {"Ref": "StaffUserPool"},
            "ManagedLoginVersion": 1,
        },
    },
}
SIGN_IN_CLIENT = {
    "AllowedOAuthFlowsUserPoolClient": True,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": SCOPE.split(),
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": [
        {"Fn::Sub": ["${Url}/staff/callback", {"Url": PUBLIC_URL}]},
        callback_url(),
    ],
    # Signing out of the console signs out of the managed login too, then comes back.
    "LogoutURLs": [{"Fn::Sub": ["${Url}/staff/signed-out", {"Url": PUBLIC_URL}]}],
    "EnableTokenRevocation": True,
}
PUBLIC_OUTPUTS = {
    "FormUrl": {
        "Description": "The public report form",
        "Value": {"Fn::Sub": ["${Url}/", {"Url": PUBLIC_URL}]},
    },
    "DomainTarget": {
        "Description": "Where DomainName's DNS record points (CNAME, or an alias A record)",
        "Value": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]},
    },
    "Release": {"Description": "The commit deployed", "Value": {"Ref": "Release"}},
    "UploadsOrigin": {
        "Description": "The only origin whose pages may post files to the uploads bucket",
        "Value": PUBLIC_ORIGIN,
    },
    "StaffSignInUrl": {
        "Description": "The managed login where staff sign in (homeward login opens it)",
        "Value": SIGN_IN_URL,
    },
    "StaffUserPoolId": {"Value": {"Ref": "StaffUserPool"}},
    "StaffClientId": {"Value": {"Ref": "StaffUserPoolClient"}},
    # `homeward telegram set-webhook` reads the bot's token and secret from it.
    "TelegramBotSecretArn": {
        "Description": "The Telegram bot's token and webhook secret",
        "Value": {"Ref": "TelegramBotSecret"},
    },
}


def add_public_address(template: dict[str, Any]) -> None:
    """The stage's address and its staff sign-in (both deployed only: the local
    emulation has neither API Gateway nor Cognito)."""
    template["Parameters"].update(PUBLIC_PARAMETERS)
    for name in DERIVED_PARAMETERS:
        del template["Parameters"][name]
    cors = template["Resources"]["UploadsBucket"]["Properties"]["CorsConfiguration"]
    for rule in cors["CorsRules"]:
        rule["AllowedOrigins"] = [PUBLIC_ORIGIN]
    template.setdefault("Conditions", {}).update(PUBLIC_CONDITIONS)
    template["Resources"].update(API_DOMAIN)
    template["Resources"].update(SIGN_IN)
    template["Resources"]["StaffUserPoolClient"]["Properties"].update(SIGN_IN_CLIENT)
    template.setdefault("Outputs", {}).update(PUBLIC_OUTPUTS)


ENVIRONMENT = {
    "HOMEWARD_TABLE": {"Ref": "CasesTable"},
    "HOMEWARD_DELIVERY_QUEUE_URL": {"Ref": "DeliveryQueue"},
    "HOMEWARD_WEBHOOK_QUEUE_URL": {"Ref": "WebhookQueue"},
    "HOMEWARD_TELEGRAM_QUEUE_URL": {"Ref": "TelegramQueue"},
    "HOMEWARD_TELEGRAM_SECRET": {"Ref": "TelegramBotSecret"},
    "HOMEWARD_SIGNING_KEY_SECRET": {"Ref": "SigningKey"},
    "HOMEWARD_SESSION_KEY_SECRET": {"Ref": "ConsoleSessionKey"},
    "HOMEWARD_FORM_KEY_SECRET": {"Ref": "FormKey"},
    "HOMEWARD_ACK_KEY_SECRET": {"Ref": "AckLinkKey"},
    "HOMEWARD_STATUS_KEY_SECRET": {"Ref": "StatusCodeKey"},
    "HOMEWARD_WEBHOOK_KEY_SECRET": {"Ref": "WebhookKey"},
    "HOMEWARD_AUDIT_TABLE": {"Ref": "AuditTable"},
    "HOMEWARD_TOKEN_ISSUER": {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${StaffUserPool}"
    },
    "HOMEWARD_TOKEN_AUDIENCE": {"Ref": "StaffUserPoolClient"},
    "HOMEWARD_UPLOADS_BUCKET": {"Ref": "UploadsBucket"},
    "HOMEWARD_EVIDENCE_BUCKET": {"Ref": "EvidenceBucket"},
    "HOMEWARD_FIELDS_KEY": {"Fn::GetAtt": ["FieldsKey", "Arn"]},
    # Acknowledgement links point here; a deployed function refuses to start without it.
    "HOMEWARD_PUBLIC_URL": PUBLIC_URL,
    # GET /api/v1/sign-in tells `homeward login` where staff sign in.
    "HOMEWARD_SIGN_IN_URL": SIGN_IN_URL,
    # An address of the stage's own domain, which SES must have verified (with DKIM);
    # replaces .chalice/config.json's placeholder.
    "HOMEWARD_ALERT_SENDER": ALERT_SENDER,
    "HOMEWARD_SES_CONFIGURATION_SET": {"Ref": "AlertsConfigurationSet"},
    # The SMS policy (infra/operations.py's parameters; chalicelib/config.py).
    "HOMEWARD_SMS_FOR": {"Ref": "SmsFor"},
    "HOMEWARD_SMS_ONE_PART": {"Ref": "SmsOnePart"},
    "HOMEWARD_SMS_MAX_PRICE": {"Ref": "SmsMaxPriceUsd"},
    "HOMEWARD_SMS_REPLY_NUMBER": {"Ref": "SmsReplyNumber"},
    # Whom the receipt and the status page tell a reporter to call (config.py, HelpLine).
    "HOMEWARD_HELP_LINE": {"Ref": "HelpLine"},
}


def _new(*kinds: str) -> str:
    """An event filter: only new items of these kinds wake the function."""
    return json.dumps(
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": list(kinds)}}}}
    )


def _stream_source(*kinds: str) -> dict[str, Any]:
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
            "FilterCriteria": {"Filters": [{"Pattern": _new(*kinds)}]},
        },
    }


# What only the emulation needs (infra/local deploys template.yaml with Emulated=true to
# leave out what moto cannot create). The deployed template has no such switch.
EMULATION_PARAMETER = "Emulated"
EMULATION_CONDITION = "InAws"


def _in_aws(node: Any) -> Any:
    """A property chosen by the switch (`Fn::If: [InAws, deployed, emulated]`) as deployed."""
    if isinstance(node, dict):
        chosen = node.get("Fn::If")
        if len(node) == 1 and isinstance(chosen, list) and chosen[0] == EMULATION_CONDITION:
            return _in_aws(chosen[1])
        return {key: _in_aws(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_in_aws(item) for item in node]
    return node


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
    template["Resources"] = _in_aws(template["Resources"])
    # Anything else still naming the switch (an Fn::If, a condition built on it) would
    # be a dangling reference: refuse rather than deploy a template CloudFormation rejects.
    leftover = json.dumps(template)
    for name in (EMULATION_PARAMETER, EMULATION_CONDITION):
        if f'"{name}"' in leftover:
            raise ValueError(f"infra/template.yaml still refers to {name} beyond what is stripped")
    return template


# Chalice puts every route in one function (APIHandler). The public routes are given a
# function and a role of their own, so that what anyone on the internet can call can
# never decrypt a case, read the audit trail or the directory (issues 12 and 16). The
# staff console (/staff/...) is staff's: it stays in the staff function, with its role.
STAFF_PREFIX = "/api/v1/staff"
CONSOLE = "/staff"


# The Telegram bot's webhook has its own function too (chalicelib/web/telegram.py).
TELEGRAM_PREFIX = "/telegram/"


def is_telegram(path: str) -> bool:
    return path.startswith(TELEGRAM_PREFIX)


def is_public(path: str) -> bool:
    console = path == CONSOLE or path.startswith(f"{CONSOLE}/")
    return not (path.startswith(STAFF_PREFIX) or console or is_telegram(path))


def route_role(path: str) -> str:
    """The role of the function API Gateway sends a route to."""
    if is_telegram(path):
        return "TelegramHandlerRole"
    return "PublicHandlerRole" if is_public(path) else "ApiHandlerRole"


def telegram_routes() -> list[tuple[str, str]]:
    import app

    return sorted(
        (path, method)
        for path, methods in app.app.routes.items()
        if is_telegram(path)
        for method in methods
    )


def public_routes() -> list[tuple[str, str]]:
    """(path, method) of every route the public function serves, from the app itself."""
    import app

    return sorted(
        (path, method)
        for path, methods in app.app.routes.items()
        if is_public(path)
        for method in methods
    )


def _chalice_function_settings() -> dict[str, Any]:
    """What Chalice gives its own functions (.chalice/config.json), for the public one."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {
        "Timeout": config.get("lambda_timeout", 60),
        "MemorySize": config.get("lambda_memory_size", 128),
    }


def add_public_function(template: dict[str, Any], stage: str) -> None:
    _add_route_function(template, stage, "PublicHandler", "public", public_routes())


def add_telegram_function(template: dict[str, Any], stage: str) -> None:
    """The Telegram bot's webhook, alone in a function and a role of its own."""
    _add_route_function(template, stage, "TelegramHandler", "telegram", telegram_routes())


def _add_route_function(
    template: dict[str, Any], stage: str, name: str, serves: str, routes: list[tuple[str, str]]
) -> None:
    resources = template["Resources"]
    resources[name] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Runtime": RUNTIME,
            "Handler": "app.app",
            "CodeUri": "./deployment.zip",
            "Architectures": ["x86_64"],
            "Tracing": "PassThrough",
            **_chalice_function_settings(),
            "Role": {"Fn::GetAtt": [f"{name}Role", "Arn"]},
            "Environment": {
                "Variables": {**ENVIRONMENT, "HOMEWARD_STAGE": stage, "HOMEWARD_SERVES": serves}
            },
        },
    }
    resources[f"{name}Role"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        },
    }
    resources[f"{name}InvokePermission"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": name},
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                "${RestAPI}/*"
            },
        },
    }
    integration = {
        "uri": {
            "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
            f"2015-03-31/functions/${{{name}.Arn}}/invocations"
        }
    }
    paths = (
        resources.setdefault("RestAPI", {})
        .setdefault("Properties", {})
        .setdefault("DefinitionBody", {})
        .setdefault("paths", {})
    )
    for path, method in routes:
        paths.setdefault(path, {})[method.lower()] = {
            "x-amazon-apigateway-integration": dict(integration)
        }


def merge_template(stage: str) -> dict[str, Any]:
    template = strip_emulation(load_template())
    template["Parameters"]["Stage"]["Default"] = stage
    add_public_address(template)
    resources = template["Resources"]
    add_public_function(template, stage)
    add_telegram_function(template, stage)
    for role, statements in POLICIES.items():
        policy = {
            "PolicyName": role.removesuffix("Role"),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        }
        # Every function uses the stage's data key: its queues, bucket, secret and tables
        # are encrypted with it (infra/template.yaml).
        policy["PolicyDocument"]["Statement"] = [*statements, operations.USE_DATA_KEY]
        properties = resources.setdefault(role, {}).setdefault("Properties", {})
        properties["Policies"] = [policy]
        # A fixed name: the stage's keys name their users by it (infra/template.yaml).
        properties["RoleName"] = operations.role_name(role)
    functions = (
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
    )
    for function in functions:
        # What the function serves, so that app.py imports only that (chalicelib/web/
        # blueprints.py): the staff routes for Chalice's APIHandler, none for the others.
        serves = "staff" if function == "APIHandler" else "events"
        variables = {**ENVIRONMENT, "HOMEWARD_SERVES": serves}
        resources[function] = {"Properties": {"Environment": {"Variables": variables}}}
    # The anchor reads every case that has evidence, one query each: tens of thousands
    # at a registry's scale, past the 30 s the other functions have (make bench anchor).
    resources["AnchorCustody"]["Properties"]["Timeout"] = 900
    # Only the anchor talks to the Time-Stamp Authority (infra/operations.py parameters).
    resources["AnchorCustody"]["Properties"]["Environment"]["Variables"].update(
        HOMEWARD_TSA_URL={"Ref": "TimeStampAuthorityUrl"},
        HOMEWARD_TSA_CERTIFICATE={"Ref": "TimeStampAuthorityCertificate"},
    )
    resources["DispatchAlerts"]["Properties"]["Events"] = {
        "DispatchAlertsDynamodbEventSource": _stream_source("alert")
    }
    # The stream's only other reader (at most two per shard): what app.py's handler follows up.
    resources["FollowUpNewItems"]["Properties"]["Events"] = {
        "FollowUpNewItemsDynamodbEventSource": _stream_source(*sorted(handlers.FOLLOW_UPS))
    }
    # The staff routes' Cognito authorizer points at the template's user pool.
    resources["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"] = {
        "StaffPool": {
            "x-amazon-apigateway-authorizer": {
                "providerARNs": [{"Fn::GetAtt": ["StaffUserPool", "Arn"]}]
            }
        }
    }
    resources["SendDeliveries"]["Properties"]["Events"] = {
        "SendDeliveriesSqsEventSource": {
            "Type": "SQS",
            "Properties": {
                "Queue": QUEUE,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                # At most this many senders at once: SES and SNS have send rates too.
                "ScalingConfig": {"MaximumConcurrency": operations.SENDER_MAX_CONCURRENCY},
            },
        }
    }
    resources["SendWebhooks"]["Properties"]["Events"] = {
        "SendWebhooksSqsEventSource": {
            "Type": "SQS",
            "Properties": {
                "Queue": WEBHOOK_QUEUE,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                # Partners' endpoints are slow at worst (5 s each): a few senders suffice.
                "ScalingConfig": {"MaximumConcurrency": 2},
            },
        }
    }
    resources["HandleTelegramUpdates"]["Properties"]["Events"] = {
        "HandleTelegramUpdatesSqsEventSource": {
            "Type": "SQS",
            "Properties": {
                "Queue": TELEGRAM_QUEUE,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": 5},
            },
        }
    }
    resources["RecordDeliveryEvents"]["Properties"]["Events"] = {
        "RecordDeliveryEventsSnsSubscription": {
            "Type": "SNS",
            "Properties": {"Topic": {"Ref": "DeliveryEventsTopic"}},
        }
    }
    resources["RecordDeliveryEvents"]["Properties"]["DeadLetterQueue"] = {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]},
    }
    resources["RecordSmsReplies"]["Properties"]["Events"] = {
        "RecordSmsRepliesSnsSubscription": {
            "Type": "SNS",
            "Properties": {"Topic": {"Ref": "SmsRepliesTopic"}},
        }
    }
    resources["RecordSmsReplies"]["Properties"]["DeadLetterQueue"] = {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]},
    }
    operations.add_operations(template)
    return template


# Chalice deploys the Python it runs on (it has no setting for the runtime), so the
# package is built by a Python 3.13 of its own (`builder_python`), whatever Python runs
# this module and the tests. Lambda's python3.13 runs on Amazon Linux 2023: glibc 2.34
# and gcc 11's libstdc++. A native library that asks for a newer symbol version fails
# to import there, which no test on this host can notice (README, "Deploying").
RUNTIME = "python3.13"
RUNTIME_PYTHON = (3, 13)
RUNTIME_VERSIONS = {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13)}
# The builder's venv: the runtime's dependencies (pyproject.toml) and Chalice, nothing else.
# (make bench points a copy of the project at this one: HOMEWARD_BUILDER_VENV)
BUILDER_VENV = Path(os.environ.get("HOMEWARD_BUILDER_VENV") or ROOT / ".venv-lambda")
HOW_TO_GET_PYTHON = (
    "make package builds the Lambda package (runtime python3.13) with a Python 3.13 and "
    "found none: tried `python3.13` on PATH and `PYENV_VERSION=3.13.0 python3`. Install one "
    "(pyenv install 3.13.0, or Debian/Ubuntu's python3.13 and python3.13-venv), or name it: "
    "make package PYTHON313=/path/to/python3.13"
)
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


def find_python313() -> str:
    """A Python 3.13 interpreter's path: $PYTHON313, `python3.13` on PATH, or pyenv's 3.13.0
    (`PYENV_VERSION=3.13.0 python3`); a pyenv shim on PATH answers only when its version
    is selected, so each candidate is asked for its version rather than looked up."""
    wanted = ".".join(map(str, RUNTIME_PYTHON))
    probe = f"import sys; assert sys.version_info[:2] == {RUNTIME_PYTHON!r}; print(sys.executable)"
    candidates = [
        ([os.environ["PYTHON313"]], {}) if os.environ.get("PYTHON313") else None,
        ([f"python{wanted}"], {}),
        (["python3"], {"PYENV_VERSION": f"{wanted}.0"}),
    ]
    for command, extra in filter(None, candidates):
        try:
            answer = subprocess.run(
                [*command, "-c", probe],
                env={**os.environ, **extra},
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError:
            continue
        if answer.returncode == 0 and answer.stdout.strip():
            return answer.stdout.strip()
    raise SystemExit(HOW_TO_GET_PYTHON)


def builder_python() -> Path:
    """The venv that runs `chalice package`: created with a Python 3.13 and given the
    runtime's dependencies, again only when pyproject.toml's list changes."""
    import tomllib

    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    python = BUILDER_VENV / "bin" / "python"
    stamp = BUILDER_VENV / ".installed"
    if python.exists() and stamp.exists() and stamp.read_text() == "\n".join(wanted):
        return python
    if not python.exists():
        subprocess.run([find_python313(), "-m", "venv", str(BUILDER_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *wanted], check=True)
    stamp.write_text("\n".join(wanted))
    return python


def build(stage: str, out: Path) -> Path:
    """Run `chalice package` (with the Python 3.13 of `builder_python`) on the merged
    template; return deployment.zip's path."""
    merge = ROOT / "build" / f"merge-{stage}.json"
    merge.parent.mkdir(parents=True, exist_ok=True)
    merge.write_text(json.dumps(merge_template(stage), indent=2))
    python = builder_python()
    subprocess.run(
        [
            str(python.with_name("chalice")),
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
