"""Headless Chromium (Debian's package) against the local runner, driven by Playwright.

Playwright's own browser download cannot work here, so the tests launch the system's
chromium. Without it they skip on a developer's machine, and fail in CI (CI=true), where
.ci/run installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: .ci/run should have installed it")
    pytest.skip(f"{what} is not installed here (.ci/run installs it)")


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _missing("chromium (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        _missing("axe-core (npm ci)")
    return AXE


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`python -m infra.local` on a free port; yields its base URL."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("runner") / "runner.log"
    log = log_path.open("w+")
    env = {**os.environ, "PORT": str(port), "HOMEWARD_RATE_LIMIT": "200"}
    for leaked in (
        "HOMEWARD_STAGE",
        "HOMEWARD_TABLE",
        "HOMEWARD_UPLOADS_BUCKET",
        "AWS_ENDPOINT_URL",
    ):
        env.pop(leaked, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if get_json(f"{base}/healthz") == {"status": "ok"}:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"runner did not start:\n{log.read()}")
        time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.seek(0)
    output = log.read()
    # Whatever the browser typed, the runner's log names no one.
    for personal in ("Ковальчук", "iryna@example.org", "+380501234567"):
        assert personal not in output


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="uk-UA")
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(browser):
    context = browser.new_context(locale="uk-UA", java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
