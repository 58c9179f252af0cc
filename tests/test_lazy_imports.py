"""Every import of our own code names something that exists, wherever it is written.

Handlers, routes and benches import inside functions (a cold start pays only for what it
uses), so a stale name fails only when that function first runs: in a bench nobody ran,
or in a Lambda in production. This reads every `from chalicelib... import name` and
`from infra... import name` in the tree and checks each one.
"""

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = ("chalicelib", "infra")


def own_imports():
    for path in sorted(
        [ROOT / "app.py", *ROOT.glob("chalicelib/**/*.py"), *ROOT.glob("infra/**/*.py")]
    ):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and (node.module or "").split(".")[0] in OWN
            ):
                for alias in node.names:
                    yield path.relative_to(ROOT), node.lineno, node.module, alias.name


def test_every_own_import_names_something_that_exists():
    missing = []
    checked = 0
    for path, line, module_name, name in own_imports():
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            try:
                importlib.import_module(f"{module_name}.{name}")
            except ModuleNotFoundError:
                missing.append(f"{path}:{line}: from {module_name} import {name}")
        checked += 1
    assert checked > 100
    assert missing == []
