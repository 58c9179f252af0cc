"""The OpenAPI document's operations as the staff and partner routes declare them
(web/operations.py), with their refusals described from the error table (web/problems.py);
web/openapi.py puts them together with the public routes."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from chalicelib.web import problems
from chalicelib.web.operations import OPERATIONS, Operation, model


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return [
        {"name": name, "in": "query", "required": False, "schema": field}
        for name, field in schema["properties"].items()
    ]


def _path_parameters(path: str) -> list[dict[str, Any]]:
    described = {
        "reference": "The case's reference, as given to the reporter",
        "other": "The other case of the pair",
        "contact_id": "The contact's id, e.g. south-desk",
        "rule_id": "The routing rule's id, e.g. south",
        "external_id": "Your own id of the report (1 to 100 of A-Z a-z 0-9 . _ : / -)",
        "batch_id": "Your id of the import batch (4 to 64 of A-Z a-z 0-9 _ -)",
        "client_id": "The partner's app client id",
        "statement_id": "The statement's id on its case, e.g. HW-XXXX-XXXX-S1",
    }
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": described.get(name, name),
            "schema": {"type": "string"},
        }
        for name in re.findall(r"{(\w+)}", path)
    ]


def _staff_operation(op: Operation) -> dict[str, Any]:
    """One staff operation as its route declares it (web/operations.py), its refusals
    described from the error table (web/problems.py)."""
    by_name = {kind.__name__: refusal for kind, refusal in problems.table().items()}
    success = _json(op.summary, _ref(op.answer)) if op.answer else {"description": op.summary}
    responses: dict[str, Any] = {str(op.status): success}
    if op.status == 200 and op.method == "PUT":
        responses["201"] = _json(f"{op.summary}: created", _ref(op.answer))
    grouped: dict[int, list[str]] = {}
    token = "InvalidPartnerToken" if op.audience == "partner" else "InvalidToken"
    for name in (token, *op.refusals):
        refusal = by_name[name]
        grouped.setdefault(refusal.status, []).append(refusal.description)
    for status, descriptions in sorted(grouped.items()):
        responses[str(status)] = _problem("; or ".join(dict.fromkeys(descriptions)))
    operation: dict[str, Any] = {
        "summary": op.summary,
        "operationId": op.operation_id,
        "tags": [op.audience],
        "security": [{f"{op.audience}Token": []}],
        "parameters": _path_parameters(op.path)
        + (_query_parameters(model(op.query)) if op.query else []),
        "responses": responses,
    }
    if op.body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body)}},
        }
    return operation


def _staff_paths() -> dict[str, Any]:
    # The route modules register their operations on import (app.py imports them all).
    from chalicelib.web import aftercare, console_api, directory, partners, staff  # noqa: F401

    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _staff_operation(op)
    return paths


def _staff_models() -> list[tuple[type[BaseModel], str]]:
    models: dict[str, tuple[type[BaseModel], str]] = {}
    for op in OPERATIONS:
        for name, mode in ((op.answer, "serialization"), (op.body, "validation")):
            if name:
                models.setdefault(f"{name}/{mode}", (model(name), mode))
    return list(models.values())
