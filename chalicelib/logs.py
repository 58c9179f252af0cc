"""What the logs may say about an error: its kind and where it happened, never its message.

Exception messages can carry what a person typed (a validation error echoes its input, a
JSON error quotes the body), and logs are read by more people than cases are.
"""

from __future__ import annotations

import traceback
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def describe(exc: BaseException) -> str:
    """`KindOfError(code) at chalicelib/module.py:123`, the innermost line of our own code."""
    kind = type(exc).__name__
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if code:
            kind = f"{kind}({code})"
    names = getattr(exc, "names", None)
    if isinstance(names, frozenset):  # a Refused unit of work: which conditions failed
        kind = f"{kind}({', '.join(sorted(names))})"
    where, service = "", ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(_ROOT) and ".venv" not in path.parts:
            where = f" at {path.relative_to(_ROOT)}:{frame.lineno}"
            if path.parent.name == "services":
                service = where
    # The innermost line is often the adapter's commit; the service's line says which.
    if service and service != where:
        where += " from" + service.removeprefix(" at")
    return kind + where
