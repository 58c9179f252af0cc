"""The staff API for cases, under /api/v1/staff/: every request authenticated, authorised
by the services, and audited. Each route is one call into a service (web/operations.py
does the rest)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.operations import PREFIX, staff_operation

casework = lazy_module("chalicelib.services.casework")
matching = lazy_module("chalicelib.services.matching")
delivery = lazy_module("chalicelib.services.delivery")
response_times = lazy_module("chalicelib.services.response_times")
data_requests = lazy_module("chalicelib.services.data_requests")
statements = lazy_module("chalicelib.services.statements")

bp = Blueprint(__name__)
CASE = f"{PREFIX}/cases/{{reference}}"
CHANGE = ("BadRequestBody", "ValidationError", "CaseNotFound", "NotPermitted")


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/cases",
    operation_id="listCases",
    summary="Cases newest first, filtered, a page at a time",
    answer="CasePage",
    query="CaseQuery",
    refusals=("InvalidCursor", "ValidationError", "NotPermitted"),
)
def list_cases(caller, query):
    return casework.list_cases(
        caller, query.filters(), stores=wiring.stores(), limit=query.limit, cursor=query.cursor
    )


@staff_operation(
    bp,
    "GET",
    CASE,
    operation_id="readCase",
    summary="One case with its report, notes and deliveries",
    answer="CaseFile",
    refusals=("CaseNotFound", "NotPermitted"),
)
def read_case(caller, reference):
    return casework.read_case(caller, reference, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    f"{CASE}/status",
    operation_id="changeStatus",
    summary="Move the case along the workflow",
    answer="CaseFile",
    body="StatusChange",
    refusals=(*CHANGE, "StaleVersion", "MoveNotAllowed"),
)
def change_status(caller, reference, body):
    return casework.move_case(
        caller,
        reference,
        target=body.status,
        note=body.note,
        version=body.version,
        stores=wiring.stores(),
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/assignee",
    operation_id="assignCase",
    summary="Assign the case to a caseworker",
    answer="CaseFile",
    body="Assignment",
    refusals=(*CHANGE, "StaleVersion"),
)
def assign(caller, reference, body):
    return casework.assign_case(
        caller, reference, assignee=body.assignee, version=body.version, stores=wiring.stores()
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/notes",
    operation_id="addNote",
    summary="Add a note",
    answer="CaseFile",
    body="NewNote",
    refusals=CHANGE,
)
def add_note(caller, reference, body):
    return casework.add_note(caller, reference, text=body.text, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    f"{CASE}/links",
    operation_id="linkCases",
    summary="Link a related case (both ways)",
    answer="CaseFile",
    body="NewLink",
    refusals=(*CHANGE, "StaleVersion"),
)
def link(caller, reference, body):
    return casework.link_cases(
        caller, reference, other=body.reference, version=body.version, stores=wiring.stores()
    )


@staff_operation(
    bp,
    "POST",
    f"{CASE}/break-glass",
    operation_id="breakGlass",
    summary="See what the disclosure policy withholds, for 30 minutes (coordinators; audited, "
    "auditors alerted)",
    answer="CaseFile",
    body="BreakGlass",
    refusals=CHANGE,
)
def break_glass(caller, reference, body):
    return casework.break_glass(
        caller,
        reference,
        reason=body.reason,
        explanation=body.explanation,
        stores=wiring.stores(),
    )


@staff_operation(
    bp,
    "GET",
    f"{CASE}/audit",
    operation_id="auditTrail",
    summary="Who saw and changed the case (auditors)",
    answer="AuditTrail",
    refusals=("CaseNotFound", "NotPermitted"),
)
def audit(caller, reference):
    return casework.audit_trail(caller, reference, stores=wiring.stores())


@staff_operation(
    bp,
    "GET",
    f"{CASE}/matches",
    operation_id="listMatches",
    summary="Earlier reports that may be about the same child, for review",
    answer="Matches",
    refusals=("CaseNotFound", "NotPermitted"),
)
def matches(caller, reference):
    return matching.matches_of(caller, reference, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    f"{CASE}/matches/{{other}}",
    operation_id="reviewMatch",
    summary="Confirm (links both cases, alerts both sides) or reject a match",
    answer="Match",
    body="MatchDecision",
    refusals=(*CHANGE, "AlreadyDecided"),
)
def review_match(caller, reference, other, body):
    return matching.review_match(
        caller,
        reference,
        other,
        decision=body.decision,
        stores=wiring.stores(),
        settings=wiring.settings(),
    )


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/deliveries/undelivered",
    operation_id="undelivered",
    summary="Alerts that could not be delivered (failed or parked), for coordinators",
    answer="Undelivered",
    refusals=("NotPermitted",),
)
def undelivered(caller):
    return delivery.undelivered_for(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "POST",
    f"{PREFIX}/deliveries/retry",
    operation_id="retryDelivery",
    summary="Send a failed delivery again (coordinators), to the contact's current address",
    answer="Resent",
    body="DeliveryRetry",
    status=202,
    refusals=(
        "BadRequestBody",
        "ValidationError",
        "NotPermitted",
        "NotFailed",
        "ConsentWithdrawn",
        "Unreachable",
    ),
)
def retry_delivery(caller, body):
    return delivery.retry_for(
        caller,
        body.reference,
        body.delivery_id,
        stores=wiring.stores(),
        queue=wiring.delivery_queue(),
    )


@staff_operation(
    bp,
    "POST",
    f"{PREFIX}/deliveries/retry-all",
    operation_id="retryAllDeliveries",
    summary="Send every undelivered alert again, each to its contact's current address "
    "(coordinators)",
    answer="ResentAll",
    status=202,
    refusals=("NotPermitted",),
)
def retry_all_deliveries(caller):
    return delivery.retry_all_for(caller, stores=wiring.stores(), queue=wiring.delivery_queue())


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/statistics",
    operation_id="statistics",
    summary="Cases by status, oblast and category; time to acknowledge per desk and week "
    "(median, 90th percentile), overdue alerts, open cases per person",
    answer="Statistics",
)
def statistics(caller):
    return response_times.statistics(
        caller, stores=wiring.stores(), directory=wiring.directory().current()
    )


DATA_REQUESTS = f"{PREFIX}/data-requests"
DATA_REQUEST = ("BadRequestBody", "ValidationError", "NotAnAddress", "NotPermitted")


@staff_operation(
    bp,
    "POST",
    f"{DATA_REQUESTS}/export",
    operation_id="exportPersonData",
    summary="Everything held about a person, found by the e-mail or phone they reported with "
    "or by a case (coordinators; audited on every case)",
    answer="DataExport",
    body="DataRequest",
    refusals=DATA_REQUEST,
)
def export_person_data(caller, body):
    return data_requests.export(
        caller, body.person(), stores=wiring.stores(), settings=wiring.settings()
    )


@staff_operation(
    bp,
    "POST",
    f"{DATA_REQUESTS}/erase",
    operation_id="erasePersonData",
    summary="Erase a person's contact details from every case they reported; the cases stay "
    "(coordinators; audited on every case)",
    answer="DataErased",
    body="DataRequest",
    refusals=DATA_REQUEST,
)
def erase_person_data(caller, body):
    return data_requests.erase(
        caller, body.person(), stores=wiring.stores(), settings=wiring.settings()
    )


@staff_operation(
    bp,
    "GET",
    f"{DATA_REQUESTS}/audit",
    operation_id="dataRequestsAudit",
    summary="Who answered which data requests, for auditors",
    answer="AuditTrail",
    refusals=("NotPermitted",),
)
def data_requests_audit(caller):
    return data_requests.audit_trail(caller, stores=wiring.stores())


STATEMENTS = f"{CASE}/statements"


@staff_operation(
    bp,
    "POST",
    STATEMENTS,
    operation_id="takeStatement",
    summary="Keep a witness statement, sealed, as it was given (from an adult only: Homeward "
    "never asks a child to testify); a correction is a new statement naming the one it adds to",
    answer="StatementRecord",
    body="NewStatement",
    status=201,
    refusals=CHANGE,
)
def take_statement(caller, reference, body):
    from chalicelib.domain.statements import StatementRefused
    from chalicelib.web.schemas_statements import refused_as_invalid

    try:
        taken = statements.take(caller, reference, body.taken(), stores=wiring.stores(), now=_now())
    except StatementRefused as refused:
        raise refused_as_invalid(refused) from None
    return statements.ShownStatement(taken, words_shown=False)


@staff_operation(
    bp,
    "GET",
    STATEMENTS,
    operation_id="listStatements",
    summary="The case's witness statements: who gave each, when, in which language and how it "
    "was taken (their words: readStatement)",
    answer="StatementList",
    refusals=("CaseNotFound", "NotPermitted"),
)
def list_statements(caller, reference):
    return statements.listing(caller, reference, stores=wiring.stores(), now=_now())


@staff_operation(
    bp,
    "GET",
    f"{STATEMENTS}/{{statement_id}}",
    operation_id="readStatement",
    summary="One statement with the witness's words (coordinators with the evidence role; each "
    "reading is recorded in its chain of custody)",
    answer="StatementRecord",
    refusals=("CaseNotFound", "NotPermitted"),
)
def read_statement(caller, reference, statement_id):
    return statements.read(caller, reference, statement_id, stores=wiring.stores(), now=_now())


@staff_operation(
    bp,
    "POST",
    f"{STATEMENTS}/{{statement_id}}/consent-withdrawal",
    operation_id="withdrawStatementConsent",
    summary="Record that the witness withdrew the consent to the statement's use by prosecutors "
    "(whoever may take a statement; once): it leaves every package not yet handed over, and the "
    "answer names the recipients who already hold it",
    answer="StatementWithdrawal",
    body="ConsentWithdrawn",
    status=201,
    refusals=(*CHANGE, "NothingToWithdraw"),
)
def withdraw_statement_consent(caller, reference, statement_id, body):
    from chalicelib.domain.statements import StatementRefused
    from chalicelib.web.schemas_statements import refused_as_invalid

    try:
        return statements.withdraw_consent(
            caller, reference, statement_id, body.why, stores=wiring.stores(), now=_now()
        )
    except StatementRefused as refused:
        raise refused_as_invalid(refused) from None


def _now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)
