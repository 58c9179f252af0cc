"""Schemathesis over the whole OpenAPI document, against the local runner.

Every operation, through schemathesis's coverage phase (less its repeated wrong types: see
`fewer_coverage_cases`) and a few random cases each; every response must be no 5xx, have a
documented status code and content type, and match its schema. Staff operations run with a
coordinator's token; the partner API's with a registered partner's token (both scopes, a quota
no example meets), so its routes are fuzzed past the token check rather than answering 401 to
every case.
"""

import json
import os
import urllib.error
import urllib.request

import pytest
import schemathesis
from helpers import local_runner
from hypothesis import HealthCheck, settings
from schemathesis.generation.meta import CoverageScenario

from chalicelib.adapters.tokens import mint_dev_partner_token, mint_dev_token
from chalicelib.web.partners import PARTNER

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
    schema = schemathesis.openapi.from_url(f"{live}/openapi.json")
    if os.environ.get("HOMEWARD_OPENAPI_COVERAGE") != "all":
        schema.hook(fewer_coverage_cases())
    return schema


def fewer_coverage_cases():
    """The coverage phase, less what repeats itself or never reaches Homeward's code.

    - A field sent with a wrong type: the phase sends it once per JSON type it is not (a
      string as a number, a boolean, an array, an object, null), five or six cases all answered
      by the same validation: over a third of the cases. Kept: the first of them (for a
      string field, a number), for every field of every operation and location; null and
      the other types run in the bench.
    - A method the route does not declare: the runner's router answers 405, and a deployed API
      Gateway answers it before any function runs.
    Every other coverage case is sent. `make bench fuzz` runs the phase whole
    (HOMEWARD_OPENAPI_COVERAGE=all)."""
    typed = set()

    def filter_case(context, case):
        phase = case.meta.phase.data if case.meta else None
        scenario = getattr(phase, "scenario", None)
        if scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD:
            return False
        if scenario != CoverageScenario.INCORRECT_TYPE:
            return True
        field = (case.operation.label, phase.parameter_location, phase.parameter, phase.description)
        if field in typed:
            return False
        typed.add(field)
        return True

    return filter_case


@pytest.fixture(scope="module")
def coordinator(dev_key):
    return {
        "Authorization": f"Bearer {mint_dev_token(dev_key, role='coordinator', agency='UA-NIB')}"
    }


@pytest.fixture(scope="module")
def partner(live, dev_key, coordinator):
    """A partner registered through the staff API, and its token's header."""
    body = {"client_id": "fuzz-ngo", "name": "Fuzzing NGO", "quota_per_minute": 6000}
    request = urllib.request.Request(
        f"{live}/api/v1/staff/partners/fuzz-ngo",
        data=json.dumps(body).encode(),
        headers={**coordinator, "Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
    return {"Authorization": f"Bearer {mint_dev_partner_token(dev_key, client_id='fuzz-ngo')}"}


def caller(case, coordinator, partner) -> dict:
    return partner if case.operation.path.startswith(PARTNER) else coordinator


schema = schemathesis.pytest.from_fixture("api_schema")

# Random cases an operation after the coverage phase: small here (make test stays under 6
# minutes); `make bench fuzz` runs more (HOMEWARD_OPENAPI_EXAMPLES).
EXAMPLES = int(os.environ.get("HOMEWARD_OPENAPI_EXAMPLES", "3"))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case, coordinator, partner):
    case.call_and_validate(headers=caller(case, coordinator, partner), checks=CHECKS)


def test_the_partner_token_reaches_the_partner_routes(live, partner):
    """What the fuzzing above relies on: a partner's case is answered by the route itself
    (a 404 for an id it never filed), not refused at the door (401, 403)."""
    request = urllib.request.Request(f"{live}{PARTNER}/reports/NEVER-FILED", headers=partner)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 404
