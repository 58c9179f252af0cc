"""Each Lambda function imports what it serves: the public, staff and event functions
(stream, queue, schedule) do not load each other's pages and models on a cold start.

app.py registers the blueprints its function serves (HOMEWARD_SERVES, set per function
by infra/package.py; chalicelib/web/blueprints.py). What each registers must still cover
every route API Gateway sends it, or a route would answer 404 only in AWS.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.web import blueprints
from infra import package

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, sys, app; print(json.dumps({'routes': sorted(app.app.routes), "
    "'modules': sorted(m for m in sys.modules if m.startswith('chalicelib'))}))"
)


def served(serves: str) -> dict:
    """What `import app` registers and imports in a fresh process of one function."""
    import os

    env = {**os.environ, "HOMEWARD_SERVES": serves}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def functions():
    return {serves: served(serves) for serves in ("", "public", "staff", "events", "telegram")}


def test_each_function_registers_every_route_api_gateway_sends_it(functions):
    everything = set(functions[""]["routes"])
    public = {path for path in everything if package.is_public(path)}
    telegram = {path for path in everything if package.is_telegram(path)}
    assert public and telegram and everything - public - telegram
    assert public <= set(functions["public"]["routes"])
    assert everything - public - telegram <= set(functions["staff"]["routes"])
    # The Telegram bot's webhook alone in its function, and in no other.
    assert set(functions["telegram"]["routes"]) == telegram
    assert not telegram & set(functions["public"]["routes"] + functions["staff"]["routes"])
    # ...and not the other's pages: no console in the public function, no form in staff's
    assert not any(path.startswith("/staff") for path in functions["public"]["routes"])
    assert "/report" not in functions["staff"]["routes"]
    assert functions["events"]["routes"] == []


def _loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if m.startswith(prefixes)]


def test_no_function_imports_another_functions_pages_or_models(functions):
    console = ("chalicelib.web.console", "chalicelib.web.staff", "chalicelib.web.directory")
    form = ("chalicelib.web.form", "chalicelib.web.public", "chalicelib.web.status")
    # A case's and a report's models are what the staff pages show; the public intake
    # loads the report's on its first report (chalicelib.services.intake), not at init.
    models = ("chalicelib.domain.report", "chalicelib.domain.case", "chalicelib.domain.casefile")
    assert _loaded(functions["public"]["modules"], console + models) == []
    assert _loaded(functions["staff"]["modules"], form) == []
    assert _loaded(functions["events"]["modules"], console + form + models) == []
    # The webhook only checks a secret and queues: no pages, no models, no conversation.
    bot = ("chalicelib.web.telegram_bot", "chalicelib.domain.conversation", "chalicelib.services")
    assert _loaded(functions["telegram"]["modules"], console + form + models + bot) == []
    # the app with every route (the local runner, the tests) still has them all
    assert _loaded(functions[""]["modules"], console + form + models)


def test_every_function_in_the_template_says_what_it_serves():
    resources = package.merge_template("dev")["Resources"]
    serves = {
        name: resource["Properties"]["Environment"]["Variables"].get("HOMEWARD_SERVES")
        for name, resource in resources.items()
        if "Environment" in resource.get("Properties", {})
        and "HOMEWARD_TABLE" in resource["Properties"]["Environment"]["Variables"]
    }
    assert serves.pop("PublicHandler") == "public"
    assert serves.pop("APIHandler") == "staff"
    assert serves.pop("TelegramHandler") == "telegram"
    assert len(serves) >= 8 and set(serves.values()) == {"events"}


def test_an_unknown_function_kind_is_refused_not_served_empty():
    with pytest.raises(ValueError, match="HOMEWARD_SERVES='stafff'"):
        blueprints.serving("stafff")
    assert len(blueprints.serving(None)) == len(blueprints.ALL)


def test_the_sms_replies_function_loads_no_page_template_or_sender():
    """RecordSmsReplies, an events function, run on a message that is no reply: what its
    handler loads is the acknowledgement service and the directory's models, never a
    page, the alerts' templates (jinja2) or the sending path."""
    probe = (
        "import json, sys, types, app; from chalicelib import handlers; "
        "assert handlers.record_sms_replies(types.SimpleNamespace(message='[]')) is False; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    import os

    env = {**os.environ, "HOMEWARD_SERVES": "events", "HOMEWARD_STAGE": "local"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.splitlines()[-1])
    assert "chalicelib.services.acknowledgement" in modules
    pages = ("chalicelib.web.console", "chalicelib.web.form", "chalicelib.web.public")
    sending = ("chalicelib.services.delivery", "chalicelib.domain.messages", "jinja2")
    assert _loaded(modules, pages + sending) == []
