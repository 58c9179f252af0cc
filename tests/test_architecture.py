"""The shape of the house: imports point down through the layers, never round in a circle;
keys are built in one place, cancellations parsed in one place, and modules stay small.

Imports are read from the source by tests/source_imports.py: module-level and inside
functions, relative ones resolved, and every call that imports by name (`lazy_module`,
`importlib.import_module`, `__import__`, however aliased), so no way of writing an import
hides an upward dependency or a cycle. The checks cover chalicelib, app.py, infra and the
fakes (tests/fakes.py), and each is shown to fail on a planted violation (the tests at the
end run the same checkers on small sources).
"""

import functools
import re
from pathlib import Path

from source_imports import read

ROOT = Path(__file__).resolve().parent.parent
CHALICELIB = ROOT / "chalicelib"

# Lower layers never import higher ones. Entry points (web, handlers, the command line,
# app.py) sit on the composition root (wiring), which builds adapters for services;
# services and adapters both stand on the domain and never import each other. The
# fakes stand where the adapters do; infra (packaging, deploy, the local runner, benches)
# stands on everything, and nothing of the application imports it.
LAYER = {
    "chalicelib.domain": 0,
    "chalicelib.config": 0,
    "chalicelib.logs": 0,
    "chalicelib.lazy": 0,
    "chalicelib.adapters": 1,
    "chalicelib.services": 1,
    "tests.fakes": 1,
    "chalicelib.wiring": 2,
    "chalicelib.web": 3,
    "chalicelib.handlers": 3,
    "chalicelib.cli": 3,
    "app": 4,
    "infra": 5,
}
# Pairs of areas that must not import each other even at the same or a lower rank.
FORBIDDEN = {
    ("chalicelib.services", "chalicelib.adapters"),
    ("chalicelib.adapters", "chalicelib.services"),
    ("chalicelib.web", "chalicelib.adapters"),
    # A fake built on the real adapter would test nothing; the code under test never
    # reaches for a fake.
    ("tests.fakes", "chalicelib.adapters"),
    ("chalicelib.services", "tests.fakes"),
    ("chalicelib.adapters", "tests.fakes"),
}
# The deploy path runs against a real account: it never leans on the emulation.
DEPLOY_PATH = ("infra.deploy", "infra.package", "infra.operations", "infra.requirements")
EMULATION = ("infra.local", "moto", "tests")
# The one module allowed an import whose name is not written out: the lazy proxy, whose
# every name is read where `lazy_module(...)` is called.
DYNAMIC = {"chalicelib.lazy"}
KEY_LITERAL = re.compile(
    r"""["'](CASE|ALERT|DELIVERY|DELIVERIES|ALERTS|NOTE|MATCH|MANDATE|MATCHKEY|IDEMPOTENCY|"""
    r"""RATE|STATUS|OBLAST|CATEGORY|SHARD|CONTACT|RULE|SEARCH|EVENT|REPORTER|RETENTION)#|"""
    r"""["'](CASES|URGENT|DIRECTORY|STATISTICS|DIGEST|HEALTH|STAFF)["']"""
)
MAX_LINES = 450


def modules() -> dict[str, Path]:
    """chalicelib's modules (what the application is), by dotted name."""
    found = {}
    for path in sorted(CHALICELIB.rglob("*.py")):
        found[_name(path)] = path
    return found


def checked_modules() -> dict[str, Path]:
    """Everything whose imports are checked: chalicelib, app.py, infra and the fakes."""
    found = modules()
    for path in [ROOT / "app.py", ROOT / "tests" / "fakes.py", *sorted(ROOT.glob("infra/**/*.py"))]:
        found[_name(path)] = path
    return found


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def area(module: str) -> str:
    return next(
        (
            a
            for a in sorted(LAYER, key=len, reverse=True)
            if module == a or module.startswith(a + ".")
        ),
        module,
    )


@functools.cache
def reading(path: Path):
    """Each file is read once a run, whichever checks ask."""
    return read(
        path.read_text(), _name(path), is_package=path.name == "__init__.py", filename=str(path)
    )


def canonical(name: str) -> str:
    """tests/ is on pytest's path: `import fakes` is tests/fakes.py."""
    return f"tests.{name}" if name == "fakes" or name.startswith("fakes.") else name


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    return {canonical(n) for n in reading(path).names()} & set(known)


def graph() -> dict[str, set[str]]:
    known = checked_modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


# -- the checkers, on any graph (the real one below; planted ones at the end) -----------


def upward(edges: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, imported in edges.items():
        for other in imported:
            a, b = area(module), area(other)
            if a == b:
                continue
            if LAYER.get(b, 0) > LAYER.get(a, 0) or (a, b) in FORBIDDEN:
                wrong.append(f"{module} imports {other}")
    return sorted(wrong)


def emulation_on_the_deploy_path(names: dict[str, set[str]]) -> list[str]:
    """`names`: every name each module imports (third-party ones too)."""
    return sorted(
        f"{module} imports {other}"
        for module, imported in names.items()
        if module.startswith(DEPLOY_PATH)
        for other in imported
        if any(other == e or other.startswith(e + ".") for e in EMULATION)
    )


def cycles_in(edges: dict[str, set[str]]) -> list[list[str]]:
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
    return cycles


def test_no_import_runs_upward_through_the_layers():
    assert upward(graph()) == []


def test_every_import_is_written_so_it_can_be_read():
    unreadable = {}
    for name, path in checked_modules().items():
        found = reading(path).unreadable
        if found and name not in DYNAMIC:
            unreadable[name] = found
    assert unreadable == {}


def test_the_deploy_path_never_leans_on_the_emulation():
    names = {name: reading(path).names() for name, path in checked_modules().items()}
    assert emulation_on_the_deploy_path(names) == []


def aws_in_the_domain(names: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {other}"
        for module, imported in names.items()
        if module.startswith("chalicelib.domain")
        for other in imported
        if other.split(".")[0] in ("boto3", "botocore", "chalice")
    )


def test_the_domain_knows_nothing_of_aws_or_chalice():
    names = {name: reading(path).names() for name, path in modules().items()}
    assert aws_in_the_domain(names) == []


def test_there_is_no_import_cycle():
    assert cycles_in(graph()) == []


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


# -- each check fails on a planted violation ----------------------------------------------


def planted(sources: dict[str, str]) -> dict[str, set[str]]:
    """The import graph of made-up modules, each given as its source ("x.__init__" for a
    package), read exactly as the real tree is."""
    found = {
        n.removesuffix(".__init__"): (text, n.endswith(".__init__")) for n, text in sources.items()
    }
    return {
        name: ({canonical(i) for i in read(text, name, is_package=package).names()} & set(found))
        - {name}
        for name, (text, package) in found.items()
    }


AROUND = {
    "chalicelib.__init__": "",
    "chalicelib.lazy": "",
    "chalicelib.adapters.__init__": "",
    "chalicelib.adapters.queue": "",
    "chalicelib.services.__init__": "",
    "chalicelib.domain.__init__": "",
    "chalicelib.domain.alerts": "",
}
# An adapter reached from a service, written every way Python allows.
UPWARD = [
    "from chalicelib.adapters import queue",
    "from ..adapters import queue",
    "from ..adapters.queue import SqsQueue",
    "from .. import adapters\nfrom ..adapters import queue as q",
    "import chalicelib.adapters.queue",
    "def later():\n    from chalicelib.adapters import queue",
    "import importlib\nimportlib.import_module('chalicelib.adapters.queue')",
    "import importlib as il\nil.import_module('.queue', package='chalicelib.adapters')",
    "from importlib import import_module as load\nqueue = load('chalicelib.adapters.queue')",
    "import importlib\nqueue = getattr(importlib, 'import_module')('chalicelib.adapters.queue')",
    "import importlib\nload = importlib.import_module\nqueue = load('chalicelib.adapters.queue')",
    "queue = __import__('chalicelib.adapters.queue')",
    "queue = __import__('adapters', globals(), locals(), ['queue'], 2).queue",
    "import importlib\nqueue = importlib.__import__('chalicelib.adapters.queue')",
    "from chalicelib.lazy import lazy_module\nqueue = lazy_module('chalicelib.adapters.queue')",
    "from chalicelib.lazy import lazy_module as later\nqueue = later('chalicelib.adapters.queue')",
    "from chalicelib import lazy\nqueue = lazy.lazy_module('chalicelib.adapters.queue')",
    "import chalicelib.lazy\nqueue = chalicelib.lazy.lazy_module('chalicelib.adapters.queue')",
    "from ..lazy import lazy_module\nqueue = lazy_module(name='chalicelib.adapters.' + 'queue')",
    "from chalicelib.lazy import lazy_module\nlater = lazy_module\n"
    "queue = later('chalicelib.adapters.queue')",
    "from chalicelib.lazy import _Module\nqueue = _Module('chalicelib.adapters.queue')",
    "from chalicelib.lazy import lazy_module\nQUEUE = 'chalicelib.adapters.queue'\n"
    "queue = lazy_module(QUEUE)",
]


def test_the_upward_check_sees_every_way_of_writing_an_import():
    for source in UPWARD:
        edges = planted(AROUND | {"chalicelib.services.escalation": source})
        assert "chalicelib.services.escalation imports chalicelib.adapters.queue" in upward(
            edges
        ), source
    # And a service standing on the domain is fine, however it is written.
    for source in (
        "from ..domain import alerts",
        "from chalicelib.lazy import lazy_module\nalerts = lazy_module('chalicelib.domain.alerts')",
    ):
        assert upward(planted(AROUND | {"chalicelib.services.escalation": source})) == []


def test_an_import_whose_name_is_not_written_out_is_refused():
    for source in (
        "import importlib\nname = pick()\nimportlib.import_module(name)",
        "from chalicelib.lazy import lazy_module as later\nq = later(f'chalicelib.adapters.{x}')",
        "import importlib\nimportlib.import_module('.' + x, 'chalicelib.adapters')",
        "__import__(NAMES[0])",
    ):
        assert read(source, "chalicelib.services.escalation").unreadable, source
    assert read("from chalicelib.domain import alerts", "chalicelib.services.x").unreadable == []


def test_infra_app_and_the_fakes_are_checked_too():
    base = AROUND | {
        "infra.__init__": "",
        "infra.package": "",
        "infra.local.__init__": "",
        "infra.local.emulator": "",
        "app": "",
        "tests.fakes": "",
    }
    # The application never leans on its tooling nor on app.py.
    assert upward(planted(base | {"chalicelib.domain.alerts": "from infra.package import x"}))
    assert upward(planted(base | {"chalicelib.lazy": "import app"}))
    # A fake never stands on the adapter it stands in for, nor on what is above it; the
    # code under test never reaches for a fake (tests/ is on pytest's path).
    assert upward(planted(base | {"tests.fakes": "from chalicelib.adapters import queue"}))
    assert upward(
        planted(base | {"tests.fakes": "import importlib\nimportlib.import_module('app')"})
    )
    assert upward(planted(base | {"chalicelib.services.escalation": "import fakes"}))
    assert upward(planted(base | {"tests.fakes": "from chalicelib.domain import alerts"})) == []
    # The deploy path never imports the emulation, written plainly or lazily.
    for source in (
        "from infra.local import emulator",
        "import moto",
        "from chalicelib.lazy import lazy_module\nemulator = lazy_module('infra.local.emulator')",
    ):
        names = {"infra.deploy": read(source, "infra.deploy").names()}
        assert emulation_on_the_deploy_path(names), source
    assert emulation_on_the_deploy_path({"infra.deploy": {"boto3", "infra.package"}}) == []


def test_a_cycle_through_a_lazy_import_and_aws_in_the_domain_are_seen():
    edges = planted(
        {
            "chalicelib.web.__init__": "",
            "chalicelib.web.a": "from chalicelib.lazy import lazy_module as m\n"
            "b = m('chalicelib.web.b')",
            "chalicelib.web.b": "from . import a",
        }
    )
    assert cycles_in(edges) == [["chalicelib.web.a", "chalicelib.web.b"]]
    hidden = read(
        "import importlib\nboto3 = importlib.import_module('boto3')", "chalicelib.domain.x"
    )
    assert aws_in_the_domain({"chalicelib.domain.x": hidden.names()}) == [
        "chalicelib.domain.x imports boto3"
    ]
