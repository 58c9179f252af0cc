"""Coordinator routes for the directory: contacts and routing rules, under /api/v1/staff/.

Only coordinators read or change them (the contacts are staff's own addresses). A
change that would leave an alert reaching nobody is refused with 409 and the reasons
(staff._handle turns the directory service's refusals into problems).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web.problems import problem
from chalicelib.web.public import _json
from chalicelib.web.staff import AUTHORIZER, PREFIX, _handle, _parsed, _Refusal, _validated

bp = Blueprint(__name__)

CONTACTS = f"{PREFIX}/contacts"
RULES = f"{PREFIX}/routing-rules"


def _adapters(request_id: str) -> dict[str, Any]:
    return {
        "store": wiring.directory_store(),
        "caseload": wiring.caseload(),
        "request_id": request_id,
    }


def _named(model: type, key: str, value: str, request: Any):
    """The body, whose id may be left out but must not differ from the path's."""
    data = _parsed(request)
    if isinstance(data, dict) and data.setdefault(key, value) != value:
        raise _Refusal(problem(422, "invalid-request", f"The body's {key} differs from the path's"))
    return _validated(model, data)


def _read(staff, request_id: str):
    from chalicelib.services import directory

    return directory.read(staff, **_adapters(request_id))


def _dump(model) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _answer(model: type, status: int, values: dict[str, Any]) -> Response:
    """Answers go through their schema model: what the OpenAPI document says is sent."""
    return _json(status, model.model_validate(values).model_dump(mode="json"))


def _listing(model: type, key: str, entries, directory) -> Response:
    """All contacts or all rules, with the version they belong to and what is wrong."""
    return _answer(
        model,
        200,
        {
            key: [_dump(e) for e in entries],
            "version": directory.version,
            "problems": sorted(directory.problems()),
        },
    )


@bp.route(f"{PREFIX}/directory/audit", methods=["GET"], authorizer=AUTHORIZER)
def directory_audit() -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import directory
        from chalicelib.web.schemas import AuditTrail

        entries = directory.audit_trail(staff, caseload=wiring.caseload(), request_id=request_id)
        return _answer(AuditTrail, 200, {"entries": entries})

    return _handle(work)


@bp.route(CONTACTS, methods=["GET"], authorizer=AUTHORIZER)
def list_contacts() -> Response:
    def work(request, staff, request_id):
        from chalicelib.web.schemas import ContactList

        current = _read(staff, request_id)
        contacts = sorted(current.contacts, key=lambda c: c.contact_id)
        return _listing(ContactList, "contacts", contacts, current)

    return _handle(work)


@bp.route(f"{CONTACTS}/{{contact_id}}", methods=["GET"], authorizer=AUTHORIZER)
def read_contact(contact_id: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.web.schemas import ContactEntry

        current = _read(staff, request_id)
        contact = current.contact(contact_id)
        if contact is None:
            return problem(404, "not-found", "No such entry in the directory")
        rules = current.rules_naming(contact_id)
        return _answer(ContactEntry, 200, {**_dump(contact), "rules": rules})

    return _handle(work)


@bp.route(
    f"{CONTACTS}/{{contact_id}}", methods=["PUT"], content_types=["*/*"], authorizer=AUTHORIZER
)
def put_contact(contact_id: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.domain.contacts import Contact
        from chalicelib.services import directory

        contact = _named(Contact, "contact_id", contact_id, request)

        created = directory.put_contact(staff, contact, **_adapters(request_id))
        return _json(201 if created else 200, _dump(contact))

    return _handle(work)


@bp.route(f"{CONTACTS}/{{contact_id}}", methods=["DELETE"], authorizer=AUTHORIZER)
def remove_contact(contact_id: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import directory

        directory.remove_contact(staff, contact_id, **_adapters(request_id))
        return Response(body="", status_code=204)

    return _handle(work)


@bp.route(RULES, methods=["GET"], authorizer=AUTHORIZER)
def list_rules() -> Response:
    def work(request, staff, request_id):
        from chalicelib.web.schemas import RoutingRuleList

        current = _read(staff, request_id)
        rules = sorted(current.rules, key=lambda r: r.rule_id)
        return _listing(RoutingRuleList, "rules", rules, current)

    return _handle(work)


@bp.route(f"{RULES}/{{rule_id}}", methods=["GET"], authorizer=AUTHORIZER)
def read_rule(rule_id: str) -> Response:
    def work(request, staff, request_id):
        rule = _read(staff, request_id).rule(rule_id)
        if rule is None:
            return problem(404, "not-found", "No such entry in the directory")
        return _json(200, _dump(rule))

    return _handle(work)


@bp.route(f"{RULES}/{{rule_id}}", methods=["PUT"], content_types=["*/*"], authorizer=AUTHORIZER)
def put_rule(rule_id: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.domain.routing import RoutingRule
        from chalicelib.services import directory

        rule = _named(RoutingRule, "rule_id", rule_id, request)

        created = directory.put_rule(staff, rule, **_adapters(request_id))
        return _json(201 if created else 200, _dump(rule))

    return _handle(work)


@bp.route(f"{RULES}/{{rule_id}}", methods=["DELETE"], authorizer=AUTHORIZER)
def remove_rule(rule_id: str) -> Response:
    def work(request, staff, request_id):
        from chalicelib.services import directory

        directory.remove_rule(staff, rule_id, **_adapters(request_id))
        return Response(body="", status_code=204)

    return _handle(work)
