"""Two reports side by side: every tracing field with a verdict and a reason in words."""

from __future__ import annotations

from helpers import case_for

from chalicelib.domain.labels import LANGUAGES
from chalicelib.domain.match_review import ROWS, compare
from chalicelib.domain.match_words import REASON, VERDICT
from chalicelib.domain.matching import score
from chalicelib.domain.report import identity_of


def _lines(a, b, photos=(0, 0)):
    explanation = score(identity_of(a), identity_of(b)).explanation
    return {line.field: line for line in compare(a, b, explanation, photos)}


def test_the_namesakes_town_is_another_town_not_close_and_says_why_in_every_language():
    mine = case_for().report
    namesake = case_for(
        child={"patronymic": "Сергійович", "date_of_birth": "2012-03-16"},
        residence={"settlement": "Скадовськ"},
    ).report
    lines = _lines(mine, namesake)
    assert [lines[f].verdict for f in ("patronymic", "date_of_birth", "residence")] == [
        "mismatch",
        "close",
        "other_settlement",
    ]
    residence = lines["residence"]
    assert residence.verdict_words("uk") == "різниться"
    assert residence.reason_words("uk") == "інший населений пункт тієї самої області"
    assert residence.reason_words("ru") == "другой населённый пункт той же области"
    assert lines["patronymic"].reason_words("en") == "different fathers' names"


def test_every_row_is_there_and_every_code_has_words_in_every_language():
    lines = _lines(case_for().report, case_for().report, photos=(1, 2))
    assert list(lines) == list(ROWS)
    assert lines["photos"].verdict == "compare" and lines["marks"].verdict == "compare"
    assert lines["family_name"].reason == "written_alike"
    for catalog in (VERDICT, REASON):
        for code, words in catalog.items():
            assert set(words) == set(LANGUAGES), code
            assert all(w.strip() for w in words.values()), code


def test_a_report_withheld_from_the_reader_tells_nothing_but_matchings_own_verdicts():
    mine = case_for().report
    explanation = score(identity_of(mine), identity_of(mine)).explanation
    lines = compare(mine, None, explanation, (1, 0))
    assert {line.reason for line in lines} == {"withheld"}
    scored = {line.field: line.verdict for line in lines if line.verdict != "withheld"}
    assert scored == explanation
