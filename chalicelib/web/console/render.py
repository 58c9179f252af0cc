"""How console pages are written: its own templates, its own gettext domain, its words.

The console speaks Ukrainian and English. Its messages are in their own catalogs
(console/locale/{uk,en}/LC_MESSAGES/console.po, compiled by `make translations`), apart
from the report form's, so the two can change without touching each other. Everything a
page shows of the domain (statuses, categories, oblasts, dates in Kyiv time, ages) is
worded here once.
"""

from __future__ import annotations

import datetime as dt
import gettext
import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain import places
from chalicelib.domain.places import OBLASTS

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALE = HERE / "locale"
DOMAIN = "console"
LANGUAGES = ("uk", "en")
LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}
KYIV = "Europe/Kyiv"
STATIC_TYPES = {"console.css": "text/css; charset=utf-8"}


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


STATUS_NAMES = {
    "received": N_("Received"),
    "triaged": N_("Triaged"),
    "verified": N_("Verified"),
    "located": N_("Located"),
    "return_in_progress": N_("Return in progress"),
    "returned": N_("Returned"),
    "closed": N_("Closed"),
    "duplicate": N_("Duplicate"),
    "unfounded": N_("Unfounded"),
}
# What a button that moves a case there says.
MOVE_NAMES = {
    "triaged": N_("Triage"),
    "verified": N_("Mark verified"),
    "located": N_("Mark located"),
    "return_in_progress": N_("Start the return"),
    "returned": N_("Mark returned"),
    "closed": N_("Close"),
    "duplicate": N_("Mark as duplicate"),
    "unfounded": N_("Mark as unfounded"),
}
CATEGORY_NAMES = {
    "deported": N_("Deported"),
    "forcibly_transferred": N_("Forcibly transferred"),
    "missing": N_("Missing"),
    "held_in_facility": N_("Held in a facility"),
    "adopted_or_placed": N_("Adopted or placed in a family"),
    "other": N_("Other"),
}
SEX_NAMES = {"female": N_("Girl"), "male": N_("Boy"), "unknown": N_("Unknown")}
ACKNOWLEDGEMENT_NAMES = {
    "acknowledged": N_("Acknowledged"),
    "waiting": N_("Waiting for acknowledgement"),
    "unacknowledged": N_("Nobody acknowledged"),
    None: N_("Not alerted yet"),
}
FIELD_NAMES = {
    "child.family_name": N_("Family name"),
    "child.given_name": N_("Given name"),
    "child.patronymic": N_("Patronymic"),
    "child.sex": N_("Sex"),
    "child.date_of_birth": N_("Date of birth"),
    "child.birth_year": N_("Year of birth"),
    "residence.settlement": N_("Settlement"),
    "event.date": N_("Date of the event"),
    "event.place": N_("Place of the event"),
    "last_known_location.region": N_("Last known region"),
    "last_known_location.settlement": N_("Last known settlement"),
    "last_known_location.institution": N_("Last known institution"),
}
MATCH_FIELD_NAMES = {
    "family_name": N_("Family name"),
    "given_name": N_("Given name"),
    "patronymic": N_("Patronymic"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "residence": N_("Residence"),
}
MATCH_STATUS_NAMES = {
    "match": N_("same"),
    "close": N_("close"),
    "mismatch": N_("different"),
    "missing": N_("not given"),
    "year_only": N_("same year, one gives only the year"),
    "day_month_swapped": N_("day and month swapped"),
}
RELATIONSHIP_NAMES = {
    "parent": N_("Parent"),
    "guardian": N_("Guardian"),
    "relative": N_("Relative"),
    "witness": N_("Witness"),
    "ngo": N_("NGO"),
    "official": N_("Official"),
    "self": N_("The child themself"),
    "other": N_("Other"),
}
ROLE_NAMES = {
    "caseworker": N_("Caseworker"),
    "coordinator": N_("Coordinator"),
    "auditor": N_("Auditor"),
    "provider": N_("Service provider"),
    "contact": N_("Alerted contact"),
}


def pick(requested: str | None, current: str | None = None) -> str:
    requested = (requested or "").strip().lower()
    if requested in LANGUAGES:
        return requested
    return current if current in LANGUAGES else "uk"


@cache
def translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALE, languages=[language], fallback=True)


def gettext_for(language: str):
    return translations(language).gettext


def kyiv(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(KYIV)).strftime("%d.%m.%Y %H:%M")


def day(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def age(
    date_of_birth: dt.date | None, birth_year: int | None, today: dt.date | None = None
) -> int | None:
    today = today or dt.datetime.now(dt.UTC).date()
    if date_of_birth is not None:
        years = today.year - date_of_birth.year
        return years - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    return today.year - birth_year if birth_year else None


def country_name(code: str | None, language: str) -> str:
    """The report form's names of countries (domain/places.py)."""
    return places.country_name(code, language) if code else ""


def oblast_name(code: str | None, language: str) -> str:
    return places.oblast_name(code, language) if code else ""


@cache
def environment(language: str) -> jinja2.Environment:
    from chalicelib.web.i18n import jinja_environment

    env = jinja_environment(TEMPLATES, translations(language))
    _ = translations(language).gettext
    env.globals.update(
        kyiv=kyiv,
        day=day,
        age=age,
        oblast=lambda code: oblast_name(code, language),
        oblasts=sorted(OBLASTS, key=lambda c: OBLASTS[c][language]),
        status_name=lambda s: _(STATUS_NAMES.get(str(s), str(s))),
        move_name=lambda s: _(MOVE_NAMES.get(str(s), str(s))),
        category_name=lambda c: _(CATEGORY_NAMES.get(str(c), str(c))),
        sex_name=lambda s: _(SEX_NAMES.get(str(s), str(s))),
        acknowledgement_name=lambda a: _(ACKNOWLEDGEMENT_NAMES.get(a, str(a))),
        field_name=lambda f: _(FIELD_NAMES.get(f, MATCH_FIELD_NAMES.get(f, f))),
        match_status=lambda s: _(MATCH_STATUS_NAMES.get(s, s)),
        role_name=lambda r: _(ROLE_NAMES.get(r, r)),
        relationship_name=lambda r: _(RELATIONSHIP_NAMES.get(r, r)),
        country=lambda code: country_name(code, language),
        statuses=list(STATUS_NAMES),
        categories=list(CATEGORY_NAMES),
        languages=LANGUAGE_NAMES,
    )
    return env


def render(template: str, language: str, **context: Any) -> str:
    return environment(language).get_template(template).render(lang=language, **context)


@cache
def static_file(name: str) -> tuple[str, str]:
    text = (STATIC / name).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def static_url(name: str, up: str) -> str:
    return f"{up}staff/static/{name}?v={static_file(name)[1]}"
