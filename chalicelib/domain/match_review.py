"""Two reports side by side for the person who decides whether they are one child.

Matching scores six fields (domain/matching.py); a caseworker decides on everything a
report says about who the child is and where the child was: the names and other names,
birth, sex, home, the event's date and place, the last known place and institution, the
marks, the photos. `compare` gives each of these a verdict (matching's own for the
fields it scores) and a reason, both as codes worded here in every language read, so
the console page, and anything else that shows a comparison, says the same.

A field matching does not score gets a verdict too, but a modest one: dates and places
are compared the way matching compares them; marks and photos are for a person's eyes,
so their verdict says "compare them yourself" rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.labels import word
from chalicelib.domain.match_words import REASON, VERDICT
from chalicelib.domain.names import coarse_code, given_name_groups, spelling_similarity, tokens
from chalicelib.domain.report import Report

# The rows of a comparison, in the order a person reads them.
ROWS = (
    "family_name",
    "given_name",
    "patronymic",
    "other_names",
    "date_of_birth",
    "sex",
    "residence",
    "event_date",
    "event_place",
    "last_known_place",
    "institution",
    "marks",
    "photos",
)
SCORED = ("family_name", "given_name", "patronymic", "date_of_birth", "sex", "residence")
# Two events this many days apart may be one told twice (a date remembered a week off).
EVENT_DAYS_CLOSE = 7
_PLACE_ALIKE = 0.88


@dataclass(frozen=True)
class Line:
    """One row of the comparison: a field, its verdict and the reason for it (codes)."""

    field: str
    verdict: str
    reason: str

    def verdict_words(self, language: str) -> str:
        return word(VERDICT, self.verdict, language)

    def reason_words(self, language: str) -> str:
        return word(REASON, self.reason, language)


def _given(a: object, b: object) -> str | None:
    """The verdict and reason when one side or both are empty; None when both are given."""
    if not a and not b:
        return "given_in_neither"
    if not a or not b:
        return "given_in_one"
    return None


def _alike(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _same_words(a: str, b: str) -> bool:
    return (
        _alike(a, b)
        or coarse_code(a) == coarse_code(b)
        or spelling_similarity(a, b) >= _PLACE_ALIKE
    )


def _name_line(field: str, status: str, a: str | None, b: str | None) -> Line:
    if status == "match":
        same = a is not None and b is not None and _alike(a, b)
        return Line(field, status, "written_alike" if same else "same_name_written_otherwise")
    if status == "close":
        return Line(field, status, "nearly_alike")
    if status == "mismatch":
        return Line(
            field,
            status,
            {
                "family_name": "different_family_names",
                "given_name": "different_given_names",
            }.get(field, "different_fathers"),
        )
    return Line(field, "missing", _given(a, b) or "given_in_one")


def _birth_line(status: str, a: Report, b: Report) -> Line:
    da, db = a.child.date_of_birth, b.child.date_of_birth
    reason = {
        "match": "same_day",
        "day_month_swapped": "day_month_swapped",
        "year_only": "same_year_only",
        "mismatch": "different_birthdays",
    }.get(status)
    if status == "close":
        reason = "days_apart" if da and db else "year_apart"
    if reason is None:
        status = "missing"
        ya = da.year if da else a.child.birth_year
        yb = db.year if db else b.child.birth_year
        reason = _given(ya, yb) or "given_in_one"
    return Line("date_of_birth", status, reason)


def _sex_line(status: str, a: Report, b: Report) -> Line:
    if status == "match":
        return Line("sex", status, "same_sex")
    if status == "mismatch":
        return Line("sex", status, "different_sex")
    known = ("female", "male")
    one = a.child.sex if a.child.sex in known else None
    other = b.child.sex if b.child.sex in known else None
    return Line("sex", "missing", _given(one, other) or "given_in_one")


def _residence_line(status: str, a: Report, b: Report) -> Line:
    sa, sb = a.residence.settlement, b.residence.settlement
    if status == "match":
        return Line("residence", status, "same_town")
    if status in ("other_settlement", "close") and sa and sb:
        # A pair scored before towns of one oblast were told apart says "close" for them.
        return Line("residence", "other_settlement", "other_town_same_oblast")
    if status == "close":
        return Line("residence", status, "same_oblast_no_town")
    if status == "mismatch":
        same_oblast = a.residence.oblast == b.residence.oblast
        return Line("residence", status, "different_places" if same_oblast else "different_oblasts")
    return Line("residence", "missing", "given_in_one")


def _other_names_line(a: Report, b: Report) -> Line:
    mine, theirs = a.child.other_names, b.child.other_names
    if not mine and not theirs:
        return Line("other_names", "missing", "given_in_neither")

    def names(report: Report, others: bool) -> list[str]:
        child = report.child
        listed = child.other_names if others else [child.family_name, child.given_name]
        return [t for name in listed for t in tokens(name)]

    def shared(xs: list[str], ys: list[str]) -> bool:
        for x in xs:
            for y in ys:
                groups = given_name_groups(x) & given_name_groups(y)
                if groups or _alike(x, y) or coarse_code(x) == coarse_code(y):
                    return True
        return False

    # Another name of one is any name of the other: Сашко among the other names, and
    # Олександр as the given name.
    if shared(names(a, True), names(b, True) + names(b, False)) or shared(
        names(b, True), names(a, False)
    ):
        return Line("other_names", "match", "shares_a_name")
    if not mine or not theirs:
        return Line("other_names", "missing", "given_in_one")
    return Line("other_names", "mismatch", "no_name_shared")


def _event_date_line(a: dt.date | None, b: dt.date | None) -> Line:
    if a is None or b is None:
        return Line("event_date", "missing", _given(a, b) or "given_in_one")
    if a == b:
        return Line("event_date", "match", "same_day")
    if abs((a - b).days) <= EVENT_DAYS_CLOSE:
        return Line("event_date", "close", "within_a_week")
    return Line("event_date", "mismatch", "different_dates")


def _text_place_line(field: str, a: str | None, b: str | None) -> Line:
    """Free-text places (the event's place): alike, a place name in common, or not."""
    if a is None or b is None or not a.strip() or not b.strip():
        return Line(field, "missing", _given(a, b) or "given_in_one")
    if _alike(a, b):
        return Line(field, "match", "same_place")
    words_a = [t for t in tokens(a) if len(t) >= 4]
    words_b = [t for t in tokens(b) if len(t) >= 4]
    if any(_same_words(x, y) for x in words_a for y in words_b):
        return Line(field, "close", "shares_a_place_name")
    return Line(field, "mismatch", "different_places")


def _last_known_line(a: Report, b: Report) -> Line:
    la, lb = a.last_known_location, b.last_known_location
    field = "last_known_place"
    places_a = (la.country, la.region, la.settlement) if la else (None, None, None)
    places_b = (lb.country, lb.region, lb.settlement) if lb else (None, None, None)
    if not any(places_a) or not any(places_b):
        return Line(field, "missing", _given(any(places_a), any(places_b)) or "given_in_one")
    (ca, ra, sa), (cb, rb, sb) = places_a, places_b
    if ca and cb and ca != cb:
        return Line(field, "mismatch", "different_countries")
    same_region = bool(ra and rb and _same_words(ra, rb))
    if sa and sb:
        if _same_words(sa, sb):
            return Line(field, "match", "same_town")
        if same_region:
            return Line(field, "close", "other_town_same_region")
        return Line(field, "mismatch", "different_places")
    if ra and rb:
        return Line(
            field, *(("match", "same_region") if same_region else ("mismatch", "different_regions"))
        )
    return Line(field, "close", "same_country_only")


def _institution_line(a: Report, b: Report) -> Line:
    ia = a.last_known_location.institution if a.last_known_location else None
    ib = b.last_known_location.institution if b.last_known_location else None
    if not ia or not ib:
        return Line("institution", "missing", _given(ia, ib) or "given_in_one")
    if _alike(ia, ib) or spelling_similarity(ia, ib) >= _PLACE_ALIKE:
        return Line("institution", "match", "same_institution")
    return Line("institution", "mismatch", "different_institutions")


def _for_eyes(field: str, a: object, b: object, reason: str) -> Line:
    """Marks and photos: a person compares them; here only whether there is anything to."""
    absent = _given(a, b)
    return Line(field, "missing", absent) if absent else Line(field, "compare", reason)


def compare(
    a: Report | None,
    b: Report | None,
    explanation: dict[str, str],
    photos: tuple[int, int] = (0, 0),
) -> list[Line]:
    """Every row of ROWS for two reports: matching's verdict on the fields it scored
    (`explanation`, as stored with the pair), this module's on the rest. A report the
    reader may not see in detail (None) leaves only matching's verdicts, without reasons
    that would tell what it says."""
    if a is None or b is None:
        return [
            Line(f, explanation.get(f, "withheld"), "withheld")
            if f in SCORED and explanation.get(f)
            else Line(f, "withheld", "withheld")
            for f in ROWS
        ]
    child_a, child_b = a.child, b.child
    lines = {
        "family_name": _name_line(
            "family_name",
            explanation.get("family_name", ""),
            child_a.family_name,
            child_b.family_name,
        ),
        "given_name": _name_line(
            "given_name", explanation.get("given_name", ""), child_a.given_name, child_b.given_name
        ),
        "patronymic": _name_line(
            "patronymic", explanation.get("patronymic", ""), child_a.patronymic, child_b.patronymic
        ),
        "other_names": _other_names_line(a, b),
        "date_of_birth": _birth_line(explanation.get("date_of_birth", ""), a, b),
        "sex": _sex_line(explanation.get("sex", ""), a, b),
        "residence": _residence_line(explanation.get("residence", ""), a, b),
        "event_date": _event_date_line(a.event.date, b.event.date),
        "event_place": _text_place_line("event_place", a.event.place, b.event.place),
        "last_known_place": _last_known_line(a, b),
        "institution": _institution_line(a, b),
        "marks": _for_eyes(
            "marks", child_a.distinguishing_marks, child_b.distinguishing_marks, "read_both"
        ),
        "photos": _for_eyes("photos", photos[0], photos[1], "look_at_both"),
    }
    return [lines[f] for f in ROWS]
