"""The OpenAPI 3.1 document, generated from the same pydantic models that validate."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.domain.report import Receipt, Report
from chalicelib.web.openapi_operations import (
    _json,
    _path_parameters,
    _problem,
    _ref,
    _staff_models,
    _staff_paths,
)


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
    # On a 500: quote it when reporting the problem.
    request_id: str | None = None


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


ASSET_TYPES = ("text/css", "application/javascript")

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


def _form_body(*fields: str) -> dict[str, Any]:
    properties = {name: {"type": "string"} for name in fields}
    schema = {"type": "object", "properties": properties}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    staff_paths = _staff_paths()
    _, components = models_json_schema(
        [
            (Report, "validation"),
            (Receipt, "serialization"),
            (Problem, "serialization"),
            *_staff_models(),
        ],
        ref_template="#/components/schemas/{model}",
    )
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
            "/api/v1/sign-in": {
                "get": {
                    "summary": "Where staff sign in: the stage's managed login (OAuth 2.0)",
                    "operationId": "signIn",
                    "tags": ["staff"],
                    "responses": {
                        "200": _json(
                            "The authorization and token endpoints, and the public app client",
                            {
                                "type": "object",
                                "properties": {
                                    name: {"type": "string"}
                                    for name in (
                                        "issuer",
                                        "authorization_endpoint",
                                        "token_endpoint",
                                        "revocation_endpoint",
                                        "client_id",
                                        "scope",
                                    )
                                },
                                "required": ["authorization_endpoint", "token_endpoint"],
                            },
                        ),
                        "404": _problem("No staff sign-in here (a local run)"),
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
                            },
                            # Without JavaScript: the same fields, and the photos and
                            # documents chosen in its `file` input (at most 4 MiB in all).
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "file": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        }
                                    },
                                    "additionalProperties": {"type": "string"},
                                }
                            },
                        },
                    },
                    "responses": {
                        "200": _html("The receipt again, for a form already sent"),
                        "201": _html("The receipt: reference and status code"),
                        "400": _html(
                            "The form's key had expired or was not issued here: the answers, "
                            "with a fresh key, to send again"
                        ),
                        "403": _html("Sent from another site's page: nothing was stored"),
                        "409": _html("This form was already sent with other answers"),
                        "413": _html("The report is too long"),
                        "415": _html("Not a form post, or one that cannot be read"),
                        "422": _html("The form again, every answer kept, errors by their fields"),
                        "429": _html("Too many reports from this connection; see Retry-After"),
                    },
                }
            },
            "/report/shown": {
                "get": {
                    "summary": "The receipt's mark: its status code was shown (an image it loads)",
                    "description": (
                        "Fetched by the receipt as a browser shows it. A form sent again "
                        "afterwards (reload, Back) shows the reference only; a double tap, "
                        "whose first receipt was never shown, shows the code on the second."
                    ),
                    "operationId": "receiptShown",
                    "tags": ["form"],
                    "parameters": [
                        {
                            "name": "key",
                            "in": "query",
                            "required": False,
                            "description": "The form's key (submission_key)",
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"204": {"description": "Noted (or nothing to note)"}},
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
                        "403": _problem("Asked from another site's page"),
                        "404": _problem("Uploads are not available"),
                        "413": _problem("Request too large"),
                        "422": _problem(
                            "This file cannot be uploaded (detail: wrong_type, heic: a HEIC "
                            "photo, refused; too_large, invalid, expired, or sent: the "
                            "form's report was filed)"
                        ),
                        "429": _problem("Too many requests from this connection; see Retry-After"),
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
                    "requestBody": _form_body("reference", "token", "lang"),
                    "responses": {
                        "200": _html("The stage, or the same page for any wrong reference or code"),
                        "403": _html("Asked from another site's page"),
                        "429": _html("Too many lookups from this connection; see Retry-After"),
                    },
                },
            },
            "/status/withdraw": {
                "get": {
                    "summary": "The reporter's withdrawal of consent: what it does, and the form",
                    "operationId": "withdrawForm",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "responses": {"200": _html("The withdrawal form")},
                },
                "post": {
                    "summary": "Withdraw consent: no sharing, tracing or contact; the reporter's "
                    "contact details erased; the child's case stays with the intake desk",
                    "operationId": "withdraw",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "requestBody": _form_body("reference", "token", "confirm", "lang"),
                    "responses": {
                        "200": _html("Withdrawn, or the same page for any wrong reference or code"),
                        "403": _html("Asked from another site's page"),
                        "422": _html("Not confirmed (`confirm=yes`): nothing changed"),
                        "429": _html("Too many lookups from this connection; see Retry-After"),
                    },
                },
            },
            "/status/withdraw-evidence": {
                "get": {
                    "summary": "The reporter's withdrawal of the evidence consent alone",
                    "operationId": "withdrawEvidenceForm",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "responses": {"200": _html("The withdrawal form")},
                },
                "post": {
                    "summary": "Withdraw the evidence consent: recorded in each file's chain "
                    "of custody; the case leaves every package not yet handed over",
                    "operationId": "withdrawEvidence",
                    "tags": ["form"],
                    "parameters": [LANGUAGE],
                    "requestBody": _form_body("reference", "token", "confirm", "lang"),
                    "responses": {
                        "200": _html("Withdrawn, or the same page for any wrong reference or code"),
                        "403": _html("Asked from another site's page"),
                        "422": _html("Not confirmed (`confirm=yes`): nothing changed"),
                        "429": _html("Too many lookups from this connection; see Retry-After"),
                    },
                },
            },
            "/static/{name}": {
                "get": {
                    "summary": "The form's own CSS and JavaScript (nothing from elsewhere)",
                    "operationId": "staticFile",
                    "tags": ["form"],
                    "parameters": _path_parameters("/static/{name}"),
                    "responses": {
                        "200": {
                            "description": "The file",
                            "content": {t: {"schema": {"type": "string"}} for t in ASSET_TYPES},
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
                        "429": _html("Too many tries from this connection; see Retry-After"),
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
                        "429": _html("Too many tries from this connection; see Retry-After"),
                    },
                },
            },
            **staff_paths,
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
                },
                "partnerToken": {
                    "type": "oauth2",
                    "description": (
                        "A partner's access token from the stage's Cognito token endpoint "
                        "(client credentials, the partner's app client id and secret). "
                        "Locally: `homeward dev-token --partner CLIENT_ID`."
                    ),
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "https://SIGN-IN-PREFIX.auth.REGION.amazoncognito.com"
                            "/oauth2/token",
                            "scopes": {
                                "homeward-partners/reports.write": "file and import reports",
                                "homeward-partners/reports.read": "read back your reports' stages",
                            },
                        }
                    },
                },
            },
        },
    }
