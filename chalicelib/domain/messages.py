"""What an alert says, by channel and language, rendered from templates.

Minimum disclosure: an SMS never names a child (reference, category, oblast, urgency
only); an e-mail carries the child's details only when the report's consent allows
sharing with the coalition.

An e-mail has two parts with the same content: text (email.txt) and HTML (email.html,
which extends _layout.html). Only .html templates are autoescaped.

What a reporter typed reaches an alert only as inert, quoted material, so that it cannot
pass for the alert itself (a second "Acknowledge" link, say) nor lead anyone anywhere:

- Invisible characters go: every Unicode control and format character (categories Cc,
  Cf, Zl, Zp), such as NUL, ESC, zero-width spaces, direction marks and bidi overrides,
  and any lone surrogate.
  Line breaks of any kind (CR LF, CR, NEL, U+2028, U+2029) become line feeds, and only
  free text (the report's LongText fields) keeps them; in a name or short text a line
  break becomes a space, as do a tab and the other blank-like controls (VT, FF, FS-US).
- Addresses are defanged, so that no mail client links them: http://, https:// and
  ftp:// become hxxp://, hxxps:// and fxp://, any other scheme has its colon bracketed
  ("file[:]///", "mailto[:]"), and so have the dots of a host name or an IPv4 address and
  the "@" of an e-mail address: hxxps://evil[.]example/path, www[.]evil[.]example,
  name[@]example[.]org, 192[.]0[.]2[.]1. Words joined by dots count as a host name when
  a part after the first is two or more letters (in any script), so "photo[.]jpg" and
  "м[.]Херсон" are bracketed too: still readable, and never a link.
- Free text is quoted: in the text part it starts on the line after its label and every
  line of it begins with QUOTE_MARK; in the HTML part it sits in a grey-ruled box. A
  name or short text stays on its label's line.

Homeward's own values (the reference, the acknowledgement link, the labels) are none of
the report's and are printed as they are: the only link in an alert is the ack link.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from pydantic import BaseModel

from chalicelib.domain import labels
from chalicelib.domain.aftercare import NEXT_STEP_WORDS, STAGE_WORDS, ReturnStage
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.latin import in_latin
from chalicelib.domain.places import country_name, oblast_name, oblast_short_name
from chalicelib.domain.referrals import SERVICE_WORDS, ServiceType
from chalicelib.domain.report import LongText
from chalicelib.domain.sms import is_gsm7, segments
from chalicelib.domain.words import moment_in_words

if TYPE_CHECKING:
    import jinja2
    from jinja2.nodes import EvalContext
    from pydantic.fields import FieldInfo

    from chalicelib.domain.alerts import Alert
    from chalicelib.domain.case import Case

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "alerts"
LANGUAGES = ("uk", "en")
MAX_SMS_SEGMENTS = 2
# How much an SMS says, tried in this order until it fits (the templates decide each):
# "bare" keeps only the reference, the urgency, the link and the reply code.
SMS_DETAIL = ("full", "short", "minimal", "bare")

# -- what a reporter typed, made inert -----------------------------------------------------

# Starts every line of a reporter's free text in a text e-mail: the alert's own lines
# start at the margin, the reporter's never do.
QUOTE_MARK = "    \u2502 "
# Lone surrogates (Cs) too: they are no characters, and no e-mail can encode them.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\x85\u2028\u2029", "\n"))
# Controls that separate words: dropping them would glue the words together.
_BLANKS = str.maketrans(dict.fromkeys("\t\x0b\x0c\x1c\x1d\x1e\x1f", " "))

# A scheme followed by "//" (http://, file://, a made-up one), and the schemes that mail
# clients link without it, when something follows them directly.
_SCHEME = re.compile(
    r"(?i)(?<![\w+.-])([a-z][a-z0-9+.-]{0,31}):(?=//)"
    r"|(?<![\w+.-])(mailto|tel|sms|callto|skype|facetime|javascript|vbscript|data|file"
    r"|news|magnet|intent|market):(?=\S)"
)
_DEFANGED_SCHEMES = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}
# A dot: the ASCII one and those that browsers read as one (ideographic, full-width).
_DOT = "[.\u3002\uff0e\uff61]"
# Letters, digits and inner hyphens, of any length: a mail client links an overlong label
# as readily as a valid one.
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
# Labels joined by dots, matched whole (one pass, no backtracking over the dots): the
# replacement decides whether they make a host name or an address.
_DOTTED = re.compile(rf"(?<![\w-]){_LABEL}(?:{_DOT}{_LABEL})+")
# A top-level domain: letters in any script, or the punycode form of one.
_TLD = re.compile(r"[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59}", re.IGNORECASE)
# What follows "//" up to the path: the host of any URL, a name of one label or an address.
_AUTHORITY = re.compile(r"(?<=//)[^\s/?#\\]+")
_AT = re.compile(r"(?<=[\w.+-])@(?=[^\W_])")


class Quoted(str):
    """A reporter's free text, already made inert, to be printed as quoted material."""

    __slots__ = ()


def _without_invisible(text: str) -> str:
    # str.translate keeps the type: Markup stays Markup, neither escaped again nor unsafe.
    gone = {ord(c): None for c in set(text) if c != "\n" and unicodedata.category(c) in _INVISIBLE}
    return text.translate(gone)


def _visible(text: str, *, lines: bool) -> str:
    """The text without invisible characters, on one line unless `lines`."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS).translate(_BLANKS)
    text = _without_invisible(text)
    if not lines:
        return text.replace("\n", " ").strip()
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _scheme(match: re.Match[str]) -> str:
    scheme = match.group(1) or match.group(2)
    if match.group(1) and scheme.lower() in _DEFANGED_SCHEMES:
        return f"{_DEFANGED_SCHEMES[scheme.lower()]}:"
    return f"{scheme}[:]"


def _dots(match: re.Match[str]) -> str:
    # A dot bracketed already (a host inside a URL) stays as it is.
    return re.sub(rf"(?<!\[){_DOT}(?!\])", "[.]", match.group(0))


def _host(match: re.Match[str]) -> str:
    """Dotted labels with every dot bracketed if they can be read as a host name (a label
    after the first is a top-level domain) or an IPv4 address; else as they are."""
    labels = re.split(_DOT, match.group(0))
    address = len(labels) == 4 and all(label.isascii() and label.isdigit() for label in labels)
    if address or any(_TLD.fullmatch(label) for label in labels[1:]):
        return _dots(match)
    return match.group(0)


def defanged(text: str) -> str:
    """The text with every address in it made unlinkable (the module's docstring says how)."""
    text = _SCHEME.sub(_scheme, text)
    text = _DOTTED.sub(_host, text)
    text = _AUTHORITY.sub(_dots, text)
    return _AT.sub("[@]", text)


def neutralised(text: str, *, free_text: bool) -> str:
    """What an alert prints of a string a reporter typed: visible, unlinkable, and quoted
    if it is free text."""
    text = defanged(_visible(text, lines=free_text))
    return Quoted(text) if free_text else text


def _is_free_text(info: FieldInfo) -> bool:
    # Pydantic unpacks an Annotated type at the top of a field, and keeps it inside an
    # Optional or a list: LongText is found in either place.
    return LongText in (info.rebuild_annotation(), *get_args(info.annotation))


def _reported(value: object, *, free_text: bool = False) -> object:
    """A report (or part of one) with each of its strings neutralised."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return value.model_copy(
            update={
                name: _reported(getattr(value, name), free_text=_is_free_text(info))
                for name, info in fields.items()
            }
        )
    if isinstance(value, str):
        return neutralised(value, free_text=free_text)
    if isinstance(value, list):
        return [_reported(item, free_text=free_text) for item in value]
    return value


# The report's codes in the recipient's words (domain/labels.py): an alert is read, not parsed.
CATEGORY_LABELS = labels.CATEGORY
RELATIONSHIP_LABELS = labels.RELATIONSHIP
LANGUAGE_LABELS = labels.LANGUAGE
SEX_LABELS = labels.SEX
# One formatter of moments for every page and message (domain/words.py).
kyiv_time = moment_in_words


# Why a coordinator broke the glass, in the auditors' words (domain/labels.py).
BREAK_GLASS_REASON_LABELS = labels.BREAK_GLASS_REASON


def _words(report, language: str) -> dict:
    """What an e-mail says of a report's codes and dates, in the recipient's language;
    the child's names in Latin letters too for those who read English."""
    from chalicelib.domain.latin import in_latin
    from chalicelib.domain.words import date_in_words

    child, reporter, where = report.child, report.reporter, report.last_known_location
    names = " ".join(n for n in (child.family_name, child.given_name, child.patronymic) if n)
    latin = in_latin(names) if language == "en" else names

    def label(labels: dict[str, dict[str, str]], code: str) -> str:
        # A stored report read back is not validated again: an unknown code stays as it is.
        return labels.get(code, {}).get(language, code)

    return {
        "sex": label(SEX_LABELS, child.sex),
        "born": date_in_words(child.date_of_birth or child.birth_year, language),
        "event_date": date_in_words(report.event.date, language),
        "country": country_name(where.country, language) if where and where.country else "",
        "relationship": label(RELATIONSHIP_LABELS, reporter.relationship),
        "contact_language": label(LANGUAGE_LABELS, reporter.preferred_language),
        # Shown only where it differs: a name reported in Latin letters already is one.
        "latin": latin if latin != names else "",
        "other_latin": [in_latin(n) for n in child.other_names]
        if language == "en" and any(in_latin(n) != n for n in child.other_names)
        else [],
    }


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    # The same message as HTML; None for a text-only e-mail.
    html: str | None = None


def _printable(eval_ctx: EvalContext, value: object) -> object:
    """What a template prints (Jinja's finalize hook). A reporter's free text becomes a
    quoted block; any other string loses its invisible characters, as a second line of
    defence (a report's strings were neutralised before they reached the context)."""
    if not isinstance(value, str):
        return value
    from markupsafe import Markup, escape

    if isinstance(value, Quoted):
        if eval_ctx.autoescape:
            # Inline styles in a one-cell table, as the layout is built: mail clients
            # keep those. The lines are escaped one by one and kept apart by <br>.
            return Markup(
                '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
                'style="margin:0; border-collapse:collapse;"><tr><td style="padding:4px 0 '
                "4px 12px; border-left:3px solid #9ca3af; background-color:#f9fafb; "
                'color:#374151;">{}</td></tr></table>'
            ).format(Markup("<br>").join(escape(line) for line in value.split("\n")))
        return "".join(f"\n{QUOTE_MARK}{line}".rstrip() for line in value.split("\n"))
    if isinstance(value, Markup):
        # Already escaped (a macro's output, a joined list): only the characters go.
        return _without_invisible(value)
    visible = _visible(value, lines=True)
    return visible.replace("\n", f"\n{QUOTE_MARK}") if not eval_ctx.autoescape else visible


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
        finalize=jinja2.pass_eval_context(_printable),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _context(alert: Alert, language: str, ack: str, reply: str | None = None) -> dict:
    return {
        "reference": alert.reference,
        "other": alert.other_reference,
        "confirmed_by": alert.confirmed_by_person or alert.confirmed_by or "",
        "category": CATEGORY_LABELS[alert.category][language],
        "oblast": oblast_name(alert.oblast, language),
        "oblast_short": oblast_short_name(alert.oblast, language),
        "urgent": alert.urgent,
        "level": alert.level,
        "ack": ack,
        # The code an SMS may be answered with (domain/acknowledgement.py), if any.
        "reply": reply,
        "why": BREAK_GLASS_REASON_LABELS[alert.reason][language] if alert.reason else "",
        **_step_words(alert, language),
        "service": SERVICE_WORDS[ServiceType(alert.referred[0])][language]
        if alert.referred
        else "",
    }


def _step_words(alert: Alert, language: str) -> dict:
    """A step of the return: the stage reached and what comes next, in words."""
    if alert.return_stage is None:
        return {}
    stage = ReturnStage(alert.return_stage)
    return {"stage": STAGE_WORDS[stage][language], "next_step": NEXT_STEP_WORDS[stage][language]}


def _prefix(alert: Alert) -> str:
    """A new report's templates are sms.txt, email.txt; a confirmed match's match_sms.txt..."""
    return "" if alert.kind == "report" else f"{alert.kind}_"


def _language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def render_sms(
    alert: Alert, language: str, ack: str, *, one_part: bool = False, reply: str | None = None
) -> str:
    """The SMS, in at most two parts: less detail rather than a third part.

    `one_part` (the deployment's SMS policy): one GSM-7 part of Latin letters, about a
    seventh of the price of two UCS-2 parts in Cyrillic. Ukrainian is transliterated as
    passports spell it (KMU 2010, domain/latin.py); English is used where that still
    leaves a character GSM-7 lacks. It never names the child either way. `reply`: the
    code the contact may answer with instead of opening the link (two-way SMS).
    """
    if one_part:
        text = _sms(alert, _language(language), ack, reply, most=1, latin=True)
        if is_gsm7(text) and segments(text) == 1:
            return text
        return _sms(alert, "en", ack, reply, most=1)
    return _sms(alert, _language(language), ack, reply, most=MAX_SMS_SEGMENTS)


def _sms(
    alert: Alert, language: str, ack: str, reply: str | None, *, most: int, latin: bool = False
) -> str:
    template = _environment().get_template(f"{language}/{_prefix(alert)}sms.txt")
    tries = [(reply, detail) for detail in SMS_DETAIL]
    if reply:
        # The link rather than the reply code, where both do not fit.
        tries.append((None, SMS_DETAIL[-1]))
    for code, detail in tries:
        context = _context(alert, language, ack, code)
        text = " ".join(template.render(context, detail=detail).split())
        if latin:
            text = in_latin(text)
        if segments(text) <= most:
            break
    return text


def render_email(
    alert: Alert, case: Case, language: str, ack: str, *, disclosure: Disclosure
) -> Email:
    """The e-mail as text and as HTML, both from the same context.

    `disclosure` is what the recipient may learn (domain/disclosure.py, decided when the
    alert was routed): the report's details, or only that it exists.
    """
    language = _language(language)
    env = _environment()
    context = _context(alert, language, ack)
    context["language"] = language
    context["received_at"] = kyiv_time(case.received_at, language)
    context["note"] = neutralised(alert.note, free_text=True) if alert.note else ""
    share = disclosure == Disclosure.DETAILS
    context["share"] = share
    if share:
        # Without consent the report is not even in the context: a template that tried
        # to print from it would fail (StrictUndefined) rather than disclose.
        context["report"] = _reported(case.report)
        context["words"] = _words(context["report"], language)
    prefix = _prefix(alert)
    subject = env.get_template(f"{language}/{prefix}email_subject.txt").render(context)
    subject = " ".join(subject.split())
    text = env.get_template(f"{language}/{prefix}email.txt").render(context)
    # A quoted block starts on the line after its label: no blank left behind that label.
    text = "\n".join(line.rstrip() for line in text.split("\n"))
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
                "since": kyiv_time(w.since, language),
            }
            for w in waiting
        ],
    }
    subject = " ".join(env.get_template(f"{language}/digest_subject.txt").render(context).split())
    text = env.get_template(f"{language}/digest.txt").render(context)
    html = env.get_template(f"{language}/digest.html").render(context, subject=subject)
    return Email(subject=subject, text=text.strip() + "\n", html=html.strip() + "\n")
