"""Witness statements in the console's words: the sentence that lists one ("Given by a
neighbour on 3 December 2026, in Ukrainian, taken by phone by Olena."), the case page's
list (never the words of the account), and the form's choices from the domain's enums."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from chalicelib import wiring
from chalicelib.domain import labels
from chalicelib.domain.statements import (
    StatementLanguage,
    TakenHow,
    TakerRole,
    WitnessRelation,
)
from chalicelib.domain.words import KYIV
from chalicelib.lazy import lazy_module
from chalicelib.web.console import render
from chalicelib.web.console.base import Ctx

statements = lazy_module("chalicelib.services.statements")


def sentence(statement, language: str) -> str:
    """ "Given by a neighbour on 3 December 2026, in Ukrainian, taken by phone by Olena.\""""
    _ = render.gettext_for(language)
    spoken = labels.word(labels.STATEMENT_LANGUAGE, statement.language, language)
    if statement.language == StatementLanguage.OTHER and statement.other_language:
        spoken = _("in %(language)s") % {"language": statement.other_language}
    given = statement.given_at.astimezone(ZoneInfo(KYIV)).date()
    return _("Given by %(witness)s on %(day)s, %(language)s, taken %(how)s by %(taker)s.") % {
        "witness": labels.word(labels.WITNESS, statement.relation, language),
        "day": render.day(given, language),
        "language": spoken,
        "how": labels.word(labels.TAKEN_HOW, statement.taken_how, language),
        "taker": statement.taker_name or labels.word(labels.TAKER, statement.taker_role, language),
    }


def lines(ctx: Ctx, reference: str) -> list[dict]:
    """The case's statements as its page lists them (never their words)."""
    shown, erased = statements.listing(
        ctx.caller, reference, stores=wiring.stores(), now=dt.datetime.now(dt.UTC)
    )
    numbers = {s.statement.statement_id: s.statement.number for s in shown}
    gone = [{"number": n, "erased": True} for n in erased]
    return sorted([*_kept(shown, numbers, ctx), *gone], key=lambda line: line["number"])


def _kept(shown, numbers: dict[str, int], ctx: Ctx) -> list[dict]:
    return [
        {
            "id": s.statement.statement_id,
            "number": s.statement.number,
            "sentence": sentence(s.statement, ctx.lang),
            "adds_to": numbers.get(s.statement.adds_to or ""),
            "consent": s.statement.evidence_consent,
            "withdrawn": withdrawn(s, ctx.lang),
        }
        for s in shown
    ]


def withdrawn(shown, language: str) -> str | None:
    """ "The witness withdrew the consent to its use by prosecutors on 7 December 2026.",
    with whom to tell when it had been handed over before; None while it stands."""
    if shown.withdrawal is None:
        return None
    _ = render.gettext_for(language)
    day = render.day(shown.withdrawal.at.astimezone(ZoneInfo(KYIV)).date(), language)
    said = _("The witness withdrew the consent to its use by prosecutors on %(day)s.") % {
        "day": day
    }
    if shown.handed_over_to:
        said += " " + _(
            "It had already been handed over to %(recipients)s: it is with them, the "
            "withdrawal is recorded in its chain of custody, and they must be told."
        ) % {"recipients": ", ".join(shown.handed_over_to)}
    return said


def choices(language: str, now: dt.datetime | None = None) -> dict[str, object]:
    """The form's lists, in the reader's words, from the domain's enums; the day and time
    it is now in Kyiv, as the form starts (a statement is mostly written as it is given)."""
    here = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(KYIV))

    def of(catalog, codes):
        return [(str(c), labels.heading(labels.word(catalog, c, language))) for c in codes]

    return {
        "witness": of(labels.WITNESS, WitnessRelation),
        "language": of(labels.STATEMENT_LANGUAGE, StatementLanguage),
        "how": of(labels.TAKEN_HOW, TakenHow),
        "taker": of(labels.TAKER, TakerRole),
        "day": here.strftime("%d.%m.%Y"),
        "time": here.strftime("%H:%M"),
    }
