"""Coordinator routes for the directory: contacts and routing rules, under /api/v1/staff/.

Only coordinators read or change them (the contacts are staff's own addresses). A change
that would leave an alert reaching nobody is refused with 409 and the reasons.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.lazy import lazy_module
from chalicelib.web.http import json_response
from chalicelib.web.operations import PREFIX, staff_operation

directory = lazy_module("chalicelib.services.directory")

bp = Blueprint(__name__)

CONTACTS = f"{PREFIX}/contacts"
RULES = f"{PREFIX}/routing-rules"
READ = ("NotPermitted",)
CHANGE = ("BadRequestBody", "ValidationError", "NotPermitted", "ChangeRefused")
CHANGE += ("DirectoryChanged",)


def _saved(created: bool, model: Any) -> Response:
    _changed()
    return json_response(201 if created else 200, model.model_dump(mode="json"))


def _changed() -> Response:
    """This process sees its own change at once (others within their cache's time)."""
    wiring.directory().forget()
    return Response(body="", status_code=204)


@staff_operation(
    bp,
    "GET",
    f"{PREFIX}/directory/audit",
    operation_id="directoryAudit",
    summary="Who read or changed the contacts and routing rules, for auditors",
    answer="AuditTrail",
    refusals=READ,
)
def directory_audit(caller):
    return directory.audit_trail(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "GET",
    CONTACTS,
    operation_id="listContacts",
    summary="The coalition's contacts, for coordinators",
    answer="ContactList",
    refusals=READ,
)
def list_contacts(caller):
    return directory.contact_list(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "GET",
    f"{CONTACTS}/{{contact_id}}",
    operation_id="readContact",
    summary="One contact, with the rules that name it",
    answer="ContactEntry",
    refusals=(*READ, "NotInDirectory"),
)
def read_contact(caller, contact_id):
    return directory.contact_entry(caller, contact_id, stores=wiring.stores())


@staff_operation(
    bp,
    "PUT",
    f"{CONTACTS}/{{contact_id}}",
    operation_id="putContact",
    summary="Add (201) or replace (200) a contact (coordinators)",
    answer="Contact",
    body="Contact",
    path_defaults=("contact_id",),
    refusals=(*CHANGE, "IdMismatch"),
)
def put_contact(caller, contact_id, body):
    return _saved(directory.put_contact(caller, body, stores=wiring.stores()), body)


@staff_operation(
    bp,
    "DELETE",
    f"{CONTACTS}/{{contact_id}}",
    operation_id="removeContact",
    summary="Remove a contact (coordinators)",
    status=204,
    refusals=(*READ, "NotInDirectory", "ChangeRefused", "DirectoryChanged"),
)
def remove_contact(caller, contact_id):
    directory.remove_contact(caller, contact_id, stores=wiring.stores())
    return _changed()


@staff_operation(
    bp,
    "GET",
    RULES,
    operation_id="listRoutingRules",
    summary="The routing rules, for coordinators",
    answer="RoutingRuleList",
    refusals=READ,
)
def list_rules(caller):
    return directory.rule_list(caller, stores=wiring.stores())


@staff_operation(
    bp,
    "GET",
    f"{RULES}/{{rule_id}}",
    operation_id="readRoutingRule",
    summary="One routing rule",
    answer="RoutingRule",
    refusals=(*READ, "NotInDirectory"),
)
def read_rule(caller, rule_id):
    return directory.rule_entry(caller, rule_id, stores=wiring.stores())


@staff_operation(
    bp,
    "PUT",
    f"{RULES}/{{rule_id}}",
    operation_id="putRoutingRule",
    summary="Add (201) or replace (200) a routing rule (coordinators)",
    answer="RoutingRule",
    body="RoutingRule",
    path_defaults=("rule_id",),
    refusals=(*CHANGE, "IdMismatch"),
)
def put_rule(caller, rule_id, body):
    return _saved(directory.put_rule(caller, body, stores=wiring.stores()), body)


@staff_operation(
    bp,
    "DELETE",
    f"{RULES}/{{rule_id}}",
    operation_id="removeRoutingRule",
    summary="Remove a routing rule (coordinators)",
    status=204,
    refusals=(*READ, "NotInDirectory", "ChangeRefused", "DirectoryChanged"),
)
def remove_rule(caller, rule_id):
    directory.remove_rule(caller, rule_id, stores=wiring.stores())
    return _changed()
