"""What `make deploy` checks in the account before it builds anything: each check says what
it found and, when something is wrong, what to do. A problem that would make the stack
fail stops the deployment here, minutes before CloudFormation would; one that would only
keep alerts from going out is a warning (a stage may be deployed before it is public).

- the account's Lambda concurrency quota, which decides ReserveConcurrency (a new
  account's default quota cannot hold the alert path's reservations);
- SES production access, and the alert sender's domain verified;
- the SMS sandbox;
- the Cognito sign-in prefix, free or already this stage's;
- the certificate: issued, in the stack's region, for the stage's domain;
- no other stage in the account and region: what is the account's, not a stage's (API
  Gateway's logging role, SNS's SMS settings and its delivery-status log groups), is
  owned by the one stage there (README, Deploying: one stage per account).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra import operations

# Lambda keeps this many executions unreserved in every account and region: a function's
# reservation that would leave fewer is refused (and with it the stack).
UNRESERVED_MINIMUM = 100
# Service Quotas' code of "Concurrent executions" (Lambda).
CONCURRENCY_QUOTA_CODE = "L-B99A9384"


# A stage's stack (infra/deploy.py names it homeward-STAGE).
STAGE_STACK = re.compile(r"^homeward-[a-z][a-z0-9-]{1,20}$")


class Stop(Exception):
    """A pre-flight finding that would make the deployment fail."""


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    said: str
    fatal: bool = False

    def line(self) -> str:
        mark = "ok  " if self.ok else ("STOP" if self.fatal else "warn")
        return f"  {mark}  {self.check}: {self.said}"


def reserved_now(lambda_client: Any, stage: str) -> int:
    """What this stage's functions reserve today (an update gives it back first)."""
    from botocore.exceptions import ClientError

    total = 0
    for name in operations.RESERVED_CONCURRENCY:
        function = f"homeward-{stage}-{operations._kebab(name)}"
        try:
            found = lambda_client.get_function_concurrency(FunctionName=function)
        except ClientError:
            continue  # not created yet
        total += found.get("ReservedConcurrentExecutions") or 0
    return total


def concurrency(lambda_client: Any, stage: str, wanted: str | None) -> tuple[str, Finding]:
    """ReserveConcurrency to deploy with: `wanted` ("true"/"false") when the operator
    chose, else what the account's quota holds."""
    needed = sum(operations.RESERVED_CONCURRENCY.values())
    if wanted == "false":
        return "false", Finding(
            "concurrency", True, "no reservations (ReserveConcurrency=false, as asked)"
        )
    limit = lambda_client.get_account_settings()["AccountLimit"]
    quota = limit["ConcurrentExecutions"]
    left = limit["UnreservedConcurrentExecutions"] + reserved_now(lambda_client, stage) - needed
    if left >= UNRESERVED_MINIMUM:
        return "true", Finding(
            "concurrency",
            True,
            f"quota {quota}: the alert path reserves {needed}, {left} stay unreserved",
        )
    ask = (
        f"ask AWS for more: aws service-quotas request-service-quota-increase --service-code "
        f"lambda --quota-code {CONCURRENCY_QUOTA_CODE} --desired-value 1000 (README, Deploying)"
    )
    short = (
        f"quota {quota}: reserving {needed} for the alert path would leave {left} unreserved, "
        f"below Lambda's minimum of {UNRESERVED_MINIMUM}"
    )
    if wanted == "true":
        return "true", Finding(
            "concurrency", False, f"{short}: the functions would fail; {ask}", fatal=True
        )
    return "false", Finding(
        "concurrency",
        False,
        f"{short}: deploying without reservations (ReserveConcurrency=false), so a flood on "
        f"the form can starve the alert path; {ask}, then make deploy "
        "PARAMS=ReserveConcurrency=true",
    )


def sign_in_prefix(cognito: Any, prefix: str, own_pool: str | None) -> Finding:
    """The managed login's prefix: free, or this stage's own pool's already. (Cognito
    answers for this account's domains; another account's prefix fails the creation,
    which then rolls back whole.)"""
    found = cognito.describe_user_pool_domain(Domain=prefix).get("DomainDescription") or {}
    pool = found.get("UserPoolId")
    if not pool:
        return Finding("sign-in prefix", True, f"{prefix} is free")
    if pool == own_pool:
        return Finding("sign-in prefix", True, f"{prefix} is this stage's")
    return Finding(
        "sign-in prefix",
        False,
        f"{prefix} is taken by user pool {pool}: choose another (--sign-in-prefix, "
        "HOMEWARD_SIGN_IN_PREFIX)",
        fatal=True,
    )


def ses_account(sesv2: Any) -> Finding:
    if sesv2.get_account().get("ProductionAccessEnabled"):
        return Finding("SES", True, "production access")
    return Finding(
        "SES",
        False,
        "in its sandbox: 200 e-mails a day, to verified addresses only. Request production "
        "access (SES console, Account dashboard) before the first real alert",
    )


def ses_identity(sesv2: Any, domain: str) -> Finding:
    from botocore.exceptions import ClientError

    unverified = Finding(
        "SES identity",
        False,
        f"{domain} is not verified (with DKIM): no alert e-mail goes out until the "
        "stack's DkimRecord1..3 outputs are in its DNS",
    )
    try:
        found = sesv2.get_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NotFoundException":
            return unverified
        raise
    if found.get("VerifiedForSendingStatus"):
        return Finding("SES identity", True, f"{domain} verified")
    return unverified


def sms_sandbox(sns: Any) -> Finding:
    if sns.get_sms_sandbox_account_status().get("IsInSandbox"):
        return Finding(
            "SMS",
            False,
            "in its sandbox: verified numbers only, 1 USD a month. Request production "
            "access and a spend limit (SNS console, Text messaging)",
        )
    return Finding("SMS", True, "out of the sandbox")


def run(checks: list[tuple[str, Callable[[], Finding]]]) -> list[Finding]:
    """Every check, each on its own: one AWS cannot answer (a missing permission) is a
    warning that says so, never the end of the others."""
    found = []
    for name, check in checks:
        try:
            found.append(check())
        except Stop as stop:
            found.append(Finding(name, False, str(stop), fatal=True))
        except Exception as error:
            found.append(Finding(name, False, f"could not check ({type(error).__name__})"))
    return found


def other_stages(cloudformation: Any, stack: str) -> Finding:
    """Another stage's stack in this account and region: its account-wide resources (the
    SMS delivery-status log groups' fixed names, the account's API Gateway logging role
    and SMS attributes) would clash with this one's."""
    others = sorted(
        found["StackName"]
        for page in cloudformation.get_paginator("list_stacks").paginate()
        for found in page["StackSummaries"]
        if found["StackStatus"] != "DELETE_COMPLETE"
        and STAGE_STACK.match(found["StackName"])
        and found["StackName"] != stack
    )
    if not others:
        return Finding("account", True, "no other stage in this account and region")
    return Finding(
        "account",
        False,
        f"{', '.join(others)} already in this account and region: a stage owns the "
        "account's API Gateway logging role, SMS settings and SMS delivery logs, so each "
        "stage goes to an account of its own (README, Deploying: one stage per account)",
        fatal=True,
    )
