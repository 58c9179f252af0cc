"""Bring the many spellings of a child's name to forms that can be compared.

The same child is written by a mother in Ukrainian, by an NGO in Latin letters (KMU 2010,
Russian-style, German, French or Polish habits, old passports) and by a journalist copying
a Russian adoption listing. Russia re-registers deported children under Russian forms of
their names. This module maps all of these to a script-neutral *phoneme string* and, from it,
to two levels of keys:

* the *fine key* keeps vowels, so Олена and Аліна stay apart;
* the *coarse code* keeps only consonant classes, so it survives every transliteration
  habit we know of (ч/ш/щ/ж/г/х written as ch, sh, tsch, cz, j, g, h, kh ...).

Given names are resolved to *name groups* (Олександр = Александр = Alexander = Сашко) from
the data table ``data/given_names.csv``; patronymics are resolved to the father's group.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import JaroWinkler, Levenshtein

DATA_DIR = Path(__file__).parent / "data"

# Phoneme alphabet: lowercase vowels a e i o u, consonants as lowercase letters, and four
# capital symbols for sounds that Latin spellings write with several letters:
# C = ч, S = ш/щ, Z = ж, c = ц. Г, Ґ and Х all become "h": Ukrainian Г is H in KMU 2010,
# Russian Г is G, Х is KH or H, and German/Polish CH; no one spelling keeps them apart.
_CYRILLIC: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "h", "д": "d", "е": "e", "є": "ie",
    "ё": "io", "ж": "Z", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "C", "ш": "S", "щ": "S", "ъ": "",
    "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip

# Letters with diacritics from ISO 9, Czech/Croatian-style scholarly spellings, German,
# French and Polish. Polish-only letters are handled with the Polish rules below.
_DIACRITICS: dict[str, str] = {
    "š": "S", "č": "C", "ž": "Z", "ŝ": "S", "ĉ": "C", "ǧ": "h", "ĥ": "h",
    "û": "iu", "â": "ia", "ê": "ie", "ë": "io", "ì": "i", "ï": "i", "î": "i", "ĭ": "i",
    "ü": "iu", "ö": "io", "ä": "ia", "é": "e", "è": "e", "á": "a", "í": "i", "ú": "u",
    "ý": "i", "ß": "s", "ł": "l", "ą": "a", "ę": "e", "ś": "s", "ć": "c", "ń": "n",
    "ó": "o", "ż": "Z", "ź": "z", "ŭ": "v",
}  # fmt: skip

# Latin spelling habits, longest pattern first so that one left-to-right pass does it.
_LATIN_COMMON: dict[str, str] = {
    "shch": "S", "shtsh": "S", "zh": "Z", "kh": "h", "sh": "S", "ts": "c", "tz": "c",
    "tch": "C", "ch": "C", "gh": "h", "x": "ks", "w": "v", "q": "k", "ph": "f", "th": "t",
    "ck": "ck", "ou": "u", "j": "i", "y": "i", "c": "k", "ce": "ce", "ci": "ci", "cy": "ci",
    "g": "h",
}  # fmt: skip
_LATIN_GERMAN: dict[str, str] = {
    "schtsch": "S", "tsch": "C", "sch": "S", "ch": "h", "z": "c", "zh": "Z", "c": "c",
}  # fmt: skip
_LATIN_POLISH: dict[str, str] = {
    "szcz": "S", "cz": "C", "sz": "S", "rz": "Z", "ch": "h", "c": "c",
}  # fmt: skip
_LATIN_FRENCH: dict[str, str] = {
    "chtch": "S", "tch": "C", "ch": "S", "j": "Z", "dj": "dZ", "gue": "he", "gui": "hi",
}  # fmt: skip
# Scholarly/ISO 9 spellings write Ц as C and Х as H; only the C needs telling apart.
_LATIN_ISO: dict[str, str] = {"c": "c"}

_GERMAN_MARK = re.compile(r"sch|[äöüß]|tz")
_POLISH_MARK = re.compile(r"[łąęśćńżźó]|cz|sz")
_FRENCH_MARK = re.compile(r"ou|tch|[éèêï]|gue|gui")
_ISO_MARK = re.compile(r"[čšžŝûâìĉ]")


def _compile(rules: dict[str, str]) -> tuple[re.Pattern[str], dict[str, str]]:
    keys = sorted(rules, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)), rules


_RULES = {
    "default": _compile(_LATIN_COMMON),
    "german": _compile({**_LATIN_COMMON, **_LATIN_GERMAN}),
    "polish": _compile({**_LATIN_COMMON, **_LATIN_POLISH}),
    "french": _compile({**_LATIN_COMMON, **_LATIN_FRENCH}),
    "iso": _compile({**_LATIN_COMMON, **_LATIN_ISO}),
    "german_or_polish": _compile({**_LATIN_COMMON, "ch": "h", "c": "c"}),
}

_VOWELS = frozenset("aeiou")
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
_TOKEN_SPLIT = re.compile(r"[\s\-‐–—,/()]+")
_APOSTROPHES = str.maketrans("", "", "'’ʼ`´ʹʺ\"")
_HOMOGLYPHS = str.maketrans("aeopcxyikmthb", "аеорсхуікмтнв")


def _latin_habit(word: str) -> str:
    """Guess whose spelling habits a Latin word follows; it decides CH, J, Z and C."""
    if _ISO_MARK.search(word):
        return "iso"
    if _GERMAN_MARK.search(word):
        return "german"
    if _POLISH_MARK.search(word):
        return "polish"
    if _FRENCH_MARK.search(word):
        return "french"
    if "w" in word:
        return "german_or_polish"
    return "default"


def _latin_to_phonemes(word: str) -> str:
    pattern, rules = _RULES[_latin_habit(word)]
    out = pattern.sub(lambda m: rules[m.group(0)], word)
    return "".join(_DIACRITICS.get(ch, ch) for ch in out)


def _tidy_vowels(s: str) -> str:
    """Make iotation and doubled letters spelling-neutral.

    Й, Ї, Я, Ю, Є and the Latin Y/J/I all become runs of "i"; a run collapses to one. A glide
    between vowels goes (Андреевич/Andreyevich), and so does a leading one before "e",
    because Russian Е is written E or YE (Елена/Elena/Yelena, Євген/Evgen); Я and Ю keep
    theirs, so Яна stays apart from Анна. Марія/Mariia/Maria/Maryja line up.
    """
    s = re.sub(r"i+", "i", s)
    out: list[str] = []
    n = len(s)
    for i, ch in enumerate(s):
        nxt = s[i + 1] if i + 1 < n else ""
        if ch == "i" and (
            (i == 0 and nxt == "e") or (i > 0 and s[i - 1] in _VOWELS and nxt in _VOWELS)
        ):
            continue
        out.append(ch)
    s = "".join(out)
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=65536)
def to_phonemes(text: str) -> str:
    """Script-neutral phoneme string of one word or several (spaces and hyphens dropped)."""
    if not text:
        return ""
    s = unicodedata.normalize("NFC", text.strip().lower()).translate(_APOSTROPHES)
    parts: list[str] = []
    for word in _TOKEN_SPLIT.split(s):
        if not word:
            continue
        if _CYRILLIC_RE.search(word):
            # Text pasted from listings mixes in Latin look-alikes (a, e, i, o, c, p, x ...).
            word = word.translate(_HOMOGLYPHS)
            parts.append("".join(_CYRILLIC.get(ch, "") for ch in word))
        else:
            parts.append(_latin_to_phonemes(word))
    joined = "".join(parts)
    return _tidy_vowels("".join(ch for ch in joined if ch.isalpha()))


# Consonant classes of the coarse code. ч, ш, щ, ж, г, ґ, х share one class because CH, J,
# H and G each stand for two or three of them depending on who wrote the name; с, з, ц
# share another because German Z, Polish C and ISO C are ц while English C is к or с.
_COARSE: dict[str, str] = {"C": "H", "S": "H", "Z": "H", "h": "H", "c": "s", "z": "s"}


def _coarse_of_phonemes(ph: str) -> str:
    s = "".join(_COARSE.get(ch, ch) for ch in ph if ch not in _VOWELS)
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=65536)
def coarse_code(text: str) -> str:
    """Consonant-class skeleton that survives transliteration, gender endings and Ukrainian
    vs Russian vowels (Ковальов/Kovalev/Kowalowa -> "kvlv")."""
    return _coarse_of_phonemes(to_phonemes(text))


def fine_key(text: str) -> str:
    """Phoneme string that still tells Олена from Аліна; equal across transliterations."""
    return to_phonemes(text)


def tokens(text: str | None) -> tuple[str, ...]:
    """Words of a name field; double names (Анна-Марія) give two words."""
    if not text:
        return ()
    return tuple(t for t in _TOKEN_SPLIT.split(text.strip().translate(_APOSTROPHES)) if t)


# --- surnames ---------------------------------------------------------------------------

# Russian adjectival endings -ая/-ой/-ий/-ый (-ская, -ской) and Ukrainian -а/-ий after the
# stem are the only part of a surname that changes with sex, so they are cut off.
_SURNAME_ENDING = re.compile(r"(aia|oi|ai|ei|[aeiou])+$")


@lru_cache(maxsize=65536)
def surname_stem(text: str) -> str:
    """Phoneme stem of a family name without its gendered ending.

    Ковальов/Ковальова, Ковальський/Ковальська/Ковальская/Kowalski, Петрушин/Петрушина
    give one stem each; -енко surnames lose only their final vowel on both sides.
    """
    ph = to_phonemes(text)
    stem = _SURNAME_ENDING.sub("", ph)
    return stem if len(stem) >= 2 else ph


def surname_code(text: str) -> str:
    """Coarse code of a family name; gender endings are vowels, so they fall away."""
    return coarse_code(text)


# --- given-name groups ----------------------------------------------------------------


@dataclass(frozen=True)
class NameGroup:
    """One given name in all its forms: Ukrainian, Russian, Latin, diminutives."""

    group: str
    sex: str  # "female" | "male"
    forms: tuple[str, ...]
    diminutives: tuple[str, ...]


def _split_cell(cell: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in cell.split("|") if v.strip())


@lru_cache(maxsize=1)
def name_groups() -> dict[str, NameGroup]:
    """The name-equivalence table from data/given_names.csv, by group id."""
    groups: dict[str, NameGroup] = {}
    path = DATA_DIR / "given_names.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if line.strip() and not line.startswith("#"))
        for row in rows:
            sex = {"m": "male", "f": "female"}[row["sex"].strip()]
            forms = _split_cell(row["uk"]) + _split_cell(row["ru"]) + _split_cell(row["latin"])
            group = row["group"].strip()
            if group in groups:
                raise ValueError(f"duplicate name group {group!r} in {path.name}")
            groups[group] = NameGroup(group, sex, forms, _split_cell(row["diminutives"]))
    return groups


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    fine: dict[str, set[str]] = {}
    coarse: dict[str, set[str]] = {}
    for g in name_groups().values():
        for form in g.forms + g.diminutives:
            fine.setdefault(fine_key(form), set()).add(g.group)
            coarse.setdefault(coarse_code(form), set()).add(g.group)
    return (
        {k: frozenset(v) for k, v in fine.items()},
        {k: frozenset(v) for k, v in coarse.items()},
    )


@lru_cache(maxsize=1)
def _patronymic_index() -> dict[str, frozenset[str]]:
    """Coarse code of a father's name -> male groups, for reading patronymics."""
    idx: dict[str, set[str]] = {}
    for g in name_groups().values():
        if g.sex != "male":
            continue
        for form in g.forms:
            idx.setdefault(coarse_code(form), set()).add(g.group)
    return {k: frozenset(v) for k, v in idx.items()}


def _sex_filter(groups: frozenset[str], sex: str | None) -> frozenset[str]:
    if sex not in ("female", "male") or len(groups) < 2:
        return groups
    table = name_groups()
    kept = frozenset(g for g in groups if table[g].sex == sex)
    return kept or groups


# A spelling that only agrees with a form in its consonants must still look like it; this
# keeps Ян from being read as Анна, or Олена as Аліна, through a shared coarse code.
_COARSE_FALLBACK_MIN = 0.8


@lru_cache(maxsize=65536)
def _token_groups(token: str) -> frozenset[str]:
    fine_idx, coarse_idx = _indexes()
    key = fine_key(token)
    if not key:
        return frozenset()
    found = fine_idx.get(key)
    if found:
        return found
    candidates = coarse_idx.get(coarse_code(token))
    if not candidates:
        return frozenset()
    table = name_groups()
    best = 0.0
    chosen: set[str] = set()
    for g in candidates:
        sim = max(
            JaroWinkler.similarity(key, fine_key(f)) for f in table[g].forms + table[g].diminutives
        )
        if sim > best + 1e-9:
            best, chosen = sim, {g}
        elif abs(sim - best) <= 1e-9:
            chosen.add(g)
    return frozenset(chosen) if best >= _COARSE_FALLBACK_MIN else frozenset()


@lru_cache(maxsize=65536)
def given_name_groups(name: str | None, sex: str | None = None) -> frozenset[str]:
    """Name groups a given name (or any word of a double name) belongs to.

    Empty when the name is not in the table; then callers compare spellings directly.
    Diminutives shared by a boy's and a girl's name (Саша, Женя, Валя) are narrowed by sex.
    """
    out: set[str] = set()
    for tok in tokens(name):
        out |= _token_groups(tok)
    return _sex_filter(frozenset(out), sex)


def group_sex(group: str) -> str:
    return name_groups()[group].sex


# --- patronymics ------------------------------------------------------------------------

# Ukrainian -ович/-йович/-івна/-ївна, Russian -ович/-евич/-ьевич/-овна/-евна/-ична and the
# short -ич (Ілліч, Кузьмич), as phonemes (C = ч). Longest first.
_PATRONYMIC_SUFFIXES = tuple(
    sorted(
        ("oviC", "eviC", "ioviC", "ieviC", "ovna", "evna", "iovna", "ievna", "ivna", "iCna", "iC"),
        key=len,
        reverse=True,
    )
)
# The final Ч is written CH, TCH, TSCH, CZ, C or even K by different hands; after the
# habits above that leaves C, k, h, S or c, so the last consonant is made C again.
_PATRONYMIC_END = re.compile(r"(ovi|evi|i)[khSc]$")


@lru_cache(maxsize=65536)
def patronymic_stem(text: str | None) -> str:
    """Phoneme stem of the father's name inside a patronymic (Андрійович -> "andr")."""
    if not text:
        return ""
    ph = _PATRONYMIC_END.sub(lambda m: m.group(1) + "C", to_phonemes(text))
    for suf in _PATRONYMIC_SUFFIXES:
        if ph.endswith(suf) and len(ph) - len(suf) >= 2:
            return ph[: -len(suf)]
    return ph


def patronymic_code(text: str | None) -> str:
    """Coarse code of the father's name inside a patronymic, for names not in the table."""
    return _coarse_of_phonemes(patronymic_stem(text))


@lru_cache(maxsize=65536)
def patronymic_groups(text: str | None) -> frozenset[str]:
    """Male name groups the father's name in a patronymic can be read as."""
    stem = patronymic_stem(text)
    if not stem:
        return frozenset()
    found = _patronymic_index().get(_coarse_of_phonemes(stem), frozenset())
    if len(found) <= 1:
        return found
    # Several fathers' names share the consonants (Ілля and Юлій); keep the closest.
    table = name_groups()
    scored = {
        g: max(JaroWinkler.similarity(stem, fine_key(f)) for f in table[g].forms) for g in found
    }
    top = max(scored.values())
    return frozenset(g for g, s in scored.items() if s >= top - 1e-9)


# --- similarity -------------------------------------------------------------------------


def phoneme_similarity(pa: str, pb: str) -> float:
    """Similarity of two phoneme strings (as returned by to_phonemes or the *_stem helpers)."""
    if not pa or not pb:
        return 0.0
    return 1.0 if pa == pb else JaroWinkler.similarity(pa, pb)


@lru_cache(maxsize=65536)
def spelling_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two spellings after bringing them to phonemes."""
    pa, pb = to_phonemes(a), to_phonemes(b)
    if not pa or not pb:
        return 0.0
    if pa == pb:
        return 1.0
    return JaroWinkler.similarity(pa, pb)


@lru_cache(maxsize=65536)
def surname_similarity(a: str, b: str) -> float:
    """Similarity of two family names, ignoring gendered endings.

    Edit distance rather than Jaro-Winkler: surnames of one family of names share long
    beginnings (Шевченко/Шевчук, Коваленко/Ковальчук), which Jaro-Winkler rewards.
    """
    sa, sb = surname_stem(a), surname_stem(b)
    if not sa or not sb:
        return 0.0
    if sa == sb:
        return 1.0
    return Levenshtein.normalized_similarity(sa, sb)
