"""Every import of our own code names something that exists, wherever it is written.

Handlers, routes and benches import inside functions or through `lazy_module` (a cold
start pays only for what it uses), so a stale or misspelt name fails only when that code
first runs: in a bench nobody ran, or in a Lambda in production. This reads every import
of chalicelib and infra in app.py, chalicelib, infra and the fakes, however it is written
(tests/source_imports.py: from-imports, relative ones, `lazy_module(...)`,
`importlib.import_module(...)`, `__import__`...), and checks each one.
"""

import importlib
import importlib.util
from pathlib import Path

from source_imports import Imported, read

ROOT = Path(__file__).resolve().parent.parent
OWN = ("chalicelib", "infra")


def files() -> list[Path]:
    return sorted(
        [
            ROOT / "app.py",
            ROOT / "tests" / "fakes.py",
            *ROOT.glob("chalicelib/**/*.py"),
            *ROOT.glob("infra/**/*.py"),
        ]
    )


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def exists(imported: Imported) -> bool:
    """A module by that name, or (a from-import's name) something in its module."""
    if imported.member:
        parent, _, name = imported.name.rpartition(".")
        try:
            if hasattr(importlib.import_module(parent), name):
                return True
        except ImportError:
            return False
    try:
        return importlib.util.find_spec(imported.name) is not None
    except ImportError:
        return False


def missing_in(source: str, module: str, *, is_package: bool = False) -> list[str]:
    return [
        f"line {i.line}: {i.how} {i.name}"
        for i in read(source, module, is_package=is_package).imported
        if i.name.split(".")[0] in OWN and not exists(i)
    ]


def test_every_own_import_names_something_that_exists():
    missing = []
    checked = 0
    for path in files():
        found = missing_in(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
        missing += [f"{path.relative_to(ROOT)}: {m}" for m in found]
        checked += 1
    assert checked > 100
    assert missing == []


def test_a_misspelt_name_fails_however_it_is_imported():
    module = "chalicelib.web.staff"
    for source in (
        "from chalicelib.lazy import lazy_module\nx = lazy_module('chalicelib.services.casewrk')",
        "from chalicelib.lazy import lazy_module as later\nx = later('chalicelib.services.intak')",
        "import importlib\nintake = importlib.import_module('chalicelib.services.intak')",
        "intake = __import__('chalicelib.services.intak')",
        "from ..services import intak",
        "from chalicelib.services.intake import no_such_function",
        "def later():\n    from chalicelib.services.intake import submitt",
        "from chalicelib.lazy import lazy_module\npump = lazy_module('infra.local.pumpp')",
    ):
        assert missing_in(source, module), source
    assert missing_in("from ..services import intake", module) == []
    assert (
        missing_in("from chalicelib.lazy import lazy_module\nx = lazy_module('json')", module) == []
    )
