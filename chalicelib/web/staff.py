"""Staff routes under /api/v1/staff/: every request authenticated, authorised and audited.

The token is verified here in every stage. Deployed, API Gateway's Cognito authorizer
checks it first (infra/package.py attaches it); `chalice local` skips authorizers, so
this check is the one that counts there, and it is the same code everywhere.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from chalice import Blueprint, CognitoUserPoolAuthorizer, Response

from chalicelib import wiring
from chalicelib.web.problems import field_errors, problem
from chalicelib.web.public import _json

bp = Blueprint(__name__)
PREFIX = "/api/v1/staff"

# Attached only when infra/package.py builds the deployment, which points it at the
# template's user pool: locally Chalice would only decode tokens without checking them.
AUTHORIZER = (
    CognitoUserPoolAuthorizer("StaffPool", provider_arns=["set-by-infra-package"])
    if os.environ.get("HOMEWARD_COGNITO_AUTHORIZER") == "1"
    else None
)


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _staff(request: Any):
    from chalicelib.adapters.tokens import InvalidToken

    header = request.headers.get("authorization") or ""
    token = header[7:].strip() if header.lower().startswith("bearer ") else header.strip()
    if not token:
        raise _Refusal(_unauthorised("missing"))
    try:
        return wiring.token_verifier().verify(token)
    except InvalidToken:
        raise _Refusal(_unauthorised("invalid")) from None


def _unauthorised(why: str) -> Response:
    error = "" if why == "missing" else ', error="invalid_token"'
    return problem(
        401,
        "unauthorised",
        "Sign in as coalition staff",
        headers={"WWW-Authenticate": f'Bearer realm="homeward"{error}'},
    )


def _request_id(request: Any) -> str:
    return (request.context or {}).get("requestId") or str(uuid.uuid4())


def _parsed(request: Any) -> Any:
    try:
        return json.loads(request.raw_body or b"{}")
    except ValueError:
        raise _Refusal(problem(400, "malformed-json", "The body is not valid JSON")) from None


def _validated(model: type, data: Any):
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _Refusal(
            problem(422, "invalid-request", "The request has errors", errors=field_errors(exc))
        ) from None


def _body(model: type, request: Any):
    return _validated(model, _parsed(request))


def _handle(work) -> Response:
    """Run a staff action, turning the services' refusals into problem responses."""
    from chalicelib.adapters.directory import DirectoryChanged
    from chalicelib.domain.workflow import MoveNotAllowed
    from chalicelib.services import casework, directory

    request = bp.current_request
    try:
        staff = _staff(request)
        return work(request, staff, _request_id(request))
    except _Refusal as refusal:
        return refusal.response
    except casework.CaseNotFound:
        return problem(404, "not-found", "No such case")
    except casework.NotPermitted:
        return problem(403, "forbidden", "Your role does not allow this")
    except casework.StaleVersion as stale:
        return problem(
            409,
            "stale-version",
            "The case changed since you read it",
            f"Read it again (current version {stale.current}) and redo your change.",
        )
    except MoveNotAllowed as refused:
        return problem(
            422, "move-not-allowed", "This change of status is not allowed", str(refused)
        )
    except directory.ChangeRefused as refused:
        return problem(
            409,
            "routes-to-nobody",
            "This change would leave alerts reaching nobody",
            "Change or remove the rules named first, or keep the contact active.",
            errors=[{"loc": [], "msg": p, "type": "routes_to_nobody"} for p in refused.problems],
        )
    except directory.NotInDirectory:
        return problem(404, "not-found", "No such entry in the directory")
    except DirectoryChanged:
        return problem(409, "directory-changed", "The directory is being changed; try again")


def _case(answer: dict[str, Any]) -> Response:
    from chalicelib.web.schemas import CaseFile

    return _json(200, CaseFile.model_validate(answer).model_dump(mode="json"))


@bp.route(f"{PREFIX}/cases", methods=["GET"], authorizer=AUTHORIZER)
def list_cases() -> Response:
    def work(request, staff, request_id):
        from pydantic import ValidationError

        from chalicelib.adapters.caseload import Filters, InvalidCursor
        from chalicelib.services import casework
        from chalicelib.web.schemas import CasePage, CaseQuery

        try:
            query = CaseQuery.model_validate(dict(request.query_params or {}))
        except ValidationError as exc:
            return problem(422, "invalid-query", "The query has errors", errors=field_errors(exc))
        filters = Filters(
            status=query.status,
            oblast=query.oblast,
            category=query.category,
            urgent=query.urgent,
            received_from=query.received_from.isoformat() if query.received_from else None,
            received_to=query.received_to.isoformat() if query.received_to else None,
        )
        try:
            page = casework.list_cases(
                staff,
                filters,
                caseload=wiring.caseload(),
                request_id=request_id,
                limit=query.limit,
                cursor=query.cursor,
            )
        except InvalidCursor:
            return problem(400, "invalid-cursor", "The cursor is not one this API gave out")
        answer = CasePage.model_validate({"cases": page.cases, "cursor": page.cursor})
        return _json(200, answer.model_dump(mode="json"))

    return _handle(work)


@bp.route(f"{PREFIX}/cases/{{reference}}", methods=["GET"], authorizer=AUTHORIZER)
def read_case(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework

        return _case(
            casework.read_case(staff, reference, caseload=wiring.caseload(), request_id=request_id)
        )

    return _handle(work)


@bp.route(
    f"{PREFIX}/cases/{{reference}}/status",
    methods=["POST"],
    content_types=["*/*"],
    authorizer=AUTHORIZER,
)
def change_status(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework
        from chalicelib.web.schemas import StatusChange

        change = _body(StatusChange, request)
        return _case(
            casework.move_case(
                staff,
                reference,
                target=change.status,
                note=change.note,
                version=change.version,
                caseload=wiring.caseload(),
                request_id=request_id,
            )
        )

    return _handle(work)


@bp.route(
    f"{PREFIX}/cases/{{reference}}/assignee",
    methods=["POST"],
    content_types=["*/*"],
    authorizer=AUTHORIZER,
)
def assign(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework
        from chalicelib.web.schemas import Assignment

        assignment = _body(Assignment, request)
        return _case(
            casework.assign_case(
                staff,
                reference,
                assignee=assignment.assignee,
                version=assignment.version,
                caseload=wiring.caseload(),
                request_id=request_id,
            )
        )

    return _handle(work)


@bp.route(
    f"{PREFIX}/cases/{{reference}}/notes",
    methods=["POST"],
    content_types=["*/*"],
    authorizer=AUTHORIZER,
)
def add_note(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework
        from chalicelib.web.schemas import NewNote

        note = _body(NewNote, request)
        return _case(
            casework.add_note(
                staff, reference, text=note.text, caseload=wiring.caseload(), request_id=request_id
            )
        )

    return _handle(work)


@bp.route(
    f"{PREFIX}/cases/{{reference}}/links",
    methods=["POST"],
    content_types=["*/*"],
    authorizer=AUTHORIZER,
)
def link(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework
        from chalicelib.web.schemas import NewLink

        new_link = _body(NewLink, request)
        return _case(
            casework.link_cases(
                staff,
                reference,
                other=new_link.reference,
                version=new_link.version,
                caseload=wiring.caseload(),
                request_id=request_id,
            )
        )

    return _handle(work)


@bp.route(f"{PREFIX}/cases/{{reference}}/audit", methods=["GET"], authorizer=AUTHORIZER)
def audit(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework
        from chalicelib.web.schemas import AuditTrail

        entries = casework.audit_trail(
            staff, reference, caseload=wiring.caseload(), request_id=request_id
        )
        return _json(200, AuditTrail.model_validate({"entries": entries}).model_dump(mode="json"))

    return _handle(work)


@bp.route(f"{PREFIX}/cases/{{reference}}/matches", methods=["GET"], authorizer=AUTHORIZER)
def matches(reference: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import matching
        from chalicelib.web.schemas import Matches

        found = matching.matches_of(
            staff,
            reference,
            matchbook=wiring.matchbook(),
            caseload=wiring.caseload(),
            request_id=request_id,
        )
        return _json(200, Matches.model_validate({"matches": found}).model_dump(mode="json"))

    return _handle(work)


@bp.route(
    f"{PREFIX}/cases/{{reference}}/matches/{{other}}",
    methods=["POST"],
    content_types=["*/*"],
    authorizer=AUTHORIZER,
)
def review_match(reference: str, other: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import matching
        from chalicelib.web.schemas import Match, MatchDecision

        decision = _body(MatchDecision, request)
        try:
            pair = matching.review_match(
                staff,
                reference,
                other,
                decision=decision.decision,
                repository=wiring.repository(),
                matchbook=wiring.matchbook(),
                caseload=wiring.caseload(),
                request_id=request_id,
            )
        except matching.AlreadyDecided:
            return problem(409, "already-decided", "This match was already reviewed")
        return _json(200, Match.model_validate(pair).model_dump(mode="json"))

    return _handle(work)


@bp.route(f"{PREFIX}/deliveries/undelivered", methods=["GET"], authorizer=AUTHORIZER)
def undelivered() -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import delivery
        from chalicelib.web.schemas import Undelivered

        if staff.role != "coordinator":
            return problem(403, "forbidden", "Your role does not allow this")
        found = delivery.undelivered(repository=wiring.repository())
        return _json(200, Undelivered.model_validate({"deliveries": found}).model_dump(mode="json"))

    return _handle(work)


@bp.route(
    f"{PREFIX}/deliveries/retry", methods=["POST"], content_types=["*/*"], authorizer=AUTHORIZER
)
def retry_delivery() -> Response:
    def work(request, staff, request_id):
        from chalicelib.domain.audit import AuditEntry
        from chalicelib.services import delivery
        from chalicelib.web.schemas import DeliveryRetry

        if staff.role != "coordinator":
            return problem(403, "forbidden", "Your role does not allow this")
        asked = _body(DeliveryRetry, request)
        wiring.caseload().record(
            [
                AuditEntry.of(
                    staff, asked.reference, "retry-delivery", request_id, detail=asked.delivery_id
                )
            ]
        )
        if not delivery.retry(
            asked.reference,
            asked.delivery_id,
            repository=wiring.repository(),
            queue=wiring.delivery_queue(),
        ):
            return problem(404, "not-found", "No failed delivery by that name")
        return _json(202, {"status": "queued"})

    return _handle(work)


@bp.route(f"{PREFIX}/statistics", methods=["GET"], authorizer=AUTHORIZER)
def statistics() -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import casework
        from chalicelib.web.schemas import Statistics

        numbers = casework.statistics(staff, caseload=wiring.caseload())
        return _json(200, Statistics.model_validate(numbers).model_dump(mode="json"))

    return _handle(work)
