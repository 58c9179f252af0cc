"""What a module imports, read from its source however it is written.

The architecture check (tests/test_architecture.py) and the import-name check
(tests/test_lazy_imports.py) both read imports through this, so neither can be walked
past by writing an import another way. Seen:

- `import a.b` and `from a.b import c`, at module level or inside a function;
- relative imports (`from ..adapters import queue`), resolved against the module's package;
- every call that imports a module by name: `importlib.import_module` (with its package
  for a relative name), `__import__` (its fromlist and level too), `importlib.__import__`,
  and chalicelib.lazy's `lazy_module` (and the proxy class behind it), under whatever
  name they are bound to: an alias (`from chalicelib.lazy import lazy_module as later`),
  an attribute (`lazy.lazy_module`), an assignment (`load = importlib.import_module`) or
  `getattr(importlib, "import_module")`.

A name is read when it is written out: a string, constant strings joined, or a module-level
name assigned one string. An importing call with any other name is reported as unreadable:
an import the checks cannot see is refused, not trusted.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# The functions that import a module named by a string, by their full names.
IMPORTERS = frozenset(
    {
        "importlib.import_module",
        "importlib.__import__",
        "builtins.__import__",
        "chalicelib.lazy.lazy_module",
        "chalicelib.lazy._Module",
    }
)


@dataclass(frozen=True)
class Imported:
    """One module (or name in a module) an import statement or call reaches."""

    name: str
    line: int
    # "import", "from" (the module of a from-import; `member` is set for its names)
    # or "call" (import_module, __import__, lazy_module...).
    how: str
    member: bool = False


@dataclass(frozen=True)
class Reading:
    imported: list[Imported]
    # Importing calls whose module name is not written out: "line N: call(...)".
    unreadable: list[str]

    def names(self) -> set[str]:
        return {i.name for i in self.imported}


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """`from ..x import y` in `module` -> the absolute name of `..x`."""
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or (level - 1 == len(parts) and not name):
        raise ImportError(f"relative import beyond the top in {module}")
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, name] if name else base)


def read(source: str, module: str, *, is_package: bool = False, filename: str = "<source>"):
    tree = ast.parse(source, filename=filename)
    return _Reader(tree, module, is_package).reading()


class _Reader:
    def __init__(self, tree: ast.AST, module: str, is_package: bool) -> None:
        self.tree = tree
        self.module = module
        self.is_package = is_package
        # Local name -> what it stands for: a full dotted name ("importlib.import_module").
        self.bound: dict[str, str] = {"__import__": "builtins.__import__"}
        # Module-level names assigned exactly one string.
        self.strings: dict[str, str] = {}
        self.imported: list[Imported] = []
        self.unreadable: list[str] = []

    def reading(self) -> Reading:
        self._bind()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imported.append(Imported(alias.name, node.lineno, "import"))
            elif isinstance(node, ast.ImportFrom):
                base = self._from_base(node)
                self.imported.append(Imported(base, node.lineno, "from"))
                for alias in node.names:
                    if alias.name != "*":
                        self.imported.append(
                            Imported(f"{base}.{alias.name}", node.lineno, "from", member=True)
                        )
            elif isinstance(node, ast.Call) and self._full(node.func) in IMPORTERS:
                self._call(node)
        return Reading(self.imported, self.unreadable)

    # -- what names stand for ------------------------------------------------------------

    def _from_base(self, node: ast.ImportFrom) -> str:
        if node.level:
            return resolve_relative(self.module, self.is_package, node.level, node.module)
        return node.module or ""

    def _bind(self) -> None:
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.bound[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.bound[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = self._from_base(node)
                for alias in node.names:
                    self.bound[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        # Aliases made by assignment, followed until nothing more is learnt.
        changed = True
        while changed:
            changed = False
            for name, values in assigned.items():
                if len(values) != 1:
                    continue
                full = self._full(values[0])
                if full and self.bound.get(name) != full:
                    self.bound[name] = full
                    changed = True
        for name, values in assigned.items():
            if len(values) == 1 and (text := self._string(values[0])) is not None:
                self.strings[name] = text

    def _full(self, node: ast.expr) -> str | None:
        """The full dotted name an expression stands for, when it is a bound name."""
        if isinstance(node, ast.Name):
            return self.bound.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._full(node.value)
            return f"{base}.{node.attr}" if base else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            base = self._full(node.args[0])
            return f"{base}.{node.args[1].value}" if base else None
        return None

    def _string(self, node: ast.expr | None) -> str | None:
        """A string written out: a literal, literals joined, or a name assigned one."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._string(node.left), self._string(node.right)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.JoinedStr):
            parts = [self._string(v) for v in node.values]
            return "".join(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return self.strings.get(node.id)
        return None

    # -- importing calls -------------------------------------------------------------------

    def _call(self, node: ast.Call) -> None:
        importer = self._full(node.func) or ""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}

        def argument(position: int, keyword: str) -> ast.expr | None:
            return node.args[position] if len(node.args) > position else keywords.get(keyword)

        name = self._string(argument(0, "name"))
        if name is None:
            self.unreadable.append(f"line {node.lineno}: {ast.unparse(node)[:120]}")
            return
        if importer == "importlib.import_module" and name.startswith("."):
            package = self._string(argument(1, "package"))
            if package is None:
                self.unreadable.append(f"line {node.lineno}: {ast.unparse(node)[:120]}")
                return
            level = len(name) - len(name.lstrip("."))
            name = resolve_relative(package, True, level, name.lstrip(".") or None)
        elif importer.endswith("__import__"):
            level_node = argument(4, "level")
            level = level_node.value if isinstance(level_node, ast.Constant) else 0
            if level:
                name = resolve_relative(self.module, self.is_package, level, name)
            fromlist = argument(3, "fromlist")
            if isinstance(fromlist, ast.List | ast.Tuple):
                for element in fromlist.elts:
                    member = self._string(element)
                    if member:
                        self.imported.append(
                            Imported(f"{name}.{member}", node.lineno, "call", member=True)
                        )
        self.imported.append(Imported(name, node.lineno, "call"))
