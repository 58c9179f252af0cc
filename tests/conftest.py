"""Shared fixtures: the template deployed into moto, the app pointed at it, and an event pump.

Every test that touches AWS gets a fresh emulated account, so tests never see each
other's cases or messages.
"""

from __future__ import annotations

import copy
import json
import os

import pytest
from helpers import EXAMPLE_REPORT

from infra.local import emulator

emulator.set_aws_environment()


def pytest_configure(config):
    """`HOMEWARD_CLOCK_AHEAD_DAYS=400 pytest ...` runs the suite with the real clock moved
    ahead (it keeps ticking): a test that compares a fixed date with the real clock fails
    here today instead of in everyone's CI on a later day. `make test` runs the
    time-sensitive folders this way."""
    days = os.environ.get("HOMEWARD_CLOCK_AHEAD_DAYS")
    if days:
        import datetime as dt

        import time_machine

        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=int(days))
        traveller = time_machine.travel(ahead, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


@pytest.fixture
def report_body() -> dict:
    """CONTRACT.md's example report, fresh for each test to change."""
    return copy.deepcopy(EXAMPLE_REPORT)


@pytest.fixture(scope="session")
def dev_key(tmp_path_factory):
    """The local development signing key, as `homeward dev-token` and `make run` keep it."""
    from chalicelib.adapters.tokens import ensure_dev_key

    return ensure_dev_key(tmp_path_factory.mktemp("keys") / "dev-signing-key.pem")


@pytest.fixture
def token(dev_key):
    """token("caseworker", "UA-NIB") -> a bearer token the local stage accepts."""
    from chalicelib.adapters.tokens import mint_dev_token

    def mint(role: str, agency: str = "UA-NIB", **claims) -> str:
        return mint_dev_token(dev_key, role=role, agency=agency, **claims)

    return mint


@pytest.fixture
def aws(monkeypatch, dev_key):
    """The stack from infra/template.yaml in a fresh moto, with the demo contacts seeded."""
    monkeypatch.setenv("HOMEWARD_SIGNING_KEY", "test-signing-key")
    monkeypatch.setenv("HOMEWARD_DEV_KEY_FILE", str(dev_key))
    with emulator.in_process("local") as outputs:
        yield outputs
    from chalicelib import wiring

    wiring.reset()


@pytest.fixture(scope="module")
def module_aws(dev_key):
    """One emulated account for a whole module: for modules whose tests only read what was
    filed once, or assert refusals that change nothing. A module opts in by answering its
    `aws` from `shared_aws`; a module that writes keeps a fresh account per test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOMEWARD_SIGNING_KEY", "test-signing-key")
        patch.setenv("HOMEWARD_DEV_KEY_FILE", str(dev_key))
        with emulator.in_process("local") as outputs:
            yield outputs
    from chalicelib import wiring

    wiring.reset()


@pytest.fixture
def shared_aws(module_aws):
    """The module's account, with the app's clients and settings forgotten after each test:
    a hook a test put on a client, or settings read under an environment it changed, leave
    with it."""
    yield module_aws
    from chalicelib import wiring

    wiring.reset()


@pytest.fixture
def app_module(aws):
    import app

    return app


@pytest.fixture
def client(app_module):
    from chalice.test import Client

    with Client(app_module.app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def pump(app_module, aws):
    from infra.local.pump import EventPump

    return EventPump(app_module, aws, emulator.REGION)


@pytest.fixture
def staff(client, token):
    """staff("caseworker", "UA-OMBUDSMAN").get(path) -> response, as that staff member."""

    class As:
        def __init__(self, role, agency="UA-NIB"):
            self.headers = {"Authorization": f"Bearer {token(role, agency)}"}

        def get(self, path):
            return client.http.get(f"/api/v1/staff{path}", headers=self.headers)

        def post(self, path, body):
            return self._send(client.http.post, path, body)

        def put(self, path, body):
            return self._send(client.http.put, path, body)

        def delete(self, path):
            return client.http.delete(f"/api/v1/staff{path}", headers=self.headers)

        def _send(self, method, path, body):
            return method(
                f"/api/v1/staff{path}",
                headers={**self.headers, "Content-Type": "application/json"},
                body=json.dumps(body),
            )

    return As


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """With `make test`'s two workers (pytest-xdist, --dist loadgroup), each test module
    runs whole in one worker, so its module fixtures (a local runner, a browser) start
    once; tests/infra shares one worker, so `chalice package` runs once.

    First among the hooks: xdist's worker reads the group marks in its own hook of this
    name (3.8 does not run it last), and a mark added after it groups nothing; the
    modules were then dealt out test by test, each half starting its own runner.
    tests/test_suite_grouping.py holds this."""
    groups: dict[str, int] = {}
    for item in items:
        module = item.path.relative_to(config.rootpath).as_posix()
        group = "infra" if module.startswith("tests/infra/") else module
        item.add_marker(pytest.mark.xdist_group(group))
        item.stash[_GROUP] = group
        groups[group] = groups.get(group, 0) + 1
    # The longest groups first (`make test` runs xdist with --no-loadscope-reorder, which
    # keeps this order): tests/infra is one serial group of minutes, and a browser or
    # end-to-end module of a few tests takes longer than a folder of unit tests. Dealt
    # out last, as xdist's own order (by the number of tests) put them, one worker ran
    # them alone while the other had finished.
    items.sort(key=lambda item: _heavy_first(item.stash[_GROUP], groups))


_GROUP = pytest.StashKey[str]()
_SLOW_FOLDERS = ("infra", "tests/browser/", "tests/e2e/")


def _heavy_first(group: str, sizes: dict[str, int]) -> tuple[int, int, str]:
    rank = next((i for i, f in enumerate(_SLOW_FOLDERS) if group.startswith(f)), 3)
    return rank, -sizes[group], group
