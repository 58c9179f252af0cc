"""Coordinators' pages: contacts and routing rules in forms, and the alerts that could
not be delivered (the routing preview is preview.py).

A form is read into the directory's own models (Contact, RoutingRule) and saved through
the directory service, which refuses a change that would make an alert reach nobody;
that refusal is shown beside the field it is about (the rule's contacts, a rung of its
ladder, a contact's being active), with everything typed kept.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib import wiring
from chalicelib.domain import labels
from chalicelib.domain.disclosure import OrganisationKind
from chalicelib.domain.numbers import is_number
from chalicelib.domain.staff import Role
from chalicelib.lazy import lazy_module
from chalicelib.web.console import contact_form
from chalicelib.web.console.base import Ctx, console_route, message
from chalicelib.web.console.refusals import problem_words
from chalicelib.web.console.render import N_, category_choices, oblast_choices

if TYPE_CHECKING:
    from chalicelib.domain.alerts import StoredDelivery

delivery = lazy_module("chalicelib.services.delivery")
directory = lazy_module("chalicelib.services.directory")
partners = lazy_module("chalicelib.services.partners")
webhooks = lazy_module("chalicelib.services.webhooks")
contacts_domain = lazy_module("chalicelib.domain.contacts")
routing = lazy_module("chalicelib.domain.routing")

COORDINATORS = (Role.COORDINATOR,)
# What an empty form shows: every field, as the templates read them.
NEW_CONTACT = {
    "contact_id": "",
    "organisation": "",
    "agency": "",
    "kind": "national_authority",
    "intake_desk": False,
    "member_state": "UA",
    "name": "",
    "email": "",
    "phone": "",
    "languages": ["uk"],
    "channels": ["email"],
    "coordinator": False,
    "auditor": False,
    "active": True,
    "services": [],
    "oblasts": [],
}
NEW_RULE = {
    "rule_id": "",
    "description": "",
    "active": True,
    "oblasts": [],
    "categories": [],
    "urgency": "any",
    "last_known_countries": [],
    "contacts": [],
    "channels": ["email", "sms"],
    "escalation": {"levels": [], "urgent_after_minutes": None, "normal_after_minutes": None},
}
ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
RUNGS = 4


def _refresh() -> None:
    """This function sees its own change at once (others within their cache's time)."""
    wiring.directory().forget()


@console_route("/staff/directory", roles=COORDINATORS)
def overview(ctx: Ctx) -> Response:
    stores = wiring.stores()
    contacts = directory.contact_list(ctx.caller, stores=stores)
    rules = directory.rule_list(ctx.caller, stores=stores)
    current = wiring.directory().current()
    return ctx.page(
        "directory.html",
        contacts=contacts,
        rules=rules["rules"],
        problems=[problem_words(ctx, p, current) for p in sorted(current.problem_list(), key=str)],
        contact_names={c.contact_id: c.name for c in contacts["contacts"]},
        notice=ctx.query("done"),
    )


# -- contacts ----------------------------------------------------------------------------


def _contact_page(
    ctx: Ctx,
    contact: dict[str, Any] | None,
    *,
    new: bool,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    rules: list[str] | None = None,
) -> Response:
    return ctx.page(
        "contact.html",
        status,
        contact=contact or NEW_CONTACT,
        new=new,
        errors=errors or {},
        problems=problems or [],
        rules=rules or [],
        phone_hint=contact_form.phone_hint(ctx),
        kinds=[
            (k.value, labels.heading(labels.word(labels.ORGANISATION_KIND, k, ctx.lang)))
            for k in OrganisationKind
        ],
        service_options=contact_form.service_options(ctx),
        oblast_options=oblast_choices(ctx.lang),
    )


@console_route("/staff/directory/contacts/new", roles=COORDINATORS)
def new_contact(ctx: Ctx) -> Response:
    return _contact_page(ctx, None, new=True)


@console_route("/staff/directory/contacts/{contact_id}", roles=COORDINATORS)
def edit_contact(ctx: Ctx, contact_id: str) -> Response:
    try:
        entry = directory.contact_entry(ctx.caller, contact_id, stores=wiring.stores())
    except directory.NotInDirectory:
        _ = ctx._
        return message(ctx, 404, _("Not found"), _("There is no such contact."))
    return _contact_page(ctx, entry, new=False, rules=entry["rules"])


def _field_errors(ctx: Ctx, exc: Any) -> dict[str, str]:
    """Each field's first error, in the words (and catalogs) the report form uses."""
    from chalicelib.web.i18n import error_message

    found: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        where = str(error["loc"][0]) if error["loc"] else "form"
        found.setdefault(where, error_message(error, ctx.lang))
    return found


@console_route("/staff/directory/contacts", ["POST"], roles=COORDINATORS)
def save_contact(ctx: Ctx) -> Response:
    from pydantic import ValidationError

    _ = ctx._
    typed = contact_form.typed(ctx)
    new = ctx.form.get("new") == "yes"
    try:
        contact = contacts_domain.Contact.model_validate(typed)
    except ValidationError as invalid:
        return _contact_page(ctx, typed, new=new, status=422, errors=_field_errors(ctx, invalid))
    try:
        directory.put_contact(ctx.caller, contact, stores=wiring.stores())
    except directory.ChangeRefused as refused:
        errors = {"active": _("Saving this would leave alerts reaching nobody.")}
        return _contact_page(
            ctx,
            typed,
            new=new,
            status=409,
            errors=errors,
            problems=[problem_words(ctx, p, wiring.directory().current()) for p in refused.found],
        )
    except directory.DirectoryChanged:
        errors = {"form": _("Someone else is changing the directory; send it again.")}
        return _contact_page(ctx, typed, new=new, status=409, errors=errors)
    _refresh()
    return ctx.redirect("staff/directory", done="contact")


# -- routing rules -----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", text.strip()) if w]


def _rule_form(ctx: Ctx) -> dict[str, Any]:
    form = ctx.form

    def _all(name: str) -> list[str]:
        return [v for v in ctx.fields.get(name, []) if v]

    levels = [_all(f"rung_{n}") for n in range(1, RUNGS + 1)]
    escalation: dict[str, Any] = {"levels": [rung for rung in levels if rung]}
    for name in ("urgent_after_minutes", "normal_after_minutes"):
        value = form.get(name, "").strip()
        escalation[name] = int(value) if is_number(value) else (value or None)
    return {
        "rule_id": form.get("rule_id", "").strip(),
        "description": form.get("description", "").strip(),
        "active": form.get("active") == "yes",
        "oblasts": _all("oblasts"),
        "categories": _all("categories"),
        "urgency": form.get("urgency", "any"),
        "last_known_countries": [c.upper() for c in _words(form.get("countries", ""))],
        "contacts": _all("contacts"),
        "channels": _all("channels"),
        "escalation": escalation,
    }


def _rule_page(
    ctx: Ctx,
    rule: dict[str, Any] | None,
    *,
    new: bool,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    _ = ctx._
    contacts = directory.contact_list(ctx.caller, stores=wiring.stores())["contacts"]
    return ctx.page(
        "rule.html",
        status,
        rule=rule or NEW_RULE,
        new=new,
        errors=errors or {},
        rungs=RUNGS,
        oblast_options=oblast_choices(ctx.lang),
        category_options=category_choices(ctx.lang),
        # Each contact as a coordinator knows it: name, organisation, whether it is active.
        contact_options=[
            (
                c.contact_id,
                f"{c.name} ({c.organisation})" + ("" if c.active else ", " + _("inactive")),
            )
            for c in contacts
        ],
    )


@console_route("/staff/directory/rules/new", roles=COORDINATORS)
def new_rule(ctx: Ctx) -> Response:
    return _rule_page(ctx, None, new=True)


@console_route("/staff/directory/rules/{rule_id}", roles=COORDINATORS)
def edit_rule(ctx: Ctx, rule_id: str) -> Response:
    try:
        rule = directory.rule_entry(ctx.caller, rule_id, stores=wiring.stores())
    except directory.NotInDirectory:
        _ = ctx._
        return message(ctx, 404, _("Not found"), _("There is no such rule."))
    return _rule_page(ctx, rule.model_dump(mode="json"), new=False)


def _placed(ctx: Ctx, problems: list[Any]) -> dict[str, str]:
    """Each "routes to nobody" reason beside the field it is about, in the page's words."""
    placed: dict[str, str] = {}
    current = wiring.directory().current()
    for problem in problems:
        if problem.level is None:
            where = "form"
        else:
            where = f"rung_{problem.level}" if problem.level else "contacts"
        words = problem_words(ctx, problem, current)
        placed[where] = (placed.get(where, "") + " " + words).strip()
    return placed


@console_route("/staff/directory/rules", ["POST"], roles=COORDINATORS)
def save_rule(ctx: Ctx) -> Response:
    from pydantic import ValidationError

    _ = ctx._
    typed = _rule_form(ctx)
    new = ctx.form.get("new") == "yes"
    try:
        rule = routing.RoutingRule.model_validate(typed)
    except ValidationError as invalid:
        return _rule_page(ctx, typed, new=new, status=422, errors=_field_errors(ctx, invalid))
    try:
        directory.put_rule(ctx.caller, rule, stores=wiring.stores())
    except directory.ChangeRefused as refused:
        errors = _placed(ctx, refused.found)
        errors["refused"] = _("Not saved: with this rule, some alerts would reach nobody.")
        return _rule_page(ctx, typed, new=new, status=409, errors=errors)
    except directory.DirectoryChanged:
        errors = {"form": _("Someone else is changing the directory; send it again.")}
        return _rule_page(ctx, typed, new=new, status=409, errors=errors)
    _refresh()
    return ctx.redirect("staff/directory", done="rule")


# -- alerts that could not be delivered ---------------------------------------------------


@console_route("/staff/deliveries", roles=COORDINATORS)
def undelivered(ctx: Ctx) -> Response:
    stores = wiring.stores()
    parked = delivery.undelivered_for(ctx.caller, stores=stores)
    # And the partners' notifications that failed their last attempt: coordinators send
    # those again too, here rather than through the API.
    hooks = webhooks.failed_webhooks(ctx.caller, stores=stores)
    names = (
        {p.client_id: p.name for p in partners.partners(ctx.caller, stores=stores)} if hooks else {}
    )
    current = wiring.directory().current()
    return ctx.page(
        "deliveries.html",
        parked=parked,
        contact=current.contact,
        hooks=hooks,
        partner_names=names,
        notice=ctx.query("done") == "retried",
        resent=_resent(ctx, stores),
        reasons=UNDELIVERABLE,
        all_notice=_all_notice(ctx),
    )


# Why a delivery was not made (alerts.Undeliverable), in words.
UNDELIVERABLE = {
    "refused": N_("the address was refused (suppressed or rejected)"),
    "bounced": N_("the e-mail came back (bounced)"),
    "complained": N_("the recipient marked it as spam"),
    "opted_out": N_("the phone number replied STOP to our SMS"),
    "gave_up": N_("the service kept failing until the last attempt"),
    "unreachable": N_("the directory has no way to this contact any more"),
    "other": N_("refused for another reason"),
}


def _all_notice(ctx: Ctx) -> str | None:
    if ctx.query("done") != "retried-all":
        return None
    _ = ctx._
    counts = {k: _count(ctx.query(k)) for k in ("queued", "unreachable", "withheld")}
    return (
        _(
            "Sent again: %(queued)s queued, each to its contact's current address; "
            "%(unreachable)s without a way to their contact; %(withheld)s no longer allowed."
        )
        % counts
    )


def _count(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() else 0


@console_route("/staff/deliveries/retry-all", ["POST"], roles=COORDINATORS)
def retry_all(ctx: Ctx) -> Response:
    done = delivery.retry_all_for(ctx.caller, stores=wiring.stores(), queue=wiring.delivery_queue())
    return ctx.redirect(
        "staff/deliveries",
        done="retried-all",
        queued=str(done.queued),
        unreachable=str(done.unreachable),
        withheld=str(done.withheld),
    )


def _resent(ctx: Ctx, stores) -> StoredDelivery | None:
    """The delivery just sent again, as it stands now (queued, or sent and to where)."""
    reference, delivery_id = ctx.query("case"), ctx.query("delivery")
    if not reference or not delivery_id:
        return None
    found = [d for d in stores.deliveries.of_case(reference) if d.delivery_id == delivery_id]
    return found[0] if found else None


@console_route("/staff/deliveries/retry", ["POST"], roles=COORDINATORS)
def retry(ctx: Ctx) -> Response:
    _ = ctx._
    reference, delivery_id = ctx.form.get("reference", ""), ctx.form.get("delivery_id", "")
    try:
        delivery.retry_for(
            ctx.caller,
            reference,
            delivery_id,
            stores=wiring.stores(),
            queue=wiring.delivery_queue(),
        )
    except delivery.NotFailed:
        return message(ctx, 409, _("Not sent again"), _("This alert is no longer undelivered."))
    except delivery.Unreachable:
        return message(
            ctx,
            409,
            _("Not sent again"),
            _("The directory has no way to this contact any more: correct it, then send again."),
        )
    return ctx.redirect("staff/deliveries", done="retried", case=reference, delivery=delivery_id)


@console_route("/staff/deliveries/webhooks/retry", ["POST"], roles=COORDINATORS)
def retry_webhook(ctx: Ctx) -> Response:
    _ = ctx._
    try:
        webhooks.retry_webhook(
            ctx.caller,
            ctx.form.get("client_id", ""),
            ctx.form.get("event_id", ""),
            stores=wiring.stores(),
            queue=wiring.webhook_queue(),
        )
    except webhooks.WebhookNotFound:
        return message(
            ctx, 409, _("Not sent again"), _("This notification is no longer undelivered.")
        )
    return ctx.redirect("staff/deliveries", done="retried")
