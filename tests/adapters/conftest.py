"""Every contract test runs twice: on the in-memory fakes and on DynamoDB (moto)."""

import pytest
from fakes import fake_stores


@pytest.fixture(params=["fake", "dynamodb"])
def stores(request):
    if request.param == "fake":
        return fake_stores()
    request.getfixturevalue("aws")
    from chalicelib import wiring

    return wiring.stores()
