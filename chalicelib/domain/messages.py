"""What an alert says, by channel and language, rendered from templates.

Minimum disclosure: an SMS never names a child (reference, category, oblast, urgency
only); an e-mail carries the child's details only when the report's consent allows
sharing with the coalition.

An e-mail has two parts with the same content: text (email.txt) and HTML (email.html,
which extends _layout.html). Only .html templates are autoescaped. Every value a
template prints loses its bidi override and isolate characters first, so that text a
reporter typed cannot reorder what the alert shows around it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.domain.places import oblast_name
from chalicelib.domain.sms import segments

if TYPE_CHECKING:
    import jinja2

    from chalicelib.domain.alerts import Alert
    from chalicelib.domain.case import Case

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "alerts"
LANGUAGES = ("uk", "en")
MAX_SMS_SEGMENTS = 2
# Bidi embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069).
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])

CATEGORY_LABELS = {
    "deported": {"uk": "депортація", "en": "deported"},
    "forcibly_transferred": {"uk": "примусове переміщення", "en": "forcibly transferred"},
    "missing": {"uk": "зникнення", "en": "missing"},
    "held_in_facility": {"uk": "утримання в закладі", "en": "held in a facility"},
    "adopted_or_placed": {"uk": "усиновлення чи влаштування", "en": "adopted or placed"},
    "other": {"uk": "інше", "en": "other"},
}


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    # The same message as HTML; None for a text-only e-mail.
    html: str | None = None


def _printable(value: object) -> object:
    """What a template prints (Jinja's finalize hook): strings without bidi controls, and
    with every line after the first indented, so that text a reporter typed on several
    lines stays visibly inside its field of a text e-mail and cannot pass for a line of
    the alert itself (a second "acknowledge" link, say). HTML collapses the spaces."""
    if not isinstance(value, str):
        return value
    lines = value.translate(_BIDI_CONTROLS).replace("\r\n", "\n").replace("\r", "\n")
    return lines.replace("\n", "\n    ")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Imported on first use: the API's cold start never renders a message.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # HTML templates escape what they print; plain-text ones have nothing to escape.
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False, default=False),
        # Undefined names must fail loudly, in both.
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _context(alert: Alert, language: str, ack: str) -> dict:
    return {
        "reference": alert.reference,
        "other": alert.other_reference,
        "category": CATEGORY_LABELS[alert.category][language],
        "oblast": oblast_name(alert.oblast, language),
        "oblast_code": alert.oblast,
        "urgent": alert.urgent,
        "level": alert.level,
        "ack": ack,
    }


def _prefix(alert: Alert) -> str:
    """A new report's templates are sms.txt, email.txt; a confirmed match's match_sms.txt..."""
    return "" if alert.kind == "report" else f"{alert.kind}_"


def _language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def render_sms(alert: Alert, language: str, ack: str) -> str:
    """The SMS, in at most two parts: less detail rather than a third part."""
    language = _language(language)
    template = _environment().get_template(f"{language}/{_prefix(alert)}sms.txt")
    context = _context(alert, language, ack)
    for detail in ("full", "short", "minimal"):
        text = " ".join(template.render(context, detail=detail).split())
        if segments(text) <= MAX_SMS_SEGMENTS:
            break
    return text


def render_email(alert: Alert, case: Case, language: str, ack: str) -> Email:
    """The e-mail as text and as HTML, both from the same context."""
    language = _language(language)
    env = _environment()
    context = _context(alert, language, ack)
    context["language"] = language
    context["received_at"] = case.received_at.strftime("%Y-%m-%d %H:%M UTC")
    share = case.report.consent.share_with_coalition
    context["share"] = share
    if share:
        # Without consent the report is not even in the context: a template that tried
        # to print from it would fail (StrictUndefined) rather than disclose.
        context["report"] = case.report
    prefix = _prefix(alert)
    subject = env.get_template(f"{language}/{prefix}email_subject.txt").render(context)
    subject = " ".join(subject.split())
    text = env.get_template(f"{language}/{prefix}email.txt").render(context)
    html = env.get_template(f"{language}/{prefix}email.html").render(context, subject=subject)
    return Email(subject=subject, text=text.strip() + "\n", html=html.strip() + "\n")


@dataclass(frozen=True)
class Waiting:
    """An alert nobody acknowledged yet, as the coordinators' digest lists it."""

    reference: str
    category: str
    oblast: str
    urgent: bool
    level: int
    since: dt.datetime


def render_digest(
    day: str, received: int, waiting: list[Waiting], overdue: int, language: str
) -> Email:
    """The coordinators' daily digest: references and counts only, never a child's name."""
    language = _language(language)
    env = _environment()
    context = {
        "language": language,
        "day": day,
        "received": received,
        "overdue": overdue,
        "waiting": [
            {
                "reference": w.reference,
                "category": CATEGORY_LABELS[w.category][language],
                "oblast": oblast_name(w.oblast, language),
                "urgent": w.urgent,
                "level": w.level,
                "since": w.since.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for w in waiting
        ],
    }
    subject = " ".join(env.get_template(f"{language}/digest_subject.txt").render(context).split())
    text = env.get_template(f"{language}/digest.txt").render(context)
    html = env.get_template(f"{language}/digest.html").render(context, subject=subject)
    return Email(subject=subject, text=text.strip() + "\n", html=html.strip() + "\n")
