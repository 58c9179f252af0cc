"""Headless Chromium (Debian's package) against the local runner, driven by Playwright.

Playwright's own browser download cannot work here, so the tests launch the system's
chromium. Without it they skip on a developer's machine, and fail in CI (CI=true), where
.ci/run installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
from helpers import local_runner

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


AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']}))
    .violations.map(v => ({id: v.id, impact: v.impact,
                           nodes: v.nodes.map(n => n.target.join(' '))}))"""


@pytest.fixture(scope="session")
def axe(axe_script):
    """`axe(page, what)`: axe-core finds nothing on the page as it is now.

    Put on a page once (a page read again, at another width or after a click that did not
    load a new one, keeps it): its 500 kB cost more than a run. The page's context needs
    bypass_csp=True, as the pages' CSP forbids the injected script, rightly."""
    source = axe_script.read_text(encoding="utf-8")

    def check(page, what: str) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.add_script_tag(content=source)
        violations = page.evaluate(AXE_RUN)
        assert violations == [], f"{what}: {violations}"

    return check


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


@pytest.fixture(scope="session")
def start_runner():
    """How a module starts its own local runner: `with start_runner(log_path, **env) as
    (site, stop)`; `stop()` ends it and answers everything it wrote.

    The runner is killed rather than asked to stop: its orderly stop (tests/e2e) takes
    seconds a module need not wait, and unbuffered output means the log read after the
    kill holds every line it wrote, for the checks that it names no one."""

    @contextlib.contextmanager
    def start(log_path: Path, **env: str):
        with local_runner(log_path, PYTHONUNBUFFERED="1", **env) as (site, process, log):

            def stop() -> str:
                process.kill()
                process.wait(timeout=20)
                log.seek(0)
                return log.read()

            yield site, stop

    return start


@pytest.fixture(scope="module")
def site(tmp_path_factory, start_runner):
    """`python -m infra.local` on a free port; yields its base URL."""
    log_path = tmp_path_factory.mktemp("runner") / "runner.log"
    with start_runner(log_path, HOMEWARD_RATE_LIMIT="200") as (base, stop):
        yield base
        output = stop()
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
