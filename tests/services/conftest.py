"""Service tests run on the in-memory fakes (tests/fakes.py): no AWS, no moto."""

import datetime as dt

import pytest
from fakes import FakePipeline, db_of, fake_stores
from helpers import demo_directory

from chalicelib import config

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def settings():
    return config.load({"HOMEWARD_STAGE": "local", "HOMEWARD_SIGNING_KEY": "service-tests"})


@pytest.fixture
def stores():
    """Fake stores holding the demo directory."""
    stores = fake_stores()
    directory = demo_directory()
    uow = stores.unit_of_work()
    stores.directory.change(uow, 0, contacts=directory.contacts, rules=directory.rules)
    uow.commit()
    return stores


@pytest.fixture
def db(stores):
    return db_of(stores)


@pytest.fixture
def pipeline(stores, settings):
    return FakePipeline(stores, settings)
