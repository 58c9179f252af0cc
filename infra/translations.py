"""The compiled catalogs (the form's, the console's), country names and list orders,
derived from committed sources with Babel and ICU.

    python -m infra.translations          # rewrite the .mo files and the JSON in domain/data
    python -m infra.translations --check  # exit 1 if any is out of date (`make test` runs it)

The Lambda reads these files with the standard library only: Babel and ICU (PyICU) are
development tools and never part of the package. The outputs are committed, like
requirements.txt, so a checkout (and `chalice package`) has them without a build step.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "chalicelib" / "web"
LOCALE = WEB / "locale"
DATA = ROOT / "chalicelib" / "domain" / "data"
COUNTRIES_FILE = DATA / "countries.json"
COLLATION_FILE = DATA / "collation.json"
MONTHS_FILE = DATA / "months.json"
LANGUAGES = ("uk", "en", "ru")


# Where the form's words are: gettext calls and N_() marks in its Python, _() in templates.
SOURCES = [
    ("chalicelib/web/*.py", "python"),
    ("chalicelib/web/templates/*.html", "jinja2.ext:babel_extract"),
    # The report's questions, asked by the form and by a conversation alike.
    ("chalicelib/domain/questions.py", "python"),
    ("chalicelib/domain/form_dates.py", "python"),
    ("chalicelib/domain/answers.py", "python"),
    ("chalicelib/domain/conversation.py", "python"),
    # What a hotline operator reads to a caller (the console shows it in their language).
    ("chalicelib/domain/hotline.py", "python"),
]
# The staff console's, in a gettext domain of its own (chalicelib/web/console/render.py).
CONSOLE_LOCALE = WEB / "console" / "locale"
CONSOLE_LANGUAGES = ("uk", "en")
CONSOLE_SOURCES = [
    ("chalicelib/web/console/*.py", "python"),
    ("chalicelib/web/console/templates/*.html", "jinja2.ext:babel_extract"),
]


def extracted_messages(sources: list[tuple[str, str]] = SOURCES) -> set[str]:
    """Every msgid the form (or the console) uses, as Babel's extractors find them."""
    from babel.messages.extract import extract_from_dir

    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), sources, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def compiled(po: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def country_names() -> bytes:
    """Each ISO 3166-1 country's name in the form's languages, from Babel's CLDR data."""
    from babel import Locale

    from chalicelib.domain.places import COUNTRIES

    locales = {language: Locale.parse(language) for language in LANGUAGES}
    names = {
        code: {lang: locale.territories.get(code, code) for lang, locale in locales.items()}
        for code in sorted(COUNTRIES)
    }
    return (json.dumps(names, ensure_ascii=False, indent=0, sort_keys=True) + "\n").encode()


def collator(language: str):
    """ICU's collator for a language: its alphabet's order, as people look things up."""
    import icu

    return icu.Collator.createInstance(icu.Locale(language))


def collation() -> bytes:
    """The oblasts' and countries' codes in each language's alphabetical order."""
    from chalicelib.domain.places import OBLASTS

    countries = json.loads(country_names())
    order: dict[str, dict[str, list[str]]] = {"oblasts": {}, "countries": {}}
    for language in LANGUAGES:
        key = collator(language).getSortKey
        order["oblasts"][language] = sorted(OBLASTS, key=lambda c: key(OBLASTS[c][language]))
        order["countries"][language] = sorted(countries, key=lambda c: key(countries[c][language]))
    return (json.dumps(order, indent=0, sort_keys=True) + "\n").encode()


def _long_date_pattern(pattern: str) -> str:
    """CLDR's long date pattern ("d MMMM y 'р'.") as a str.format pattern."""
    out = []
    for token in re.findall(r"'[^']*'|d+|M+|y+|[^'dMy]+", pattern):
        if token.startswith("'"):
            out.append(token.strip("'"))
        elif token[0] == "d":
            out.append("{day}")
        elif token[0] == "M":
            out.append("{month}")
        elif token[0] == "y":
            out.append("{year}")
        else:
            out.append(token)
    return "".join(out)


def month_names() -> bytes:
    """Month names as a date input lists them, and a date written in words, from CLDR.

    English follows British usage (14 March 2012): day, month, year, as the form asks.
    """
    from babel import Locale

    months = {}
    for language in LANGUAGES:
        locale = Locale.parse("en_GB" if language == "en" else language)
        alone = locale.months["stand-alone"]["wide"]
        in_date = locale.months["format"]["wide"]
        months[language] = {
            "names": [alone[m][:1].upper() + alone[m][1:] for m in range(1, 13)],
            "in_dates": [in_date[m] for m in range(1, 13)],
            "date": _long_date_pattern(locale.date_formats["long"].pattern),
        }
    return (json.dumps(months, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def outputs() -> dict[Path, bytes]:
    wanted = {
        COUNTRIES_FILE: country_names(),
        COLLATION_FILE: collation(),
        MONTHS_FILE: month_names(),
    }
    for language in LANGUAGES:
        po = LOCALE / language / "LC_MESSAGES" / "messages.po"
        wanted[po.with_suffix(".mo")] = compiled(po)
    for language in CONSOLE_LANGUAGES:
        po = CONSOLE_LOCALE / language / "LC_MESSAGES" / "console.po"
        wanted[po.with_suffix(".mo")] = compiled(po)
    return wanted


def main(argv: list[str]) -> int:
    wanted = outputs()
    if "--check" in argv:
        stale = [p for p, data in wanted.items() if not p.exists() or p.read_bytes() != data]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python -m infra.translations")
        return 1 if stale else 0
    for path, data in wanted.items():
        path.write_bytes(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
