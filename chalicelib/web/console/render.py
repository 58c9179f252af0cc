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
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain import corrections, labels, places, words
from chalicelib.domain.latin import in_latin
from chalicelib.domain.staff import Role
from chalicelib.domain.workflow import Status
from chalicelib.web import urls

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LOCALE = HERE / "locale"
DOMAIN = "console"
LANGUAGES = ("uk", "en")
LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}
STATIC_TYPES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
}


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


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
ACKNOWLEDGEMENT_NAMES = {
    "acknowledged": N_("Acknowledged"),
    "waiting": N_("Waiting for acknowledgement"),
    "unacknowledged": N_("Nobody acknowledged"),
    None: N_("Not alerted yet"),
}
MATCH_FIELD_NAMES = {
    "family_name": N_("Family name"),
    "given_name": N_("Given name"),
    "patronymic": N_("Patronymic"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "residence": N_("Residence"),
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


def kyiv(moment: dt.datetime | None, language: str) -> str:
    """A moment in words, in Kyiv time (the one formatter: domain/words.py)."""
    return words.moment_in_words(moment, language, zone=False)


def day(value: dt.date | int | None, language: str) -> str:
    return words.date_in_words(value, language)


def channel_name(channel: object, language: str) -> str:
    return labels.word(labels.CHANNEL, channel, language)


def named(catalog: dict, code: object, language: str) -> str:
    """A code's words from its domain catalog (domain/labels.py), as a list starts them."""
    return labels.heading(labels.word(catalog, code, language))


def age(
    date_of_birth: dt.date | None, birth_year: int | None, today: dt.date | None = None
) -> int | None:
    today = today or dt.datetime.now(dt.UTC).date()
    if date_of_birth is not None:
        years = today.year - date_of_birth.year
        return years - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    return today.year - birth_year if birth_year else None


def age_words(child: Any, language: str, today: dt.date | None = None) -> str:
    """A child's age, the same wherever it is shown: "14 years old", or, when only the
    year of birth is known, "14 or 15 years old" (the birthday may not have come yet)."""
    if child is None:
        return ""
    oldest = age(child.date_of_birth, child.birth_year, today)
    if oldest is None:
        return ""
    ngettext = translations(language).ngettext
    if child.date_of_birth is None and oldest > 0:
        return ngettext(
            "%(young)s or %(num)s year old", "%(young)s or %(num)s years old", oldest
        ) % {"young": oldest - 1, "num": oldest}
    return ngettext("%(num)s year old", "%(num)s years old", oldest) % {"num": oldest}


def child_name(child: Any, language: str) -> str:
    """The child's names as reported; for a reader of English also in Latin letters (the
    KMU 2010 transliteration the e-mails use), where they differ."""
    if child is None:
        return ""
    names = " ".join(n for n in (child.family_name, child.given_name, child.patronymic) if n)
    if language != "en":
        return names
    latin = in_latin(names)
    return names if latin == names else f"{names} ({latin})"


def in_reader_script(name: str | None, language: str) -> str:
    """A name as reported; for a reader of English followed by its Latin letters."""
    if not name or language != "en":
        return name or ""
    latin = in_latin(name)
    return name if latin == name else f"{name} ({latin})"


def country_name(code: str | None, language: str) -> str:
    """The report form's names of countries (domain/places.py)."""
    return places.country_name(code, language) if code else ""


def oblast_name(code: str | None, language: str) -> str:
    return places.oblast_name(code, language) if code else ""


def oblast_choices(language: str) -> list[tuple[str, str]]:
    """Every oblast as a list offers it: (code, name), in the language's order."""
    return [(o, oblast_name(o, language)) for o in places.in_order("oblasts", language)]


def category_choices(language: str) -> list[tuple[str, str]]:
    return [(c, named(labels.CATEGORY, c, language)) for c in labels.CATEGORY]


@cache
def environment(language: str) -> jinja2.Environment:
    from chalicelib.web.i18n import jinja_environment

    env = jinja_environment(TEMPLATES, translations(language))
    _ = translations(language).gettext
    env.globals.update(
        kyiv=lambda moment: kyiv(moment, language),
        day=lambda value: day(value, language),
        age=age,
        oblast=lambda code: oblast_name(code, language),
        oblasts=places.in_order("oblasts", language),
        status_name=lambda s: named(labels.STATUS, s, language),
        move_name=lambda s: _(MOVE_NAMES.get(str(s), str(s))),
        category_name=lambda c: named(labels.CATEGORY, c, language),
        sex_name=lambda s: named(labels.SEX, s, language),
        acknowledgement_name=lambda a: _(ACKNOWLEDGEMENT_NAMES.get(a, str(a))),
        field_name=lambda f: (
            _(MATCH_FIELD_NAMES[f]) if f in MATCH_FIELD_NAMES else named(labels.FIELD, f, language)
        ),
        role_name=lambda r: named(labels.ROLE, r, language),
        relationship_name=lambda r: named(labels.RELATIONSHIP, r, language),
        language_words=lambda code: labels.word(labels.LANGUAGE, code, language),
        country=lambda code: country_name(code, language),
        statuses=list(Status),
        categories=list(labels.CATEGORY),
        languages=LANGUAGE_NAMES,
        Role=Role,
        case_url=urls.case_url,
        age_words=lambda child: age_words(child, language),
        child_name=lambda child: child_name(child, language),
        latin=lambda name: in_reader_script(name, language),
        channel_name=lambda c: channel_name(c, language),
        field_value=lambda f, value: corrections.in_words(f, value, language),
    )
    return env


def render(template: str, language: str, **context: Any) -> str:
    return environment(language).get_template(template).render(lang=language, **context)


def static_file(name: str) -> tuple[str, str]:
    return urls.static_file(STATIC, name)


def static_url(name: str, up: str) -> str:
    return urls.static_url("staff/static/", STATIC, name, up)
