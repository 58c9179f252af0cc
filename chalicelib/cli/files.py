"""The files the `homeward` command reads: routing rules (contacts: domain/contacts.py)."""

from __future__ import annotations

import json
from pathlib import Path


def read_rules(path: Path) -> tuple[list, list[str]]:
    """Rules from a JSON file ({"rules": [...]}, as infra/demo/routing-rules.json), and a
    line for each mistake in them; ValueError if it is no such file at all."""
    from pydantic import ValidationError

    from chalicelib.domain.routing import RoutingRule

    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))["rules"]
        assert isinstance(raw, list)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as error:
        raise ValueError(f"not a JSON file with a list of rules: {error}") from None
    rules, mistakes = [], []
    for n, entry in enumerate(raw, 1):
        try:
            rules.append(RoutingRule.model_validate(entry))
        except ValidationError as error:
            name = entry.get("rule_id", "?") if isinstance(entry, dict) else "?"
            for e in error.errors(include_url=False):
                where = ".".join(str(p) for p in e["loc"])
                mistakes.append(f"rule {n} ({name}): {where}: {e['msg']}")
    return rules, mistakes
