"""Staff search: a case found by its reference, the child's name in any script, or birth.

A caseworker on the phone with a mother types what she hears: "Kovalenko Maksym", "Коваленко
2012", "14.03.2012", a reference. Names go through the matching's normalisation
(domain/names.py): a given name becomes its name group (Максим = Maksym = Maxim), any
other name its consonant code, which survives transliteration (Коваленко = Kovalenko =
Kowalenko). Each case is written at intake under a few hashed search keys built from
these forms (`index_keys`); a search asks for at most MAX_LOOKUPS of them
(`lookup_keys`), then checks every candidate against what was typed (`finds`), so a key
shared by chance, or left behind by a correction, finds nothing.

Search is not matching: it runs for every case, whatever the reporter said about tracing,
because it only finds a case for someone who may already open it. What it finds passes the
mandate and the disclosure policy (services/search.py); a name or a birth date finds only
cases whose details the person may see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from chalicelib.domain.matching import ChildIdentity
from chalicelib.domain.names import coarse_code, given_name_groups, surname_similarity, tokens
from chalicelib.domain.references import REFERENCE_PATTERN, normalised_reference

MAX_LOOKUPS = 4
MAX_WORDS = 4
MAX_QUERY = 200
# Two spellings this alike are the same name typed with a slip (the forms differ).
_SPELLING_CLOSE = 0.85

_REFERENCE = re.compile(REFERENCE_PATTERN)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_LOCAL_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$", re.ASCII)
_YEAR = re.compile(r"^(19|20)\d{2}$", re.ASCII)
_SPLIT = re.compile(r"[\s,;]+")
# A reference as typed: "HW" (perhaps in Cyrillic letters) or not, then four and four.
_REFERENCE_SHAPE = re.compile(r"^([hн][\s-]*w[\s-]*)?\w{4}[\s-]*\w{4}$", re.IGNORECASE)


def _key(kind: str, *parts: object) -> str:
    # Hashed, like matching's keys: the table's index items never spell a child's name.
    material = "|".join(str(p) for p in parts)
    return f"{kind}:{hashlib.sha256(material.encode('utf-8')).hexdigest()[:16]}"


def forms(word: str) -> list[str]:
    """A word's spelling-free forms: its given-name groups, else its consonant code."""
    groups = sorted(given_name_groups(word))[:2]
    if groups:
        return [f"g={g}" for g in groups]
    code = coarse_code(word)
    return [f"c={code}"] if code else []


def _forms_of(names: list[str | None], words: int) -> list[str]:
    found: list[str] = []
    for name in names:
        for word in tokens(name)[:words]:
            found += forms(word)
    return list(dict.fromkeys(found))


def _birthday(day: dt.date) -> tuple[int, int, int]:
    """Day and month in either order: a date typed the other way round still finds it."""
    return (day.year, *sorted((day.day, day.month)))


def index_keys(child: ChildIdentity) -> list[str]:
    """The search keys a case is written under (at most 15)."""
    given = _forms_of([child.given_name], 2)[:2]
    family = _forms_of([child.family_name], 2)[:2]
    others = _forms_of(list(child.other_names[:3]), 1)
    names = list(dict.fromkeys(given + family + others))[:6]
    keys = [_key("sn", name) for name in names]
    keys += [_key("snn", *sorted((g, f))) for g in given for f in family if g != f]
    if child.year is not None:
        keys += [_key("sny", name, child.year) for name in list(dict.fromkeys(given[:1] + family))]
        keys.append(_key("sy", child.year))
    if child.date_of_birth is not None:
        keys.append(_key("sd", *_birthday(child.date_of_birth)))
    return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class SearchQuery:
    """What was typed, read: a reference, or name words with a birth date or year (or,
    for eight letters that could be either, a reference and a name)."""

    reference: str | None = None
    words: tuple[str, ...] = ()
    date: dt.date | None = None
    year: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.reference or self.words or self.date or self.year)

    @property
    def by_name_or_birth(self) -> bool:
        return bool(self.words or self.date or self.year)


def _date(text: str) -> dt.date | None:
    iso = _ISO_DATE.match(text)
    local = _LOCAL_DATE.match(text)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif local:
        # Day first, as Ukrainian and European forms write it.
        year, month, day = int(local[3]), int(local[2]), int(local[1])
    else:
        return None
    if month > 12:
        # Written the other way round: the key ignores the order of day and month anyway.
        month, day = day, month
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_query(text: str) -> SearchQuery:
    text = (text or "").strip()[:MAX_QUERY]
    # Read aloud and typed back: any case, spaces or hyphens anywhere, with or without
    # "HW-" (a reporter often quotes only the eight characters after it), Cyrillic
    # look-alike letters as a Ukrainian keyboard types them.
    typed = _REFERENCE_SHAPE.match(text)
    reference = normalised_reference(text) if typed else None
    if reference is None or not _REFERENCE.match(reference):
        reference = None
    elif typed[1] or any(c.isdigit() for c in text):
        return SearchQuery(reference=reference)
    words: list[str] = []
    date: dt.date | None = None
    year: int | None = None
    for part in _SPLIT.split(text):
        if not part:
            continue
        if (found := _date(part)) is not None:
            date = found
        elif _YEAR.match(part):
            year = int(part)
        elif any(c.isalpha() for c in part) and forms(part):
            words.append(part)
    if date is not None:
        year = date.year
    # Eight letters and no digit ("Bezverkh", "Anna Mary") may be a name or a reference
    # without its "HW-": both are looked for.
    return SearchQuery(reference=reference, words=tuple(words[:MAX_WORDS]), date=date, year=year)


def lookup_keys(query: SearchQuery) -> list[str]:
    """The narrowest keys for what was typed, at most MAX_LOOKUPS: both names if two were
    given, a name with the year, a name alone, else the birth date or the year."""
    first = forms(query.words[0])[:2] if query.words else []
    if len(query.words) >= 2:
        second = forms(query.words[1])[:2]
        keys = [_key("snn", *sorted((a, b))) for a in first for b in second if a != b]
    elif first and query.year is not None:
        keys = [_key("sny", a, query.year) for a in first]
    elif first:
        keys = [_key("sn", a) for a in first]
    elif query.date is not None:
        keys = [_key("sd", *_birthday(query.date))]
    elif query.year is not None:
        keys = [_key("sy", query.year)]
    else:
        keys = []
    return list(dict.fromkeys(keys))[:MAX_LOOKUPS]


def _word_found(word: str, child: ChildIdentity) -> bool:
    wanted = set(forms(word))
    names = [child.family_name, child.given_name, child.patronymic, *child.other_names]
    for name in names:
        for token in tokens(name):
            if wanted & set(forms(token)) or surname_similarity(word, token) >= _SPELLING_CLOSE:
                return True
    return False


def finds(query: SearchQuery, child: ChildIdentity) -> bool:
    """Whether a case's child is what was typed: every word a name of the child, and the
    birth date (either order of day and month) or year as given."""
    if query.date is not None:
        if child.date_of_birth is None:
            if child.birth_year != query.date.year:
                return False
        elif _birthday(child.date_of_birth) != _birthday(query.date):
            return False
    elif query.year is not None and child.year != query.year:
        return False
    return all(_word_found(word, child) for word in query.words)
