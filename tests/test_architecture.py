"""The shape of the house: imports point down through the layers, never round in a circle;
keys are built in one place, cancellations parsed in one place, and modules stay small.

Imports are read from the source (module-level, inside functions, and `lazy_module(...)`
names), so a lazy import cannot hide an upward dependency or a cycle.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHALICELIB = ROOT / "chalicelib"

# Lower layers never import higher ones. Entry points (web, handlers, the command line)
# sit on the composition root (wiring), which builds adapters for services; services and
# adapters both stand on the domain and never import each other.
LAYER = {
    "chalicelib.domain": 0,
    "chalicelib.config": 0,
    "chalicelib.logs": 0,
    "chalicelib.lazy": 0,
    "chalicelib.adapters": 1,
    "chalicelib.services": 1,
    "chalicelib.wiring": 2,
    "chalicelib.web": 3,
    "chalicelib.handlers": 3,
    "chalicelib.cli": 3,
}
# Pairs of areas that must not import each other even at the same or a lower rank.
FORBIDDEN = {
    ("chalicelib.services", "chalicelib.adapters"),
    ("chalicelib.adapters", "chalicelib.services"),
    ("chalicelib.web", "chalicelib.adapters"),
}
KEY_LITERAL = re.compile(
    r"""["'](CASE|ALERT|DELIVERY|DELIVERIES|ALERTS|NOTE|MATCH|MANDATE|MATCHKEY|IDEMPOTENCY|"""
    r"""RATE|STATUS|OBLAST|CATEGORY|SHARD|CONTACT|RULE|SEARCH|EVENT|REPORTER|RETENTION)#|"""
    r"""["'](CASES|URGENT|DIRECTORY|STATISTICS|DIGEST|HEALTH|STAFF)["']"""
)
MAX_LINES = 450


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(CHALICELIB.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def area(module: str) -> str:
    return next((a for a in sorted(LAYER, key=len, reverse=True) if module.startswith(a)), module)


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "lazy_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names = [node.args[0].value]
        found |= {n for n in names if n in known}
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def test_no_import_runs_upward_through_the_layers():
    wrong = []
    for module, imported in graph().items():
        for other in imported:
            a, b = area(module), area(other)
            if a == b:
                continue
            if LAYER.get(b, 0) > LAYER.get(a, 0) or (a, b) in FORBIDDEN:
                wrong.append(f"{module} imports {other}")
    assert wrong == []


def test_the_domain_knows_nothing_of_aws_or_chalice():
    for name, path in modules().items():
        if name.startswith("chalicelib.domain"):
            source = path.read_text()
            assert not re.search(r"^\s*(from|import) (boto3|botocore|chalice)\b", source, re.M), (
                name
            )


def test_there_is_no_import_cycle():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert cycles == []


def test_keys_are_built_only_in_the_key_map():
    found = []
    for name, path in modules().items():
        if name == "chalicelib.adapters.dynamo.keys":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if KEY_LITERAL.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_a_cancelled_write_is_parsed_in_one_place():
    parsers = [
        name
        for name, path in modules().items()
        if re.search(r"CancellationReasons|ConditionalCheckFailedException", path.read_text())
    ]
    assert parsers == ["chalicelib.adapters.dynamo.unit_of_work"]


def test_no_module_is_too_long_to_read():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
