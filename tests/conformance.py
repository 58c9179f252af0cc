"""What the OpenAPI document promises of an answer, checked on a Chalice test response."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any


def header(response: Any, name: str) -> str:
    return next((v for k, v in response.headers.items() if k.lower() == name), "")


class Conformance:
    """Checks an answer against what the OpenAPI document says of its operation."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        from chalicelib.web.openapi import document

        self._document = document()
        self._validator = Draft202012Validator
        self._routes = [
            (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in self._document["paths"]
        ]
        self._validators: dict[tuple, Any] = {}

    def check(self, method: str, url: str, response: Any) -> None:
        path = urllib.parse.urlsplit(url).path
        where = f"{method} {url} -> {response.status_code}"
        assert response.status_code < 500, f"{where}: {response.body[:500]!r}"
        template = next((t for pattern, t in self._routes if pattern.match(path)), None)
        operation = self._document["paths"][template].get(method.lower()) if template else None
        assert operation, f"{where}: no such operation in the document"
        documented = operation["responses"].get(str(response.status_code))
        assert documented, f"{where}: status not documented ({sorted(operation['responses'])})"
        media = header(response, "content-type").split(";")[0].strip()
        if path.startswith("/api/") and response.status_code >= 400:
            assert media == "application/problem+json", f"{where}: an error as {media}"
        content = documented.get("content")
        if not content:
            assert not response.body, f"{where}: a body where none is documented"
            return
        assert media in content, f"{where}: {media} is not one of {sorted(content)}"
        if not media.endswith("json"):
            return
        key = (template, method, response.status_code, media)
        if key not in self._validators:
            schema = {**content[media]["schema"], "components": self._document["components"]}
            self._validators[key] = self._validator(
                schema, format_checker=self._validator.FORMAT_CHECKER
            )
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in self._validators[key].iter_errors(json.loads(response.body))
        ]
        assert not errors, f"{where}: the body does not match its schema: {errors[:5]}"
