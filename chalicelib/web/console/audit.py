"""Auditors' pages: who saw and changed a case, and the directory. No case content: the
trail names people, actions and times, and the services refuse auditors any case."""

from __future__ import annotations

from chalice import Response

from chalicelib import wiring
from chalicelib.domain.staff import Role
from chalicelib.lazy import lazy_module
from chalicelib.web.console.base import Ctx, console_route
from chalicelib.web.console.cases import REFERENCE

casework = lazy_module("chalicelib.services.casework")
directory = lazy_module("chalicelib.services.directory")

AUDITORS = (Role.AUDITOR,)


@console_route("/staff/audit", roles=AUDITORS)
def audit(ctx: Ctx) -> Response:
    reference = "".join((ctx.query("reference") or "").split()).upper()
    trail = None
    missing = False
    if reference:
        if REFERENCE.match(reference):
            try:
                trail = casework.audit_trail(ctx.caller, reference, stores=wiring.stores())
            except casework.CaseNotFound:
                missing = True
        else:
            missing = True
    return ctx.page("audit.html", reference=reference, trail=trail, missing=missing, subject="case")


@console_route("/staff/audit/directory", roles=AUDITORS)
def directory_audit(ctx: Ctx) -> Response:
    trail = directory.audit_trail(ctx.caller, stores=wiring.stores())
    return ctx.page("audit.html", reference="", trail=trail, missing=False, subject="directory")
