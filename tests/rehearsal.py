"""A deploy rehearsal without AWS: the SAM transform CloudFormation applies, offline, and
the result made fit for moto's CloudFormation (what moto cannot create left out).

Shared by tests/infra/test_packaging.py (the package deploys) and tests/infra/test_deploy.py
(`make deploy` creates and executes its change set).
"""

from __future__ import annotations

import copy
import json
import re

REGION = "eu-central-1"
# where `aws cloudformation package` would upload deployment.zip
ARTIFACTS = "homeward-artifacts"
# The stack parameters a first deployment is given (infra/package.py, PUBLIC_PARAMETERS).
PARAMETERS = {
    "DomainName": "homeward.example.org",
    "CertificateArn": (
        f"arn:aws:acm:{REGION}:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    ),
    "SignInDomainPrefix": "homeward-dev-staff",
}

# moto's CloudFormation cannot create these, so the rehearsal leaves them out and gives
# what refers to them a stand-in value; cfn-lint and the SAM transform still check them.
# A type that moto cannot create and that is missing here fails the rehearsal.
MOTO_CANNOT_CREATE = {
    "AWS::SecretsManager::Secret": "no CloudFormation model in moto 5",
    "AWS::Cognito::UserPool": "no CloudFormation model in moto 5",
    "AWS::Cognito::UserPoolClient": "no CloudFormation model in moto 5",
    "AWS::Cognito::UserPoolGroup": "no CloudFormation model in moto 5",
    "AWS::Cognito::UserPoolDomain": "no CloudFormation model in moto 5",
    "AWS::Cognito::UserPoolResourceServer": "no CloudFormation model in moto 5",
    "AWS::CloudWatch::Alarm": "no CloudFormation model in moto 5",
    "AWS::S3::BucketPolicy": "no CloudFormation model in moto 5",
    "AWS::ApiGateway::Stage": "no CloudFormation model in moto 5",
    "AWS::ApiGateway::DomainName": "no CloudFormation model in moto 5",
    "AWS::ApiGateway::BasePathMapping": "no CloudFormation model in moto 5",
    # moto ignores a RestApi's Body (the OpenAPI definition Chalice generates), so the API
    # has no methods there and moto refuses to deploy it.
    "AWS::ApiGateway::Deployment": "moto's RestApi ignores Body: nothing to deploy",
    "AWS::ApiGateway::Account": "no CloudFormation model in moto 5",
    "AWS::WAFv2::WebACL": "no CloudFormation model in moto 5",
    "AWS::WAFv2::WebACLAssociation": "no CloudFormation model in moto 5",
    "AWS::WAFv2::IPSet": "no CloudFormation model in moto 5",
    "AWS::Budgets::Budget": "no CloudFormation model in moto 5",
    "AWS::Backup::BackupVault": "no CloudFormation model in moto 5",
    "AWS::Backup::BackupPlan": "no CloudFormation model in moto 5",
    "AWS::Backup::BackupSelection": "no CloudFormation model in moto 5",
    "AWS::SNS::TopicPolicy": "no CloudFormation model in moto 5",
    "AWS::SES::ConfigurationSet": "no CloudFormation model in moto 5",
    "AWS::SES::ConfigurationSetEventDestination": "no CloudFormation model in moto 5",
    "AWS::SES::EmailIdentity": "no CloudFormation model in moto 5",
    "AWS::SNS::Subscription": "no CloudFormation model in moto 5 (only inline subscriptions)",
}


class _NoManagedPolicies:
    """The SAM translator's managed-policy lookup, without AWS: the template names no
    managed policy (each role's policy is inline, infra/package.py)."""

    def load(self):
        return {}


def lint_errors(template: dict) -> list[str]:
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=[REGION])
    return [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
        for m in matches
        if m.rule.id.startswith("E")
    ]


def sam_transform(template: dict) -> dict:
    """What CloudFormation's AWS::Serverless-2016-10-31 transform makes of `template`."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    try:
        return transform(copy.deepcopy(template), {}, _NoManagedPolicies())
    except InvalidDocumentException as error:
        raise AssertionError(
            "SAM transform failed: " + "; ".join(str(c) for c in error.causes)
        ) from None


def _stand_ins(template: dict, missing: set[str]) -> dict:
    """template with every Ref, GetAtt and ${...} of a missing resource made a literal."""

    def literal(name: str, attribute: str = "") -> str:
        return f"arn:aws:stand-in:{REGION}:123456789012:{name}{attribute}"

    def walk(node):
        if isinstance(node, dict):
            if node.keys() == {"Ref"} and node["Ref"] in missing:
                return literal(node["Ref"])
            if node.keys() == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] in missing:
                return literal(*node["Fn::GetAtt"])
            if node.keys() == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
                return {
                    "Fn::Sub": re.sub(
                        r"\$\{(\w+)(\.\w+)?\}",
                        lambda m: literal(m[1]) if m[1] in missing else m[0],
                        node["Fn::Sub"],
                    )
                }
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    template = walk(template)
    for resource in template["Resources"].values():
        depends = resource.get("DependsOn")
        if depends is not None:
            depends = [depends] if isinstance(depends, str) else depends
            resource["DependsOn"] = [name for name in depends if name not in missing]
    return template


def for_moto(transformed: dict) -> tuple[dict, list[str]]:
    """The transformed template without what moto cannot create; and the types left out."""
    from moto.cloudformation.parsing import get_model_map

    template = copy.deepcopy(transformed)
    resources = template["Resources"]
    unknown = {r["Type"] for r in resources.values()} - set(get_model_map())
    assert unknown <= set(MOTO_CANNOT_CREATE), f"moto cannot create {unknown}: explain it above"
    missing = {name for name, r in resources.items() if r["Type"] in MOTO_CANNOT_CREATE}
    for name in missing:
        del resources[name]
    template = _stand_ins(template, missing)
    # moto needs the RestApi's Name, which AWS takes from the OpenAPI title.
    api = template["Resources"]["RestAPI"]["Properties"]
    api.setdefault("Name", api["Body"]["info"]["title"])
    return template, sorted({transformed["Resources"][name]["Type"] for name in missing})
