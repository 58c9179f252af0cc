"""Every port method has a contract test that runs on both backends.

A port (services/ports.py, and its siblings services/*_ports.py) is what the services
are written against; its fake (tests/fakes.py) and its adapter (DynamoDB, S3, SQS) must
keep the same promises, which only a test run against both shows. This lists every
method of every port and fails when one is never called, in tests/adapters, inside a
function that takes a fixture parametrised over the fake and the real backend. Of the 96
methods of the ports with a real backend (100 in all), 26 were never called so when this
was written: every method of the Partners and Webhooks stores, the queues, five of the
file store's, break-glass grants, batch alerts, withdrawal requests.
"""

import ast
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# The ports, in every module of them: the stores, the return's, the outside world's.
PORTS = sorted((ROOT / "chalicelib" / "services").glob("*ports.py"))
CONTRACTS = ROOT / "tests" / "adapters"

# How a contract test reaches each port that has a fake and a real backend:
# port -> (the two-backend fixture a test takes, the expression a method is called on).
FIXED = {
    "UnitOfWork": ("stores", "uow"),
    "FileStore": ("bucket", "store"),
    "ConversationStore": ("conversations", "store"),
    "EvidenceFiles": ("evidence_bucket", "files"),
    "DeliveryQueue": ("queues", "queue"),
    "WebhookQueue": ("queues", "queue"),
}
# Ports to the outside world: their fakes record what was sent; the adapters are tested
# against moto's SES and SNS and a resolver that answers private addresses
# (test_channels_and_metrics.py, test_webhook_poster.py), the fakes by the services'
# tests. (A port of attributes only, a claim or a stored file, is a value.)
ELSEWHERE = {"EmailSender", "SmsSender", "WebhookPoster", "Metrics"}


def port_methods(source: str) -> dict[str, list[str]]:
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and any(
            isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases
        ):
            found[node.name] = [
                n.name
                for n in node.body
                if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
            ]
    return found


def receivers() -> dict[str, tuple[str, str]]:
    from chalicelib.services.ports import Stores

    stores = {
        hint.__name__: ("stores", f"stores.{name}")
        for name, hint in typing.get_type_hints(Stores).items()
        if isinstance(hint, type)
    }
    return stores | FIXED


def two_backend_fixtures(sources: list[str]) -> set[str]:
    """Fixtures declared with params of two backends, one of them "fake"."""
    found = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                params = [
                    k.value
                    for k in getattr(decorator, "keywords", [])
                    if k.arg == "params" and isinstance(k.value, ast.List)
                ]
                values = [getattr(e, "value", None) for e in params[0].elts] if params else []
                if len(values) == 2 and "fake" in values:
                    found.add(node.name)
    return found


def called(sources: list[str], fixtures: set[str]) -> set[tuple[str, str]]:
    """(receiver, method) of every call inside a function taking a two-backend fixture."""
    found = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef):
                continue
            taken = {a.arg for a in node.args.args} & fixtures
            if not taken:
                continue
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
                    found.add((ast.unparse(call.func.value), call.func.attr))
    return found


def uncovered(ports_source: str, test_sources: list[str], how: dict) -> list[str]:
    fixtures = two_backend_fixtures(test_sources)
    calls = called(test_sources, fixtures)
    missing = []
    for port, methods in port_methods(ports_source).items():
        if port in ELSEWHERE or not methods:
            continue
        if port not in how:
            missing.append(f"{port}: no two-backend fixture reaches it")
            continue
        fixture, receiver = how[port]
        if fixture not in fixtures:
            missing.append(f"{port}: {fixture} is not run on the fake and a real backend")
            continue
        missing += [f"{port}.{m}" for m in methods if (receiver, m) not in calls]
    return missing


def contract_sources() -> list[str]:
    return [p.read_text() for p in sorted(CONTRACTS.glob("*.py")) if p.name != Path(__file__).name]


def test_every_port_method_has_a_contract_test_on_both_backends():
    assert {p.name for p in PORTS} >= {"ports.py", "aftercare_ports.py", "outside_ports.py"}
    ports = "\n".join(p.read_text() for p in PORTS)
    assert sum(len(m) for m in port_methods(ports).values()) >= 100
    assert uncovered(ports, contract_sources(), receivers()) == []


def test_the_check_names_a_method_without_a_contract_test():
    ports = (
        "class Partners(Protocol):\n    def get(self, c): ...\n    def all(self): ...\n"
        "class Webhooks(Protocol):\n    def failed(self): ...\n"
        "class Outbox(Protocol):\n    def put(self): ...\n"
    )
    fixture = (
        "@pytest.fixture(params=['fake', 'dynamodb'])\ndef stores(request): ...\n"
        "@pytest.fixture(params=['dynamodb'])\ndef only_real(request): ...\n"
    )
    tests = [
        fixture,
        "def test_a(stores):\n    assert stores.partners.get('x') is None\n",
        # Called on the real backend only, or outside any test of both: not a contract.
        "def test_b(only_real):\n    only_real.partners.all()\n",
        "def helper():\n    stores.partners.all()\n",
        "def test_c(stores):\n    commit(stores, lambda u: stores.webhooks.failed())\n",
    ]
    how = {
        "Partners": ("stores", "stores.partners"),
        "Webhooks": ("stores", "stores.webhooks"),
    }
    assert uncovered(ports, tests, how) == [
        "Partners.all",
        "Outbox: no two-backend fixture reaches it",
    ]
    how["Outbox"] = ("only_real", "only_real.outbox")
    assert "Outbox: only_real is not run on the fake and a real backend" in uncovered(
        ports, tests, how
    )
