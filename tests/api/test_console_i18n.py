"""The console's catalogs: their own gettext domain, complete in Ukrainian, compiled."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from chalicelib.web.console import render
from infra import translations

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalog(language: str):
    path = render.LOCALE / language / "LC_MESSAGES" / "console.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def test_every_console_message_is_translated_to_ukrainian_with_its_placeholders():
    found = [m for m in catalog("uk") if m.id]
    assert found
    for message in found:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), ids
        assert not message.fuzzy, ids
        for text in strings:
            assert sorted(set(PLACEHOLDER.findall(ids[-1]))) == sorted(
                set(PLACEHOLDER.findall(text))
            ), ids


def test_the_console_catalogs_hold_exactly_the_messages_the_console_uses():
    used = translations.extracted_messages(translations.CONSOLE_SOURCES)
    for language in translations.CONSOLE_LANGUAGES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(language) if m.id}
        assert ids == used, language


def test_the_console_speaks_ukrainian_first_and_english():
    assert render.pick(None) == "uk" and render.pick("EN") == "en" and render.pick("ru") == "uk"
    assert render.gettext_for("uk")("Inbox") == "Вхідні"
    assert render.gettext_for("en")("Inbox") == "Inbox"
