"""Modules imported on first use: what a route or handler needs, paid for when it runs.

Every Lambda function imports app.py; with this, the scheduler's cold start does not pay
for the report models, nor the API's for the sender's templates (`make bench` measures
the import). A plain proxy over importlib.import_module, whose import lock makes it safe
under the local runner's threads (importlib's LazyLoader is not, before Python 3.12).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _Module:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str) -> Any:
    """`name`, imported when one of its attributes is first read."""
    return _Module(name)
