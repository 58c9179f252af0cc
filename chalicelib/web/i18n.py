"""The form's languages: gettext catalogs (locale/*/LC_MESSAGES/messages.mo) and Jinja2.

Only the standard library's gettext reads the catalogs at run time; Babel, which compiles
them (python -m infra.translations), stays out of the Lambda package.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

HERE = Path(__file__).resolve().parent
LOCALE = HERE / "locale"
TEMPLATES = HERE / "templates"
DOMAIN = "messages"

LANGUAGES = ("uk", "en", "ru")
DEFAULT = "uk"
# Each language named in itself, as a person looking for their own language reads it.
LANGUAGE_NAMES = {"uk": "Українська", "en": "English", "ru": "Русский"}


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


def pick(requested: str | None, accept_language: str | None = None) -> str:
    """The page's language: the one asked for if we have it, else the first of ours the
    browser prefers (its Accept-Language), else Ukrainian."""
    requested = (requested or "").strip().lower()
    if requested in LANGUAGES:
        return requested
    return _preferred(accept_language or "") or DEFAULT


def _preferred(accept_language: str) -> str | None:
    """The first of our languages in an Accept-Language header, by its q-values."""
    ranked = []
    for position, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


@cache
def translations(language: str) -> gettext.NullTranslations:
    # fallback=True: a missing catalog shows the English msgids rather than a 500.
    return gettext.translation(DOMAIN, localedir=LOCALE, languages=[language], fallback=True)


def gettext_for(language: str):
    return translations(language).gettext


@cache
def environment(language: str) -> jinja2.Environment:
    return jinja_environment(TEMPLATES, translations(language))


def jinja_environment(templates: Path, catalog: gettext.NullTranslations) -> jinja2.Environment:
    """Templates as every Homeward page is written (the form's, the console's): escaped,
    strict about undefined names, in the words of `catalog`."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: translated strings are escaped like any other value, and take %(name)s.
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    return env


def render(template: str, language: str, **context: Any) -> str:
    return environment(language).get_template(template).render(lang=language, **context)


# -- validation errors ---------------------------------------------------------------------

# What the domain's ValueErrors say (chalicelib/domain/report.py), by how they begin, and
# the words a reporter reads instead. A test fails when the domain grows a message that is
# not listed here.
VALUE_ERRORS: list[tuple[str, str]] = [
    ("date is in the future", N_("This date is in the future.")),
    ("not an ISO 3166-2:UA oblast code", N_("Choose the oblast from the list.")),
    ("not an ISO 3166-1 alpha-2 country code", N_("Choose the country from the list.")),
    # The form reads national numbers itself (form_fields.py): what reaches these checks
    # is no number in any reading.
    (
        "phone number must be in international",
        N_(
            "Check the phone number: for example 050 123 45 67, or +48 512 345 678 for a "
            "number abroad."
        ),
    ),
    (
        "not a phone number in E.164 form",
        N_(
            "Check the phone number: for example 050 123 45 67, or +48 512 345 678 for a "
            "number abroad."
        ),
    ),
    ("not a valid phone number", N_("This phone number looks wrong. Please check it.")),
    ("not a valid e-mail address", N_("This e-mail address is not valid. Please check it.")),
    (
        "give the date of birth or at least the year of birth",
        N_("Give the date of birth, or at least the year of birth."),
    ),
    ("date of birth before", N_("This date of birth is too early.")),
    (
        "birth year and date of birth disagree",
        N_("The year of birth and the date of birth do not match."),
    ),
    ("year of birth is in the future", N_("This year is in the future.")),
    ("event date before", N_("The date is before 2014. Please check it.")),
    (
        "give an e-mail address or a phone number",
        N_("Give an e-mail address or a phone number, or choose that we should not contact you."),
    ),
    (
        "contains a control character other than a line break",
        N_("This text contains invisible control characters. Please remove them or type it again."),
    ),
    (
        "contains a control character or a line break",
        N_("Write this on one line, without invisible control characters."),
    ),
    (
        "contains an invisible formatting character",
        N_("This name contains invisible characters. Please type it again."),
    ),
    ("a name must contain at least one letter", N_("Write the name in letters.")),
]

TYPE_ERRORS: dict[str, str] = {
    "missing": N_("Please fill in this field."),
    "literal_error": N_("Choose one of the options."),
    "string_too_long": N_("This is too long: at most %(max_length)s characters."),
    "string_too_short": N_("Please fill in this field."),
    "too_long": N_("Too many: at most %(max_length)s."),
    # The form asks day, month and year apart and sends the models an ISO date it made:
    # one it cannot parse was no date.
    "date_parsing": N_("This date does not exist. Please check the day and the month."),
    "date_from_datetime_parsing": N_(
        "This date does not exist. Please check the day and the month."
    ),
    "date_type": N_("This date does not exist. Please check the day and the month."),
    "int_parsing": N_("Write the year as four digits, for example 2012."),
    "int_type": N_("Write the year as four digits, for example 2012."),
    "greater_than_equal": N_("This year is too early."),
    "less_than_equal": N_("This year is too late."),
    "bool_parsing": N_("Choose yes or no."),
    "bool_type": N_("Choose yes or no."),
}

GENERAL_ERROR = N_("Please check this.")


def error_message(error: dict[str, Any], language: str) -> str:
    """One pydantic error in the reporter's language, without the value they typed."""
    _ = gettext_for(language)
    if error["type"] == "value_error":
        text = str(error.get("msg", "")).removeprefix("Value error, ")
        for prefix, message in VALUE_ERRORS:
            if text.startswith(prefix):
                return _(message)
        return _(GENERAL_ERROR)
    message = TYPE_ERRORS.get(error["type"])
    if message is None:
        return _(GENERAL_ERROR)
    context = error.get("ctx") or {}
    return (
        _(message) % {"max_length": context.get("max_length", "")}
        if "%(" in message
        else _(message)
    )
