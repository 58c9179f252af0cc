"""Schemathesis over the whole OpenAPI document, against the local runner.

Bounded in examples; every response must be no 5xx, have a documented status code and
content type, and match its schema. Staff operations run with a coordinator's token.
"""

import pytest
import schemathesis
from helpers import local_runner
from hypothesis import HealthCheck, settings

from chalicelib.adapters.tokens import mint_dev_token

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live(tmp_path_factory, dev_key):
    log = tmp_path_factory.mktemp("fuzz") / "runner.log"
    with local_runner(log, HOMEWARD_DEV_KEY_FILE=str(dev_key), HOMEWARD_RATE_LIMIT="100000") as (
        base,
        _,
        _,
    ):
        yield base


@pytest.fixture(scope="module")
def api_schema(live):
    return schemathesis.openapi.from_url(f"{live}/openapi.json")


@pytest.fixture(scope="module")
def coordinator(dev_key):
    return {
        "Authorization": f"Bearer {mint_dev_token(dev_key, role='coordinator', agency='UA-NIB')}"
    }


schema = schemathesis.pytest.from_fixture("api_schema")

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case, coordinator):
    case.call_and_validate(headers=coordinator, checks=CHECKS)
