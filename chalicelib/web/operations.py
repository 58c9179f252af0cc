"""Staff API operations: each route a one-liner into a service, everything else here.

`staff_operation` owns what every staff route does the same way: the caller's token
checked (in every stage: `chalice local` skips API Gateway's authorizer), the request id,
the body and query parsed through their schema models, the domain's answer serialised
through its schema (`Model.of`), and refusals answered from the error table
(web/problems.py). Each operation is recorded in OPERATIONS, from which the OpenAPI
document describes the staff API: what it says is what the routes do.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import CognitoUserPoolAuthorizer, Response

from chalicelib import wiring
from chalicelib.domain.references import REFERENCE_PATTERN
from chalicelib.lazy import lazy_module
from chalicelib.web.http import json_response, parse_json, request_id

schemas = lazy_module("chalicelib.web.schemas")
schemas_console = lazy_module("chalicelib.web.schemas_console")
partner_schemas = lazy_module("chalicelib.web.partner_schemas")
schemas_aftercare = lazy_module("chalicelib.web.schemas_aftercare")
schemas_evidence = lazy_module("chalicelib.web.schemas_evidence")
schemas_statements = lazy_module("chalicelib.web.schemas_statements")
access = lazy_module("chalicelib.services.access")

log = logging.getLogger("homeward.web")

PREFIX = "/api/v1/staff"
_REFERENCE = re.compile(REFERENCE_PATTERN)
# Path parameters that name a case: a malformed one is "not found" before any read.
_CASES = ("reference", "other")

# Attached only when infra/package.py builds the deployment, which points it at the
# template's user pool: locally Chalice would only decode tokens without checking them.
AUTHORIZER = (
    CognitoUserPoolAuthorizer("StaffPool", provider_arns=["set-by-infra-package"])
    if os.environ.get("HOMEWARD_COGNITO_AUTHORIZER") == "1"
    else None
)


class IdMismatch(ValueError):
    """The body names another entry than the path does."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    # Names of models in web/schemas.py (resolved when first used).
    answer: str | None
    body: str | None
    query: str | None
    status: int
    # The exceptions (keys of the error table) this operation may answer with.
    refusals: tuple[str, ...]
    # Who calls it: "staff" (an ID token) or "partner" (a client-credentials token).
    audience: str = "staff"


OPERATIONS: list[Operation] = []


def authenticate(request: Any):
    """The staff member behind a request's `Authorization: Bearer <ID token>`."""
    from chalicelib.domain.staff import InvalidToken

    header = (request.headers.get("authorization") or "").strip()
    scheme, _, token = header.partition(" ")
    if not header:
        raise InvalidToken("missing")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("not a bearer token")
    return wiring.token_verifier().verify(token.strip())


def model(name: str) -> Any:
    """A schema model by name, from web/schemas.py, web/schemas_console.py or
    web/partner_schemas.py (the partner API's, partner registrations' and exports')."""
    for module in (
        schemas,
        schemas_console,
        partner_schemas,
        schemas_aftercare,
        schemas_statements,
        schemas_evidence,
    ):
        found = getattr(module, name, None)
        if found is not None:
            return found
    raise AttributeError(f"no schema named {name}")


def authenticate_partner(request: Any):
    """The partner client behind `Authorization: Bearer <access token>`."""
    from chalicelib.domain.partners import InvalidPartnerToken
    from chalicelib.domain.staff import InvalidToken

    header = (request.headers.get("authorization") or "").strip()
    scheme, _, token = header.partition(" ")
    if not header:
        raise InvalidPartnerToken("missing")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidPartnerToken("not a bearer token")
    try:
        return wiring.token_verifier().verify_partner(token.strip())
    except InvalidToken as exc:
        raise InvalidPartnerToken(str(exc)) from None


def partner_operation(
    bp: Any,
    method: str,
    path: str,
    *,
    operation_id: str,
    summary: str,
    answer: str | None = None,
    body: str | None = None,
    status: int = 200,
    refusals: tuple[str, ...] = (),
    max_body: int = 64 * 1024,
) -> Callable[[Callable], Callable]:
    """Register a partner route: the work function gets the partner client, the path's
    parameters and `body` when declared; what it returns is shaped by `answer`."""

    def register(work: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(work)
        def view(**params: str) -> Response:
            from chalicelib.web.http import BodyTooLarge

            request = bp.current_request
            client = authenticate_partner(request)
            extra: dict[str, Any] = {}
            if body:
                if len(request.raw_body or b"") > max_body:
                    raise BodyTooLarge(max_body)
                extra["body"] = _model(body).model_validate(parse_json(request.raw_body))
            result = work(client, **params, **extra)
            if isinstance(result, Response):
                return result
            return json_response(status, _shape(_model(answer), result))

        options: dict[str, Any] = {"methods": [method]}
        if body:
            options["content_types"] = ["*/*"]
        bp.route(path, **options)(view)
        OPERATIONS.append(
            Operation(
                method,
                path,
                operation_id,
                summary,
                answer,
                body,
                None,
                status,
                refusals,
                audience="partner",
            )
        )
        return view

    return register


def _model(name: str | None):
    return model(name) if name else None


class AnswerDoesNotFit(Exception):
    """What a route built does not fit its own answer's model: our mistake, never the
    caller's. It must not reach the error table's ValidationError (a 422 that blames the
    request), so it is a 500 with the request id (web/problems.py)."""


def _shape(model: Any, result: Any) -> Any:
    """The answer as its schema says: built from the domain's object (`of`), or checked."""
    from pydantic import ValidationError

    if isinstance(result, model):
        return result.model_dump(mode="json")
    try:
        shaped = model.of(result) if hasattr(model, "of") else model.model_validate(result)
    except ValidationError as broken:
        # Where, never what: the values may be a child's.
        where = sorted({".".join(map(str, e["loc"])) for e in broken.errors()})
        log.error("answer %s does not fit its model at %s", model.__name__, ", ".join(where))
        raise AnswerDoesNotFit(model.__name__) from None
    return shaped.model_dump(mode="json")


def staff_operation(
    bp: Any,
    method: str,
    path: str,
    *,
    operation_id: str,
    summary: str,
    answer: str | None = None,
    body: str | None = None,
    query: str | None = None,
    status: int = 200,
    refusals: tuple[str, ...] = (),
    path_defaults: tuple[str, ...] = (),
) -> Callable[[Callable], Callable]:
    """Register a staff route. The work function gets the caller, the path's parameters,
    and `body` / `query` when declared, and returns a domain object (or a Response).

    `path_defaults`: path parameters the body may leave out, and must not contradict.
    """

    def register(work: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(work)
        def view(**params: str) -> Response:
            # What this raises is answered by the boundary every route runs in (problems.py).
            request = bp.current_request
            staff = authenticate(request)
            # What the caller's agency is decides what the disclosure policy shows it.
            recipient = wiring.directory().current().recipient(staff.agency)
            caller = access.Caller(staff, request_id(request), recipient)
            if not all(_REFERENCE.match(params.get(p, "HW-2222-2222")) for p in _CASES):
                raise access.CaseNotFound()
            extra: dict[str, Any] = {}
            if body:
                data = parse_json(request.raw_body)
                for name in path_defaults:
                    if (
                        isinstance(data, dict)
                        and data.setdefault(name, params[name]) != params[name]
                    ):
                        raise IdMismatch(name)
                extra["body"] = _model(body).model_validate(data)
            if query:
                extra["query"] = _model(query).model_validate(dict(request.query_params or {}))
            result = work(caller, **params, **extra)
            if isinstance(result, Response):
                return result
            return json_response(status, _shape(_model(answer), result))

        options: dict[str, Any] = {"methods": [method], "authorizer": AUTHORIZER}
        if body:
            options["content_types"] = ["*/*"]  # a wrong type is a 400 from parse_json
        bp.route(path, **options)(view)
        OPERATIONS.append(
            Operation(method, path, operation_id, summary, answer, body, query, status, refusals)
        )
        return view

    return register
