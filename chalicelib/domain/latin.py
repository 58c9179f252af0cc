"""A child's name in Latin letters, for alert recipients who do not read Cyrillic.

Ukrainian names follow the official table (Cabinet of Ministers resolution 55 of
27 January 2010, "KMU 2010": Згурський -> Zghurskyi, Юрій -> Yurii), as Ukrainian passports
spell them; a name with letters only Russian has (ы, э, ё, ъ) follows Russia's passport
rules, as a Russian document would spell it. The `translitua` library implements both
tables. A name already in Latin letters stays as it is.
"""

from __future__ import annotations

_RUSSIAN_ONLY = frozenset("ыэёъЫЭЁЪ")


def in_latin(name: str) -> str:
    if not any("\u0400" <= c <= "\u04ff" for c in name):
        return name
    from translitua import RussianInternationalPassport, UkrainianKMU, translit

    table = RussianInternationalPassport if _RUSSIAN_ONLY & set(name) else UkrainianKMU
    return translit(name, table)
