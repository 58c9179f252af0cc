"""The OpenAPI 3.1 document, generated from the same pydantic models that validate."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.domain.report import Receipt, Report
from chalicelib.web import schemas


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


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "description": "The case's reference, as given to the reporter",
    "schema": {"type": "string"},
}

LANGUAGE = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "uk (default), en or ru; anything else is Ukrainian",
    "schema": {"type": "string"},
}

TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "From the alert's e-mail or SMS",
    "schema": {"type": "string"},
}

STAFF_ERRORS = {
    "401": _problem("No valid staff token (see the staffToken security scheme)"),
    "403": _problem("The role does not do this at all"),
    "404": _problem("No such case, or not one the caller's mandate covers"),
}


def _staff(summary: str, operation_id: str, answer: str, **extra: Any) -> dict[str, Any]:
    responses = {"200": _json(summary, _ref(answer)), **STAFF_ERRORS}
    responses.update(extra.pop("responses", {}))
    return {
        "summary": summary,
        "operationId": operation_id,
        "tags": ["staff"],
        "security": [{"staffToken": []}],
        "responses": responses,
        **extra,
    }


def _change(summary: str, operation_id: str, body: str, *, stale: bool = True) -> dict[str, Any]:
    responses = {
        "400": _problem("The body is not JSON"),
        "422": _problem("The request has errors, or the move is not allowed from here"),
    }
    if stale:
        responses["409"] = _problem("The case changed since the given version")
    return _staff(
        summary,
        operation_id,
        "CaseFile",
        parameters=[REFERENCE],
        requestBody={"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        responses=responses,
    )


def _entry(kind: str, name: str, model: str, read_as: str) -> dict[str, Any]:
    """GET, PUT and DELETE of one contact or routing rule (chalicelib/web/directory.py)."""
    parameter = {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {kind}'s id, e.g. south-desk",
        "schema": {"type": "string"},
    }
    missing = {"404": _problem(f"No such {kind}")}
    refused = {
        "400": _problem("The body is not JSON"),
        "409": _problem("The change would leave alerts reaching nobody, or raced another one"),
        "422": _problem("The request has errors"),
    }
    return {
        "get": _staff(
            f"One {kind}", f"read{model}", read_as, parameters=[parameter], responses=missing
        ),
        "put": _staff(
            f"Add or replace a {kind} (coordinators)",
            f"put{model}",
            model,
            parameters=[parameter],
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": _ref(model)}},
            },
            responses={"201": _json(f"The new {kind}", _ref(model)), **refused},
        ),
        "delete": {
            **_staff(
                f"Remove a {kind} (coordinators)",
                f"remove{model}",
                model,
                parameters=[parameter],
                responses={**missing, "409": refused["409"]},
            ),
            "responses": {
                "204": {"description": "Removed"},
                **STAFF_ERRORS,
                **missing,
                "409": refused["409"],
            },
        },
    }


def _query_parameters() -> list[dict[str, Any]]:
    schema = schemas.CaseQuery.model_json_schema(ref_template="#/components/schemas/{model}")
    return [
        {"name": name, "in": "query", "required": False, "schema": field}
        for name, field in schema["properties"].items()
    ]


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    _, components = models_json_schema(
        [
            (Report, "validation"),
            (Receipt, "serialization"),
            (Problem, "serialization"),
            (schemas.CasePage, "serialization"),
            (schemas.CaseFile, "serialization"),
            (schemas.StatusChange, "validation"),
            (schemas.Assignment, "validation"),
            (schemas.NewNote, "validation"),
            (schemas.NewLink, "validation"),
            (schemas.AuditTrail, "serialization"),
            (schemas.Statistics, "serialization"),
            (schemas.Matches, "serialization"),
            (schemas.Match, "serialization"),
            (schemas.MatchDecision, "validation"),
            (schemas.Undelivered, "serialization"),
            (schemas.DeliveryRetry, "validation"),
            (schemas.ContactList, "serialization"),
            (schemas.ContactEntry, "serialization"),
            (schemas.RoutingRuleList, "serialization"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    case = "/api/v1/staff/cases/{reference}"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Homeward",
            "version": "1",
            "description": (
                "Case intake and alerting of the International Coalition for the Return of "
                "Ukrainian Children. Public routes reveal nothing about other reports; staff "
                "routes need a Cognito ID token and are audited."
            ),
        },
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "Whether the app can reach its table",
                    "operationId": "healthz",
                    "responses": {
                        "200": _json(
                            "Healthy",
                            {
                                "type": "object",
                                "properties": {"status": {"const": "ok"}},
                                "required": ["status"],
                            },
                        ),
                        "503": _problem("The table cannot be reached"),
                    },
                }
            },
            "/api/v1/reports": {
                "post": {
                    "summary": "Report a child",
                    "operationId": "submitReport",
                    "tags": ["public"],
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
                        "content": {"application/json": {"schema": _ref("Report")}},
                    },
                    "responses": {
                        "201": _json("Stored; quote the reference in any contact", _ref("Receipt")),
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
                    "responses": {"200": _json("OpenAPI 3.1", {"type": "object"})},
                }
            },
            "/": {
                "get": {
                    "summary": "The public report form",
                    "operationId": "reportForm",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "responses": {"200": _html("The form, in Ukrainian unless asked otherwise")},
                }
            },
            "/report": {
                "post": {
                    "summary": "Send the report form (works without JavaScript)",
                    "operationId": "sendReportForm",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _html("The receipt again, for a form already sent"),
                        "201": _html("The receipt: reference and status code"),
                        "400": _html("The form had expired: the answers, to send again"),
                        "409": _html("This form was already sent with other answers"),
                        "413": _html("The report is too long"),
                        "415": _html("Not a form post"),
                        "422": _html("The form again, every answer kept, errors by their fields"),
                        "429": _html("Too many reports from this connection; see Retry-After"),
                    },
                }
            },
            "/report/uploads": {
                "post": {
                    "summary": "A presigned POST for one photo or document of a report form",
                    "operationId": "requestUpload",
                    "tags": ["form"],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "submission_key": {"type": "string"},
                                        "slot": {"type": "integer", "minimum": 1, "maximum": 5},
                                        "content_type": {"type": "string"},
                                        "size": {"type": "integer"},
                                    },
                                    "required": ["submission_key", "slot", "content_type", "size"],
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Where and how to upload", {"type": "object"}),
                        "404": _problem("Uploads are not available"),
                        "413": _problem("Request too large"),
                        "422": _problem("This file cannot be uploaded"),
                    },
                }
            },
            "/status": {
                "get": {
                    "summary": "The status page: reference and status code in, coarse stage out",
                    "operationId": "statusForm",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "responses": {"200": _html("The status form")},
                },
                "post": {
                    "summary": "Look up a case's coarse stage (received, in review, closed)",
                    "operationId": "status",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "reference": {"type": "string"},
                                        "token": {"type": "string"},
                                        "lang": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _html("The stage, or the same page for any wrong reference or code")
                    },
                },
            },
            "/static/{name}": {
                "get": {
                    "summary": "The form's own CSS and JavaScript (nothing from elsewhere)",
                    "operationId": "staticFile",
                    "tags": ["form"],
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The file",
                            "content": {
                                "text/css": {"schema": {"type": "string"}},
                                "application/javascript": {"schema": {"type": "string"}},
                            },
                        },
                        "304": {"description": "Not modified"},
                        "404": {"description": "No such file"},
                    },
                }
            },
            "/ack/{token}": {
                "get": {
                    "summary": "The page an alert's acknowledgement link opens",
                    "operationId": "askAcknowledgement",
                    "tags": ["alerts"],
                    "parameters": [TOKEN],
                    "responses": {
                        "200": _html("Asks to acknowledge"),
                        "404": _html("Forged, expired or used: the same page for all"),
                    },
                },
                "post": {
                    "summary": "Acknowledge the alert (records who and when)",
                    "operationId": "acknowledge",
                    "tags": ["alerts"],
                    "parameters": [TOKEN],
                    "responses": {
                        "200": _html("Recorded"),
                        "404": _html("Forged, expired or used: the same page for all"),
                    },
                },
            },
            "/api/v1/staff/cases": {
                "get": _staff(
                    "Cases newest first, filtered, a page at a time",
                    "listCases",
                    "CasePage",
                    parameters=_query_parameters(),
                    responses={
                        "400": _problem("The cursor is not one this API gave out"),
                        "422": _problem("The query has errors"),
                    },
                )
            },
            case: {
                "get": _staff(
                    "One case with its report, notes and deliveries",
                    "readCase",
                    "CaseFile",
                    parameters=[REFERENCE],
                )
            },
            f"{case}/status": {
                "post": _change("Move the case along the workflow", "changeStatus", "StatusChange")
            },
            f"{case}/assignee": {
                "post": _change("Assign the case to a caseworker", "assignCase", "Assignment")
            },
            f"{case}/notes": {"post": _change("Add a note", "addNote", "NewNote", stale=False)},
            f"{case}/links": {
                "post": _change("Link a related case (both ways)", "linkCases", "NewLink")
            },
            f"{case}/audit": {
                "get": _staff(
                    "Who saw and changed the case (auditors)",
                    "auditTrail",
                    "AuditTrail",
                    parameters=[REFERENCE],
                )
            },
            f"{case}/matches": {
                "get": _staff(
                    "Earlier reports that may be about the same child, for review",
                    "listMatches",
                    "Matches",
                    parameters=[REFERENCE],
                )
            },
            f"{case}/matches/{{other}}": {
                "post": _staff(
                    "Confirm (links both cases, alerts both sides) or reject a match",
                    "reviewMatch",
                    "Match",
                    parameters=[
                        REFERENCE,
                        {
                            "name": "other",
                            "in": "path",
                            "required": True,
                            "description": "The other case of the pair",
                            "schema": {"type": "string"},
                        },
                    ],
                    requestBody={
                        "required": True,
                        "content": {"application/json": {"schema": _ref("MatchDecision")}},
                    },
                    responses={
                        "400": _problem("The body is not JSON"),
                        "409": _problem("This match was already reviewed"),
                        "422": _problem("The request has errors"),
                    },
                )
            },
            "/api/v1/staff/deliveries/undelivered": {
                "get": _staff(
                    "Alerts that could not be delivered (failed or parked), for coordinators",
                    "undelivered",
                    "Undelivered",
                )
            },
            "/api/v1/staff/deliveries/retry": {
                "post": {
                    **_staff("Send a failed delivery again", "retryDelivery", "Undelivered"),
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("DeliveryRetry")}},
                    },
                    "responses": {
                        "202": _json(
                            "Queued again",
                            {
                                "type": "object",
                                "properties": {"status": {"const": "queued"}},
                                "required": ["status"],
                            },
                        ),
                        "400": _problem("The body is not JSON"),
                        **STAFF_ERRORS,
                        "422": _problem("The request has errors"),
                    },
                }
            },
            "/api/v1/staff/directory/audit": {
                "get": _staff(
                    "Who read or changed the contacts and routing rules, for auditors",
                    "directoryAudit",
                    "AuditTrail",
                )
            },
            "/api/v1/staff/contacts": {
                "get": _staff(
                    "The coalition's contacts, for coordinators", "listContacts", "ContactList"
                )
            },
            "/api/v1/staff/contacts/{contact_id}": _entry(
                "contact", "contact_id", "Contact", "ContactEntry"
            ),
            "/api/v1/staff/routing-rules": {
                "get": _staff(
                    "The routing rules, for coordinators", "listRoutingRules", "RoutingRuleList"
                )
            },
            "/api/v1/staff/routing-rules/{rule_id}": _entry(
                "routing rule", "rule_id", "RoutingRule", "RoutingRule"
            ),
            "/api/v1/staff/statistics": {
                "get": _staff("Cases by status, oblast and category", "statistics", "Statistics")
            },
        },
        "components": {
            "schemas": components["$defs"],
            "securitySchemes": {
                "staffToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A Cognito ID token of the staff user pool, whose single group is "
                        "the role (caseworker, coordinator, auditor) and whose custom:agency "
                        "is the agency. Locally: `homeward dev-token`."
                    ),
                }
            },
        },
    }
