"""The OpenAPI 3.1 document, generated from the same pydantic models that validate."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.domain.report import Receipt, Report


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (chalicelib/web/problems.py writes them)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(Report, "validation"), (Receipt, "serialization"), (Problem, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Homeward",
            "version": "1",
            "description": (
                "Case intake and alerting of the International Coalition for the Return of "
                "Ukrainian Children."
            ),
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Whether the app can reach its table",
                    "operationId": "healthz",
                    "responses": {
                        "200": {
                            "description": "Healthy",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"status": {"const": "ok"}},
                                        "required": ["status"],
                                    }
                                }
                            },
                        },
                        "503": _problem("The table cannot be reached"),
                    },
                }
            },
            "/api/v1/reports": {
                "post": {
                    "summary": "Report a child",
                    "operationId": "submitReport",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": (
                                "The same key with the same body returns the same reference "
                                "and creates nothing new; with another body it is 409."
                            ),
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,128}$"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Report"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored; quote the reference in any contact",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Receipt"}
                                }
                            },
                        },
                        "400": _problem("The body is not JSON, or the Idempotency-Key is invalid"),
                        "409": _problem("Idempotency-Key reused with another body"),
                        "413": _problem("Body over 64 KiB"),
                        "415": _problem("Not application/json"),
                        "422": _problem("The report fails validation; `errors` names each field"),
                        "429": _problem("Too many reports from one source; see Retry-After"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": schemas["$defs"]},
    }
