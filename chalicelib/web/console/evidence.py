"""A case's evidence on its page, and the prosecutors' packages, in words.

What may be shown, and to whom, is the services' (services/evidence_view.py, with the
one disclosure policy); this module only words it: each step of an original's chain of
custody as a sentence, its hash shortened for the eye (the whole value beside it).
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import wiring
from chalicelib.domain.evidence import (
    HOMEWARD,
    OPENED,
    REPORTER,
    SHOWN_SMALL,
    ChainFault,
    ChainProblem,
    CustodyAction,
    CustodyEntry,
)
from chalicelib.domain.staff import Role
from chalicelib.lazy import lazy_module
from chalicelib.web.console.base import Ctx, console_route, message
from chalicelib.web.console.render import N_

evidence_packages = lazy_module("chalicelib.services.evidence_packages")
evidence_view = lazy_module("chalicelib.services.evidence_view")

KIND_NAMES = {
    "image/jpeg": N_("photo (JPEG)"),
    "image/png": N_("image (PNG)"),
    "application/pdf": N_("PDF document"),
}
OTHER_KIND = N_("file")


def short(sha256: str) -> str:
    """A hash as an eye compares it: its first and last characters."""
    return f"{sha256[:8]}…{sha256[-8:]}"


FAULT_WORDS = {
    ChainFault.OUT_OF_PLACE: N_("entry %(n)s is missing or out of order"),
    ChainFault.BROKEN_LINK: N_("entry %(n)s does not follow the entry before it"),
    ChainFault.CHANGED: N_("entry %(n)s was changed after it was written"),
}


def fault_words(ctx: Ctx, problem: ChainProblem) -> str:
    """A fault of the chain as the custody list below numbers its entries (from 1)."""
    return ctx._(FAULT_WORDS[problem.fault]) % {"n": problem.seq + 1}


def step_words(ctx: Ctx, entry: CustodyEntry, recipients: dict[str, str], names: Any) -> str:
    """One custody entry as a sentence ("Opened by Олена Коваль in the console")."""
    _ = ctx._
    who = (
        _("the reporter")
        if entry.actor == REPORTER
        else "Homeward"
        if entry.actor == HOMEWARD
        else names.name_of(entry.actor) or entry.actor
    )
    recipient = recipients.get(entry.why.removeprefix("package "), "")
    action = entry.action
    if action == CustodyAction.RECEIVED:
        return _("Received from the reporter with the report")
    if action == CustodyAction.HASHED:
        return _("Its SHA-256 was recorded on receipt")
    if action == CustodyAction.COPIED:
        if "identical" in entry.detail:
            return _("Staff work on a copy identical to the original")
        return _("A working copy without the file's metadata was made for staff")
    if action == CustodyAction.VIEWED:
        if entry.why == OPENED:
            return _("Opened by %(name)s in the console") % {"name": who}
        if entry.why == SHOWN_SMALL:
            return _("Shown small to %(name)s beside another report") % {"name": who}
        return _("Viewed by %(name)s: %(why)s") % {"name": who, "why": entry.why}
    if action == CustodyAction.EXPORTED:
        if "downloaded" in entry.detail:
            return _("Downloaded by %(name)s in the package for %(recipient)s") % {
                "name": who,
                "recipient": recipient,
            }
        return _("Put by %(name)s in a package for %(recipient)s, and held past its retention") % {
            "name": who,
            "recipient": recipient,
        }
    if action == CustodyAction.HANDED_OVER:
        return _("Handed over to %(recipient)s by %(name)s") % {
            "recipient": recipient,
            "name": who,
        }
    return _("The reporter withdrew the consent to its use as evidence")


def section(ctx: Ctx, reference: str) -> dict[str, Any]:
    """What the case page's evidence section shows (templates/_evidence.html)."""
    found = evidence_view.case_evidence(ctx.caller, reference, stores=wiring.stores())
    names = wiring.staff_names().current()
    _ = ctx._
    items = [
        {
            "slot": shown.item.slot,
            "kind": _(KIND_NAMES.get(shown.item.content_type, OTHER_KIND)),
            "size_kb": max(1, round(shown.item.size / 1024)),
            "received_at": shown.item.received_at,
            "sha256": shown.item.sha256,
            "short": short(shown.item.sha256),
            "working_sha256": shown.item.working_sha256,
            "holds": not shown.problems,
            "problems": [fault_words(ctx, p) for p in shown.problems],
            "stamped_day": shown.stamped_day,
            "unstamped": (
                len(shown.chain) - 1 - shown.stamped_seq
                if shown.stamped_seq is not None
                else len(shown.chain)
            ),
            "steps": [
                {"at": e.at, "words": step_words(ctx, e, found.recipients, names)}
                for e in shown.chain
            ],
        }
        for shown in found.items
    ]
    return {
        "standing": str(found.standing),
        "given_at": found.given_at,
        "withdrawn_at": found.withdrawn_at,
        "items": items,
    }


@console_route("/staff/evidence", roles=(Role.COORDINATOR,))
def packages_page(ctx: Ctx) -> Response:
    """Every prosecutor's package and the cases that may go into one (same rule as the
    CLI's `homeward evidence package`); building, downloading and handing over need the
    evidence role's own credentials (README, "Evidence")."""
    _ = ctx._
    try:
        packages, choices = evidence_packages.overview(ctx.caller.staff, stores=wiring.stores())
    except evidence_packages.NotPermitted:
        return message(
            ctx,
            403,
            _("Evidence for prosecutors"),
            _("Evidence is shown only to coordinators who hold the evidence role."),
        )
    names = wiring.staff_names().current()
    return ctx.page(
        "evidence_packages.html",
        packages=[
            {
                "recipient": p.recipient,
                "built_at": p.built_at,
                "built_by": names.name_of(p.built_by) or p.built_by,
                "cases": len(p.items),
                "files": sum(len(i) for i in p.items.values()),
                "handed_over_at": p.handed_over_at,
                "id": p.package_id,
            }
            for p in packages
        ],
        allowed=[c for c in choices if c.files],
        not_allowed=[c.reference for c in choices if not c.files],
    )
