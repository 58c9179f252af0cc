"""requirements.txt, which Chalice packages into the Lambda, derived from pyproject.toml.

    python -m infra.requirements          # rewrite requirements.txt
    python -m infra.requirements --check  # exit 1 if it is out of date (a test runs this)

The Lambda runtime already provides boto3 (and botocore), and Chalice adds its own
runtime to the package, so both are left out: bundling botocore alone would add about
14 MB to a package that must stay under 15 MB.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDED_BY_LAMBDA = {"boto3", "botocore", "chalice"}


def render() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [
        "# Generated from pyproject.toml by `python -m infra.requirements`; do not edit.",
    ]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()
        if name not in PROVIDED_BY_LAMBDA:
            lines.append(requirement)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    path = ROOT / "requirements.txt"
    if "--check" in argv:
        if not path.exists() or path.read_text() != render():
            print("requirements.txt is out of date: run python -m infra.requirements")
            return 1
        return 0
    path.write_text(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
