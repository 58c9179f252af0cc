"""Why the directory refused a change (domain/routing.py Problem), in the page's language:
a rule by its description, contacts and organisations by their names."""

from __future__ import annotations

from typing import Any

from chalicelib.web.console import render
from chalicelib.web.console.base import Ctx


def problem_words(ctx: Ctx, problem: Any, current: Any) -> str:
    """What would make an alert reach nobody, in the page's language, naming the rule by
    its description and contacts by their names."""
    _ = ctx._
    rule = next((r for r in current.rules if r.rule_id == problem.rule), None)
    rule_name = (rule.description or rule.rule_id) if rule else problem.rule
    where = (
        _("its first alert")
        if problem.level == 0
        else _("its escalation %(n)s") % {"n": problem.level}
    )
    if problem.kind == "no-coordinator":
        return _(
            "No active coordinator: alerts that no rule routes, and the end of every "
            "escalation, would reach nobody."
        )
    if problem.kind == "no-intake-desk":
        return _(
            "No active coordinator at the intake desk: a report shared with nobody would "
            "reach no one who may work it."
        )
    if problem.kind == "agency-kinds":
        return _("The contacts of %(agency)s disagree on what kind of organisation it is.") % {
            "agency": current.organisation_of(problem.agency) or problem.agency
        }
    if problem.kind == "no-contact":
        return _("Rule «%(rule)s», %(where)s: there is no contact %(contact)s.") % {
            "rule": rule_name,
            "where": where,
            "contact": problem.contact,
        }
    channels = _(" or ").join(render.channel_name(c, ctx.lang) for c in problem.values)
    return _("Rule «%(rule)s», %(where)s: no active contact can be reached by %(channels)s.") % {
        "rule": rule_name,
        "where": where,
        "channels": channels,
    }
