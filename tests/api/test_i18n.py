"""The form's catalogs: complete in Ukrainian and Russian, compiled, and read without Babel."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from chalicelib.web import i18n
from infra import translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalog(language: str):
    path = i18n.LOCALE / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def messages(language: str) -> dict[str, str]:
    return {m.id: m.string for m in catalog(language) if m.id}


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_every_msgid_is_translated(language):
    found = messages(language)
    assert found
    untranslated = [msgid for msgid, text in found.items() if not text.strip()]
    assert untranslated == []
    assert [m.id for m in catalog(language) if m.id and m.fuzzy] == []


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_translations_keep_their_placeholders(language):
    for msgid, text in messages(language).items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid


def test_the_catalogs_hold_exactly_the_messages_the_form_uses():
    used = translations.extracted_messages()
    for language in i18n.LANGUAGES:
        assert set(messages(language)) == used, language


def test_the_compiled_catalogs_and_country_names_are_up_to_date():
    assert translations.main(["--check"]) == 0


def test_country_names_exist_in_every_language():
    from chalicelib.domain.places import COUNTRIES

    names = json.loads(translations.COUNTRIES_FILE.read_text())
    assert set(names) == set(COUNTRIES)
    assert names["RU"] == {"uk": "Росія", "en": "Russia", "ru": "Россия"}


@pytest.mark.parametrize(
    ("asked", "language"),
    [
        ("uk", "uk"),
        ("en", "en"),
        ("ru", "ru"),
        ("EN", "en"),
        ("xx", "uk"),
        ("", "uk"),
        (None, "uk"),
    ],
)
def test_unknown_languages_fall_back_to_ukrainian(asked, language):
    assert i18n.pick(asked) == language


def test_the_runtime_reads_catalogs_without_babel():
    code = (
        "import sys; from chalicelib.web import i18n; "
        "page = i18n.render('message.html', 'ru', languages=i18n.LANGUAGE_NAMES, "
        "static=lambda n: n, title='t', text='x'); "
        "assert 'Открыть форму' in page, page; "
        "assert 'babel' not in sys.modules; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
    assert "babel" not in (ROOT / "requirements.txt").read_text().lower()


def test_every_domain_validation_message_has_words_for_reporters():
    """A new ValueError in the report models must get its translation here too."""
    source = (ROOT / "chalicelib" / "domain" / "report.py").read_text()
    raised = re.findall(r'raise ValueError\(\s*f?"([^"{]+)', source)
    assert len(raised) >= 10
    prefixes = [prefix for prefix, _ in i18n.VALUE_ERRORS]
    for message in raised:
        assert any(message.startswith(p) or p.startswith(message) for p in prefixes), message


def test_pydantic_errors_are_translated_without_the_input():
    from pydantic import ValidationError

    from chalicelib.domain.report import Reporter

    with pytest.raises(ValidationError) as caught:
        Reporter.model_validate(
            {"relationship": "aunt", "may_contact": True, "phone": "+38SECRET", "name": "x" * 300}
        )
    errors = {tuple(e["loc"]): e for e in caught.value.errors()}
    uk = {loc: i18n.error_message(e, "uk") for loc, e in errors.items()}
    assert uk[("relationship",)] == "Оберіть один із варіантів."
    assert uk[("name",)] == "Тут забагато символів: можна не більше 200."
    assert uk[("phone",)] == (
        "Перевірте номер телефону: наприклад, 050 123 45 67 або +48 512 345 678, якщо номер "
        "закордонний."
    )
    assert not any("SECRET" in message for message in uk.values())
