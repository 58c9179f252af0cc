"""Errors as RFC 9457 problem details (application/problem+json), and the error table.

Every route runs inside `boundary`: what a service raises is answered from ERRORS, the
one table of what each refusal means over HTTP (the OpenAPI document lists the same
entries for each operation), and anything else becomes a 500 problem with the request id,
logged by kind and place only. Chalice catches an exception inside a view before any
middleware sees it, so this has to wrap the views themselves.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.logs import describe
from chalicelib.web.http import API_HEADERS, error_page

if TYPE_CHECKING:
    from pydantic import ValidationError

log = logging.getLogger("homeward.web")

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    if request_id:
        body["request_id"] = request_id
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **API_HEADERS, **(headers or {})},
    )


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the values that were sent: those may be personal data."""
    errors = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        message = error["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        errors.append({"loc": list(error["loc"]), "msg": message, "type": error["type"]})
    return errors


def not_found() -> Response:
    return problem(404, "not-found", "Not found")


@dataclass(frozen=True)
class Refusal:
    """How one kind of refusal is answered."""

    status: int
    slug: str
    title: str
    # What the OpenAPI document says of it.
    description: str
    detail: Callable[[Any], str | None] = lambda exc: None
    errors: Callable[[Any], list[dict[str, Any]] | None] = lambda exc: None
    headers: Callable[[Any], dict[str, str]] = lambda exc: {}


def _table() -> dict[type, Refusal]:
    """Exception type -> refusal; imported on first use (a cold start pays only if needed)."""
    from pydantic import ValidationError

    from chalicelib.domain.casefile import InvalidCursor
    from chalicelib.domain.colleagues import UnknownAssignee
    from chalicelib.domain.corrections import NotCorrectable
    from chalicelib.domain.erasure import NotAnAddress
    from chalicelib.domain.imports import RowsRefused
    from chalicelib.domain.mediation import AnswerRefused
    from chalicelib.domain.partners import InvalidPartnerToken, MissingScope, UnknownPartner
    from chalicelib.domain.referrals import ConsentMissing, ReferralError
    from chalicelib.domain.staff import InvalidToken
    from chalicelib.domain.statements import NothingToWithdraw
    from chalicelib.domain.workflow import MoveNotAllowed
    from chalicelib.services import (
        access,
        aftercare,
        casework,
        delivery,
        directory,
        exports,
        imports,
        intake,
        matching,
        mediation,
        partners,
        referrals,
        webhooks,
    )
    from chalicelib.services.acknowledgement import NotYours
    from chalicelib.web.http import BadRequestBody, BodyTooLarge
    from chalicelib.web.operations import IdMismatch

    return {
        BadRequestBody: Refusal(400, "malformed-json", "The body is not valid JSON", "Not JSON"),
        InvalidCursor: Refusal(
            400,
            "invalid-cursor",
            "The cursor is not one this API gave out for this list",
            "A cursor of another list, person or filter",
        ),
        InvalidToken: Refusal(
            401,
            "unauthorised",
            "Sign in as coalition staff",
            "No valid staff token (see the staffToken security scheme)",
            headers=lambda exc: {
                "WWW-Authenticate": 'Bearer realm="homeward"'
                + ("" if str(exc) == "missing" else ', error="invalid_token"')
            },
        ),
        InvalidPartnerToken: Refusal(
            401,
            "unauthorised",
            "A partner's access token is needed",
            "No valid partner access token (see the partnerToken security scheme)",
            headers=lambda exc: {
                "WWW-Authenticate": 'Bearer realm="homeward-partners"'
                + ("" if str(exc) == "missing" else ', error="invalid_token"')
            },
        ),
        MissingScope: Refusal(
            403,
            "insufficient-scope",
            "Your client's token lacks the scope this needs",
            "The token lacks the scope",
            detail=lambda exc: f"Ask for the scope {exc} when you request the token.",
            headers=lambda exc: {
                "WWW-Authenticate": f'Bearer realm="homeward-partners", '
                f'error="insufficient_scope", scope="{exc}"'
            },
        ),
        UnknownPartner: Refusal(
            403,
            "unknown-partner",
            "Your client is not registered with Homeward (or was deactivated)",
            "Not a registered, active partner",
        ),
        access.NotPermitted: Refusal(
            403, "forbidden", "Your role does not allow this", "The role does not do this at all"
        ),
        access.CaseNotFound: Refusal(
            404, "not-found", "No such case", "No such case, or not one the caller may see"
        ),
        partners.PartnerNotRegistered: Refusal(
            404, "not-found", "No partner registered under that id", "No such partner"
        ),
        partners.ReportNotFound: Refusal(
            404, "not-found", "No report of yours under that id", "No report of yours by that id"
        ),
        imports.InvalidBatchId: Refusal(
            404,
            "not-found",
            "No such batch: a batch id is 4 to 64 characters of A-Z a-z 0-9 _ -",
            "Not a batch id",
        ),
        webhooks.WebhookNotFound: Refusal(
            404, "not-found", "No failed webhook by that name", "No such failed webhook"
        ),
        delivery.NotFailed: Refusal(
            404, "not-found", "No failed delivery by that name", "No such failed delivery"
        ),
        directory.NotInDirectory: Refusal(
            404, "not-found", "No such entry in the directory", "No such contact or rule"
        ),
        referrals.ReferralNotFound: Refusal(
            404, "not-found", "No such referral to your organisation", "No such referral"
        ),
        mediation.ListNotFound: Refusal(
            404, "not-found", "No such mediation list", "No such mediation list"
        ),
        ConsentMissing: Refusal(
            403,
            "consent-missing",
            "The family's (or the reporter's) consent does not allow this",
            "Consent is missing; a coordinator may override a referral with a reason",
            detail=str,
        ),
        AnswerRefused: Refusal(
            422,
            "answer-refused",
            "Lines of the mediator's answer cannot be taken; none of it was taken",
            "Lines cannot be taken: `errors` names each by its line; nothing was taken",
            errors=lambda exc: [
                {"loc": [line], "msg": why, "type": "answer_refused"} for line, why in exc.problems
            ],
        ),
        ReferralError: Refusal(
            422,
            "not-allowed",
            "This step is not allowed now",
            "The return, referral or closure does not allow this step",
            detail=str,
        ),
        aftercare.RecordChanged: Refusal(
            409,
            "record-changed",
            "Someone changed this record at the same moment",
            "Another change came first",
            detail=lambda exc: "Read it again and redo your change.",
        ),
        casework.StaleVersion: Refusal(
            409,
            "stale-version",
            "The case changed since you read it",
            "The case changed since the given version",
            detail=lambda exc: (
                f"Read it again (current version {exc.current}) and redo your change."
            ),
        ),
        delivery.Unreachable: Refusal(
            409,
            "contact-unreachable",
            "The directory has no way to this contact any more: correct it, then send again",
            "The contact is removed, switched off or has no address for this channel",
        ),
        delivery.ConsentWithdrawn: Refusal(
            409,
            "consent-withdrawn",
            "The reporter withdrew their consent: this alert may not be sent",
            "The reporter withdrew consent for this recipient",
        ),
        NothingToWithdraw: Refusal(
            409,
            "nothing-to-withdraw",
            "Nothing to withdraw",
            "Withdrawn before, or never given",
            detail=str,
        ),
        matching.AlreadyDecided: Refusal(
            409, "already-decided", "This match was already reviewed", "Already reviewed"
        ),
        directory.ChangeRefused: Refusal(
            409,
            "routes-to-nobody",
            "This change would leave alerts reaching nobody",
            "The change would leave alerts reaching nobody",
            detail=lambda exc: (
                "Change or remove the rules named first, or keep the contact active."
            ),
            errors=lambda exc: [
                {"loc": [], "msg": p, "type": "routes_to_nobody"} for p in exc.problems
            ],
        ),
        directory.DirectoryChanged: Refusal(
            409,
            "directory-changed",
            "The directory is being changed; try again",
            "Raced another change",
        ),
        intake.IdempotencyKeyReused: Refusal(
            409,
            "idempotency-key-reused",
            "Idempotency-Key already used for another report",
            "Idempotency-Key reused with another body",
        ),
        imports.BatchClosed: Refusal(
            409,
            "batch-closed",
            "This import batch is closed (or was never opened)",
            "The batch is closed; a new import is a new batch",
        ),
        BodyTooLarge: Refusal(
            413,
            "body-too-large",
            "The request is too large",
            "The body is larger than the route takes",
            detail=lambda exc: f"At most {exc} bytes.",
        ),
        RowsRefused: Refusal(
            422,
            "invalid-rows",
            "Rows of the batch have mistakes; nothing of it was filed",
            "Rows have mistakes: `errors` names each by [line, field]; nothing was filed",
            errors=lambda exc: [
                {"loc": [e.line, e.field], "msg": e.message, "type": "invalid_row"}
                for e in exc.errors
            ],
        ),
        ValidationError: Refusal(
            422,
            "invalid-request",
            "The request has errors",
            "The request has errors; `errors` names each field",
            errors=field_errors,
        ),
        NotAnAddress: Refusal(
            422,
            "invalid-request",
            "Neither an e-mail address nor a phone number in international form",
            "The e-mail address or phone number is not one",
        ),
        IdMismatch: Refusal(
            422,
            "invalid-request",
            "The body names another entry than the path",
            "The body's id differs from the path's",
            detail=lambda exc: f"The body's {exc} differs from the path's",
        ),
        MoveNotAllowed: Refusal(
            422,
            "move-not-allowed",
            "This change of status is not allowed",
            "The move is not allowed from the case's status",
            detail=str,
        ),
        UnknownAssignee: Refusal(
            422,
            "unknown-assignee",
            "Assign the case to a colleague who may work it",
            "Not a recorded colleague who may work this case",
        ),
        NotCorrectable: Refusal(
            422,
            "not-correctable",
            "This field cannot be corrected this way",
            "Not a correctable field (or the value is not of its kind), or no reason given",
        ),
        NotYours: Refusal(
            404,
            "not-found",
            "No alert of yours by that name waits to be acknowledged",
            "No unacknowledged alert sent to the caller by that name",
        ),
        exports.ExportUnavailable: Refusal(
            503,
            "export-unavailable",
            "This stage has no bucket for large exports",
            "No export bucket",
        ),
        intake.TooManyRequests: Refusal(
            429,
            "too-many-requests",
            "Too many requests from your connection; try again later",
            "Too many requests from one source; see Retry-After",
            headers=lambda exc: {"Retry-After": str(max(1, exc.retry_after))},
        ),
    }


@functools.cache
def table() -> dict[type, Refusal]:
    return _table()


def refusal_for(exc: BaseException) -> Refusal | None:
    for kind in type(exc).__mro__:
        found = table().get(kind)
        if found is not None:
            return found
    return None


def answer(exc: BaseException, request_id: str) -> Response:
    """The problem response for an exception a route let through."""
    refusal = refusal_for(exc)
    if refusal is None:
        log.error("unhandled %s (request %s)", describe(exc), request_id)
        return problem(
            500,
            "internal-error",
            "Something went wrong on our side",
            "Quote the request id if you report this.",
            request_id=request_id,
        )
    return problem(
        refusal.status,
        refusal.slug,
        refusal.title,
        refusal.detail(exc),
        errors=refusal.errors(exc),
        headers=refusal.headers(exc),
    )


def guard_routes(app: Any) -> None:
    """Put every route of the app inside the boundary (once all blueprints are registered).

    Whatever a view raises is answered here, never by Chalice, which would answer its own
    500 and log the traceback (and with it, perhaps, what a person typed). JSON routes
    answer from the error table; pages answer a plain error page.
    """
    from chalicelib.web.http import request_id

    for path, methods in app.routes.items():
        page = not path.startswith(JSON_PATHS)
        for entry in methods.values():
            if getattr(entry.view_function, "_guarded", False):
                continue
            entry.view_function = _guarded(entry.view_function, app, page, request_id)


# Routes that answer JSON; every other route is a page.
JSON_PATHS = ("/api/", "/healthz", "/openapi.json", "/dev/", "/report/uploads")


def _guarded(view: Callable[..., Any], app: Any, page: bool, request_id: Callable) -> Callable:
    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            rid = request_id(app.current_request)
            if page:
                log.error("unhandled %s (request %s)", describe(exc), rid)
                return error_page(rid)
            return answer(exc, rid)

    guarded._guarded = True  # type: ignore[attr-defined]
    return guarded
