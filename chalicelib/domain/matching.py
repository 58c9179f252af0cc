"""Tell whether two reports are about the same child, without merging two children.

A caseworker sees the verdict and a per-field explanation; nothing is merged automatically.
``likely`` is kept for pairs where names, date of birth and the remaining fields agree;
siblings, twins and namesakes differ in exactly the field that decides, so the rules below
never give them ``likely``. ``possible`` is a prompt to look, e.g. for a child registered in
Russia under a new surname.

``blocking_keys`` gives each report a few hashed keys; two reports of the same child share
at least one in practice, so candidates are found with a fixed number of index queries.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from chalicelib.domain.names import (
    coarse_code,
    given_name_groups,
    patronymic_code,
    patronymic_groups,
    patronymic_stem,
    phoneme_similarity,
    spelling_similarity,
    surname_similarity,
    tokens,
)


class Verdict(StrEnum):
    """How sure matching is that two reports are about one child."""

    LIKELY = "likely"
    POSSIBLE = "possible"


class Review(StrEnum):
    """What staff decided about a candidate pair; every pair starts as potential."""

    POTENTIAL = "potential"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


# What a reviewer may decide: a pair cannot be sent back to potential.
DECISIONS = (Review.CONFIRMED, Review.REJECTED)

FieldStatus = Literal[
    "match", "close", "mismatch", "missing", "year_only", "day_month_swapped", "other_settlement"
]

FIELDS = ("family_name", "given_name", "patronymic", "date_of_birth", "sex", "residence")


@dataclass(frozen=True)
class ChildIdentity:
    """What a report says about who the child is; any field may be unknown."""

    family_name: str
    given_name: str
    patronymic: str | None = None
    other_names: tuple[str, ...] = ()
    sex: str = "unknown"  # "female" | "male" | "unknown"
    date_of_birth: datetime.date | None = None
    birth_year: int | None = None
    oblast: str | None = None  # ISO 3166-2:UA, e.g. "UA-65"
    settlement: str | None = None

    @property
    def year(self) -> int | None:
        return self.date_of_birth.year if self.date_of_birth else self.birth_year


@dataclass(frozen=True)
class MatchAssessment:
    score: float
    verdict: Verdict | None
    explanation: dict[str, str] = field(default_factory=dict)


# --- field comparisons -------------------------------------------------------------------

_RANK = {"match": 3, "close": 2, "missing": 1, "mismatch": 0}

# Two unknown spellings of a given name this alike are treated as one name misspelt; below
# it they may be two children (Ренат/Ринат, twins are often given near-identical names).
_GIVEN_CLOSE = 0.9
# Family names: edit similarity of the stems without gendered endings. Spellings with the
# same consonant code need less (Олійник/Oleinik); others need to be nearly identical.
_FAMILY_MATCH = 0.7
_FAMILY_CLOSE = 0.8
_SETTLEMENT_MATCH = 0.88


def _given_pair(x: str, sex_x: str, y: str, sex_y: str) -> str:
    gx, gy = given_name_groups(x, sex_x), given_name_groups(y, sex_y)
    if gx and gy:
        # Both names are known: only the table decides, so Олена/Аліна or Марина/Мар'яна,
        # typical for twins, never pass as spelling variants.
        return "match" if gx & gy else "mismatch"
    sim = spelling_similarity(x, y)
    if sim == 1.0:
        return "match"
    if sim >= _GIVEN_CLOSE or (coarse_code(x) == coarse_code(y) and sim >= 0.8):
        return "close"
    return "mismatch"


def _family_pair(x: str, y: str) -> str:
    sim = surname_similarity(x, y)
    same_code = coarse_code(x) == coarse_code(y)
    if sim == 1.0 or (same_code and sim >= _FAMILY_MATCH):
        return "match"
    if same_code or sim >= _FAMILY_CLOSE:
        return "close"
    return "mismatch"


def _best(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__) if statuses else "missing"


def _compare_given(a: list[str], sex_a: str, b: list[str], sex_b: str) -> str:
    if not a or not b:
        return "missing"
    return _best([_given_pair(x, sex_a, y, sex_b) for x in a for y in b])


def _compare_family(a: list[str], b: list[str]) -> str:
    if not a or not b:
        return "missing"
    return _best([_family_pair(x, y) for x in a for y in b])


def _compare_patronymic(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "missing"
    pa, pb = patronymic_groups(a), patronymic_groups(b)
    if pa and pb:
        return "match" if pa & pb else "mismatch"
    sa, sb = patronymic_stem(a), patronymic_stem(b)
    if sa == sb:
        return "match"
    if phoneme_similarity(sa, sb) >= _FAMILY_CLOSE or patronymic_code(a) == patronymic_code(b):
        return "close"
    return "mismatch"


def compare_dates(a: ChildIdentity, b: ChildIdentity) -> str:
    """Status of the dates of birth: a full date, a year only, or nothing on either side."""
    da, db = a.date_of_birth, b.date_of_birth
    if da and db:
        if da == db:
            return "match"
        if da.year == db.year and da.day == db.month and da.month == db.day:
            # US-style and European-style dates of the same day.
            return "day_month_swapped"
        if da.year == db.year and da.month == db.month and abs(da.day - db.day) <= 2:
            return "close"
        if (da.month, da.day) == (db.month, db.day) and abs(da.year - db.year) == 1:
            return "close"
        return "mismatch"
    ya, yb = a.year, b.year
    if ya is None or yb is None:
        return "missing"
    if ya == yb:
        return "year_only"
    # An age guessed by a witness ("about eight") is often a year off.
    return "close" if abs(ya - yb) == 1 else "mismatch"


def _compare_sex(a: str, b: str) -> str:
    known = ("female", "male")
    if a not in known or b not in known:
        return "missing"
    return "match" if a == b else "mismatch"


def _same_settlement(x: str, y: str) -> bool:
    return coarse_code(x) == coarse_code(y) or spelling_similarity(x, y) >= _SETTLEMENT_MATCH


def _compare_residence(a: ChildIdentity, b: ChildIdentity) -> str:
    oa, ob = (a.oblast or "").upper() or None, (b.oblast or "").upper() or None
    if oa and ob and oa != ob:
        return "mismatch"
    if a.settlement and b.settlement:
        if _same_settlement(a.settlement, b.settlement):
            return "match"
        # Скадовськ and Олешки are two towns, not one spelt two ways: not "close", though
        # a child moved within the oblast is less unlike than one from another oblast.
        return "other_settlement" if oa and ob else "mismatch"
    if oa and ob:
        return "close"
    return "missing"


def _name_candidates(primary: str | None, others: tuple[str, ...]) -> list[str]:
    out = [primary] if primary and primary.strip() else []
    for other in others:
        out.extend(tokens(other))
    return out


# --- score and verdict -------------------------------------------------------------------

_WEIGHTS = {
    "family_name": 0.20,
    "given_name": 0.25,
    "patronymic": 0.10,
    "date_of_birth": 0.25,
    "sex": 0.08,
    "residence": 0.12,
}
_VALUES = {
    "match": 1.0,
    "day_month_swapped": 0.85,
    "close": 0.7,
    "year_only": 0.6,
    "missing": 0.4,
    "other_settlement": 0.3,
    "mismatch": 0.0,
}
# The verdict is decided by rules a caseworker can check against the explanation; the score
# only orders candidates, so it is kept inside the band of its verdict.
_BANDS: dict[str | None, tuple[float, float]] = {
    Verdict.LIKELY: (0.8, 1.0),
    Verdict.POSSIBLE: (0.5, 0.79),
    None: (0.0, 0.49),
}


def conflicts(ex: dict[str, str]) -> list[str]:
    """The fields where two reports of a shared name tell of two children: another
    father's name, another birth date (not the same day however written), another town."""
    found = []
    if ex["patronymic"] == "mismatch":
        found.append("patronymic")
    if ex["date_of_birth"] in ("close", "mismatch"):
        found.append("date_of_birth")
    if ex["residence"] in ("other_settlement", "mismatch"):
        found.append("residence")
    return found


def _verdict(ex: dict[str, str], near_year: bool) -> Verdict | None:
    family, given, patronymic = ex["family_name"], ex["given_name"], ex["patronymic"]
    dob, sex, residence = ex["date_of_birth"], ex["sex"], ex["residence"]
    if sex == "mismatch" or given in ("mismatch", "missing"):
        # Siblings and twins differ in the given name; a renamed child is found through
        # other_names, which take part in the comparison.
        return None
    if len(conflicts(ex)) == 3:
        # A namesake: the same names, but another father, another birthday and another
        # town. Each alone is a slip or a move; all three together are another child.
        return None
    if family in ("match", "close"):
        if dob in ("match", "day_month_swapped"):
            # Same name and birthday in two different places or with two different fathers
            # is how namesakes look.
            if patronymic != "mismatch" and residence != "mismatch":
                return Verdict.LIKELY
            return Verdict.POSSIBLE
        if dob == "year_only":
            if family == "match" and patronymic == "match" and residence == "match":
                return Verdict.LIKELY
            return Verdict.POSSIBLE
        if dob in ("close", "missing"):
            return Verdict.POSSIBLE
        # Different birthdays: a namesake, unless everything else agrees and the year is
        # near (documents re-issued in Russia sometimes carry another date).
        full_name = family == "match" and patronymic == "match"
        return Verdict.POSSIBLE if full_name and residence != "mismatch" and near_year else None
    # Different or missing family name: a child re-registered under a new surname.
    if dob in ("match", "day_month_swapped") and patronymic != "mismatch":
        return Verdict.POSSIBLE
    if dob in ("year_only", "close") and patronymic == "match":
        return Verdict.POSSIBLE
    return None


def _names_by_kind(child: ChildIdentity) -> tuple[list[str], list[str]]:
    """A child's given names and family names, each other name counted once and only as
    the kind it is: a name of the given-names table (a nickname, a Russian form) is a
    given name; anything else (a former or a re-registered surname) a family name. So a
    shared "Сашко" cannot make both the family and the given name of two children match.
    """
    given = _name_candidates(child.given_name, ())
    family = _name_candidates(child.family_name, ())
    for other in child.other_names:
        for token in tokens(other):
            (given if given_name_groups(token, child.sex) else family).append(token)
    return given, family


def _explain(a: ChildIdentity, b: ChildIdentity) -> dict[str, str]:
    a_given, a_family = _names_by_kind(a)
    b_given, b_family = _names_by_kind(b)
    straight = (
        _compare_family(a_family, b_family),
        _compare_given(a_given, a.sex, b_given, b.sex),
    )
    # Family and given name written the other way round (Ukrainian forms put the family
    # name first, foreign ones last, and intake staff copy what they see).
    swapped = (
        _compare_family(_name_candidates(a.family_name, ()), _name_candidates(b.given_name, ())),
        _compare_given(
            _name_candidates(a.given_name, ()), a.sex, _name_candidates(b.family_name, ()), b.sex
        ),
    )
    if sum(_RANK[s] for s in swapped) > sum(_RANK[s] for s in straight):
        family, given = swapped
    else:
        family, given = straight
    return {
        "family_name": family,
        "given_name": given,
        "patronymic": _compare_patronymic(a.patronymic, b.patronymic),
        "date_of_birth": compare_dates(a, b),
        "sex": _compare_sex(a.sex, b.sex),
        "residence": _compare_residence(a, b),
    }


def score(a: ChildIdentity, b: ChildIdentity) -> MatchAssessment:
    """How likely two reports describe the same child, with a reason per field."""
    ex = _explain(a, b)
    raw = sum(_WEIGHTS[f] * _VALUES[ex[f]] for f in FIELDS)
    if ex["sex"] == "mismatch":
        raw *= 0.3
    near_year = a.year is not None and b.year is not None and abs(a.year - b.year) <= 1
    verdict = _verdict(ex, near_year)
    low, high = _BANDS[verdict]
    return MatchAssessment(round(min(max(raw, low), high), 3), verdict, ex)


# --- blocking ----------------------------------------------------------------------------

MAX_BLOCKING_KEYS = 16
# Keys narrow enough that a common name does not fill them (a name and a full date of
# birth; both names and the year; the given and the father's name and the year), and
# broad keys that stand in when a report lacks what the narrow ones need. The lookup
# queries the narrow ones first and ranks candidates by the evidence they share.
NARROW = ("nd", "nny", "gpy")
BROAD = ("ny", "nn", "gp")


def _canonical(name: str | None, sex: str) -> list[str]:
    """Spelling-free form of one name field: its name groups, or its consonant code."""
    out: list[str] = []
    for tok in tokens(name)[:2]:
        groups = sorted(given_name_groups(tok, sex))
        if groups:
            out.extend("g=" + g for g in groups[:2])
        else:
            code = coarse_code(tok)
            if code:
                out.append("c=" + code)
    return list(dict.fromkeys(out))


def _key(kind: str, *parts: object) -> str:
    material = "|".join(str(p) for p in parts)
    return f"{kind}:{hashlib.sha256(material.encode('utf-8')).hexdigest()[:16]}"


def key_kind(key: str) -> str:
    return key.split(":", 1)[0]


def is_narrow(key: str) -> bool:
    return key_kind(key) in NARROW


def _birthday(day: datetime.date) -> tuple[int, int, int]:
    """A date of birth that survives day and month written the other way round."""
    return (day.year, *sorted((day.day, day.month)))


def blocking_keys(child: ChildIdentity) -> list[str]:
    """At most MAX_BLOCKING_KEYS hashed index keys; reports of one child share at least
    one narrow key in practice, however common the names.

    Names are reduced to their groups or consonant codes (domain/names.py), which makes
    the keys blind to script, spelling and the order of the names. Other names count as
    alternative family names: a child re-registered under a new surname, with the old one
    among its other names, shares the old report's keys.

    Narrow:
    * ``nd``: a name (given, family or other) + the full date of birth, day and month in
      either order: survives a new surname, a surname misspelt, a missing patronymic;
    * ``nny``: given + family (or other) name + birth year: survives a report that gives
      only the year;
    * ``gpy``: given + father's name + year: survives a new surname with the year only.

    Broad (for reports lacking what the narrow keys need):
    * ``ny``: a name + the year; ``nn``: both names, no year; ``gp``: given + father's
      name, no year.
    """
    given = _canonical(child.given_name, child.sex)
    family = _canonical(child.family_name, child.sex)
    if not any(c.startswith("g=") for c in given) and any(c.startswith("g=") for c in family):
        given, family = family, given
    others = [c for other in child.other_names[:3] for c in _canonical(other, child.sex)[:1]]
    surnames = list(dict.fromkeys(family[:1] + others))
    year = child.year
    father = None
    if child.patronymic:
        fathers = sorted(patronymic_groups(child.patronymic))
        father = "g=" + fathers[0] if fathers else "c=" + patronymic_code(child.patronymic)
    narrow: list[str] = []
    broad: list[str] = []
    if child.date_of_birth is not None:
        birthday = _birthday(child.date_of_birth)
        narrow += [_key("nd", name, *birthday) for name in given[:2] + surnames[:3]]
    if year is not None:
        narrow += [_key("nny", *sorted((g, f)), year) for g in given[:1] for f in surnames[:3]]
        if father:
            narrow += [_key("gpy", g, father, year) for g in given[:1]]
        broad += [_key("ny", c, year) for c in given[:1] + family[:1]]
    broad += [_key("nn", *sorted((g, f))) for g in given[:1] for f in family[:1]]
    if father:
        broad += [_key("gp", g, father) for g in given[:1]]
    return list(dict.fromkeys(narrow + broad))[:MAX_BLOCKING_KEYS]


@dataclass(frozen=True)
class CandidatePair:
    """Two reports matching found, as one of them sees it, and what staff decided."""

    reference: str
    other: str
    verdict: Verdict
    score: float
    explanation: dict[str, str]
    found_at: datetime.datetime
    review: Review = Review.POTENTIAL
    decided_by: str | None = None
    decided_at: datetime.datetime | None = None
