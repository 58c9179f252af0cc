"""What `make package` really builds, once per session, for every test that needs it."""

import copy
import json
import time

import pytest
from rehearsal import ARTIFACTS, sam_transform

from infra import package


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """What `make package` leaves in build/package/dev: sam.json and deployment.zip."""
    out = tmp_path_factory.mktemp("package") / "dev"
    started = time.perf_counter()
    package.build("dev", out)
    print(f"\nchalice package: {time.perf_counter() - started:.1f} s")
    return out


@pytest.fixture(scope="session")
def sam_template(built):
    return json.loads((built / "sam.json").read_text())


@pytest.fixture(scope="session")
def transformed(sam_template):
    """The SAM transform CloudFormation applies on deploy, after `aws cloudformation
    package` has uploaded deployment.zip (hence an S3 CodeUri)."""
    template = copy.deepcopy(sam_template)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            assert resource["Properties"]["CodeUri"] == "./deployment.zip"
            resource["Properties"]["CodeUri"] = f"s3://{ARTIFACTS}/deployment.zip"
    return sam_transform(template)
