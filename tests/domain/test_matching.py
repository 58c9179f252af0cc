import dataclasses
from datetime import date

import pytest

from chalicelib.domain.matching import (
    FIELDS,
    MAX_BLOCKING_KEYS,
    ChildIdentity,
    blocking_keys,
    conflicts,
    score,
)

# A fictional child as her mother reports her, in Ukrainian.
DARYNA = ChildIdentity(
    family_name="Коваленко",
    given_name="Дарина",
    patronymic="Іванівна",
    sex="female",
    date_of_birth=date(2013, 6, 28),
    oblast="UA-65",
    settlement="Олешки",
)
# A fictional boy from Mariupol.
OLEKSANDR = ChildIdentity(
    family_name="Ковальчук",
    given_name="Олександр",
    patronymic="Андрійович",
    sex="male",
    date_of_birth=date(2012, 3, 7),
    oblast="UA-14",
    settlement="Маріуполь",
)


def variant(child: ChildIdentity, **changes) -> ChildIdentity:
    return dataclasses.replace(child, **changes)


def shares_a_key(a: ChildIdentity, b: ChildIdentity) -> bool:
    return bool(set(blocking_keys(a)) & set(blocking_keys(b)))


# --- the same child, written differently ------------------------------------------------------


def test_same_report_is_likely_with_every_field_matching():
    m = score(DARYNA, DARYNA)
    assert m.verdict == "likely"
    assert m.explanation == dict.fromkeys(FIELDS, "match")
    assert m.score == 1.0


def test_russian_forms_of_names_and_places_are_likely():
    russian = variant(DARYNA, given_name="Дарья", patronymic="Ивановна", settlement="Алешки")
    m = score(DARYNA, russian)
    assert m.verdict == "likely"
    assert m.explanation["given_name"] == "match"
    assert m.explanation["patronymic"] == "match"
    assert m.explanation["residence"] == "match"


@pytest.mark.parametrize(
    ("family", "given", "patronymic", "settlement"),
    [
        ("Kovalchuk", "Oleksandr", "Andriiovych", "Mariupol"),  # KMU 2010
        ("Kovalchuk", "Aleksandr", "Andreyevich", "Mariupol"),  # Russian passport style
        ("Kowaltschuk", "Alexander", "Andrejewitsch", "Mariupol"),  # German
        ("Kovaltchouk", "Alexandre", "Andreïevitch", "Marioupol"),  # French
        ("Kowalczuk", "Aleksander", "Andrijowycz", "Mariupol"),  # Polish
        ("Ковальчук", "Александр", "Андреевич", "Мариуполь"),  # Russian Cyrillic
    ],
)
def test_latin_spellings_of_a_cyrillic_report_are_likely(family, given, patronymic, settlement):
    other = variant(
        OLEKSANDR,
        family_name=family,
        given_name=given,
        patronymic=patronymic,
        settlement=settlement,
    )
    m = score(OLEKSANDR, other)
    assert m.verdict == "likely", m.explanation
    assert shares_a_key(OLEKSANDR, other)


def test_swapped_family_and_given_name_is_likely():
    swapped = variant(DARYNA, family_name="Daryna", given_name="Kovalenko")
    m = score(DARYNA, swapped)
    assert m.verdict == "likely"
    assert m.explanation["family_name"] == "match"
    assert m.explanation["given_name"] == "match"
    assert shares_a_key(DARYNA, swapped)


def test_missing_patronymic_is_likely_and_explained_as_missing():
    m = score(DARYNA, variant(DARYNA, patronymic=None))
    assert m.verdict == "likely"
    assert m.explanation["patronymic"] == "missing"


def test_year_of_birth_only():
    year_only = variant(DARYNA, date_of_birth=None, birth_year=2013, patronymic=None)
    m = score(DARYNA, year_only)
    assert m.explanation["date_of_birth"] == "year_only"
    assert m.verdict == "possible"
    assert shares_a_key(DARYNA, year_only)
    # With the patronymic and the town also agreeing, one can say more.
    m = score(DARYNA, variant(DARYNA, date_of_birth=None, birth_year=2013))
    assert m.verdict == "likely"


def test_day_and_month_swapped():
    swapped = variant(OLEKSANDR, date_of_birth=date(2012, 7, 3))
    m = score(OLEKSANDR, swapped)
    assert m.explanation["date_of_birth"] == "day_month_swapped"
    assert m.verdict == "likely"
    assert shares_a_key(OLEKSANDR, swapped)


def test_russian_surname_after_adoption_is_possible():
    adopted = ChildIdentity(
        family_name="Смирнова",
        given_name="Дарья",
        patronymic="Ивановна",
        sex="female",
        date_of_birth=date(2013, 6, 28),
        settlement="Москва",
    )
    m = score(DARYNA, adopted)
    assert m.explanation["family_name"] == "mismatch"
    assert m.verdict == "possible"
    assert shares_a_key(DARYNA, adopted)


def test_previous_surname_in_other_names_counts_as_the_family_name():
    adopted = variant(
        DARYNA, family_name="Смирнова", given_name="Дарья", other_names=("Коваленко",)
    )
    m = score(DARYNA, adopted)
    assert m.explanation["family_name"] == "match"
    assert m.verdict == "likely"


@pytest.mark.parametrize("diminutive", ["Даша", "Dasha", "Даринка"])
def test_diminutive_matches_the_full_name(diminutive):
    m = score(DARYNA, variant(DARYNA, given_name=diminutive))
    assert m.explanation["given_name"] == "match"
    assert m.verdict == "likely"


def test_gendered_surname_forms_match():
    # A girl's surname written in the masculine form, as on her father's papers.
    m = score(variant(DARYNA, family_name="Ковальова"), variant(DARYNA, family_name="Kovalyov"))
    assert m.explanation["family_name"] == "match"
    assert m.verdict == "likely"


def test_no_date_of_birth_at_all_is_possible_and_still_blocked_together():
    undated = variant(OLEKSANDR, date_of_birth=None, family_name="Kovalchuk", given_name="Sasha")
    m = score(OLEKSANDR, undated)
    assert m.explanation["date_of_birth"] == "missing"
    assert m.verdict == "possible"
    assert shares_a_key(OLEKSANDR, undated)


# --- different children -------------------------------------------------------------------


def test_siblings_are_not_likely():
    brother = variant(OLEKSANDR, given_name="Петро", date_of_birth=date(2014, 2, 3))
    m = score(OLEKSANDR, brother)
    assert m.explanation["given_name"] == "mismatch"
    assert m.explanation["family_name"] == "match"
    assert m.explanation["patronymic"] == "match"
    assert m.verdict is None


def test_twins_are_not_likely():
    twin = variant(OLEKSANDR, given_name="Ілля")
    m = score(OLEKSANDR, twin)
    assert m.explanation["date_of_birth"] == "match"
    assert m.verdict != "likely"


@pytest.mark.parametrize(("a", "b"), [("Олена", "Аліна"), ("Марина", "Мар'яна")])
def test_twins_with_similar_names_are_not_likely(a, b):
    first = variant(DARYNA, given_name=a)
    second = variant(DARYNA, given_name=b)
    assert score(first, second).verdict != "likely"


def test_namesake_with_another_birthday_is_not_likely():
    namesake = variant(OLEKSANDR, date_of_birth=date(2012, 11, 22))
    assert score(OLEKSANDR, namesake).verdict != "likely"
    far = variant(OLEKSANDR, date_of_birth=date(2009, 1, 2))
    assert score(OLEKSANDR, far).verdict is None


def test_namesake_with_same_birthday_elsewhere_is_not_likely():
    namesake = variant(OLEKSANDR, oblast="UA-30", settlement="Київ")
    m = score(OLEKSANDR, namesake)
    assert m.explanation["residence"] == "mismatch"
    assert m.verdict != "likely"


def test_a_namesake_with_another_father_birthday_and_town_is_no_match():
    # Issue 25: scored 0.79 "possible", like the true pair, and Скадовськ/Oleshky "close".
    child = variant(
        DARYNA,
        family_name="Ковальчук",
        given_name="Олександр",
        sex="male",
        patronymic="Андрійович",
        date_of_birth=date(2012, 3, 14),
    )
    namesake = variant(
        child,
        family_name="Kovalchuk",
        given_name="Oleksandr",
        patronymic="Serhiiovych",
        date_of_birth=date(2012, 3, 16),
        settlement="Skadovsk",
    )
    m = score(child, namesake)
    assert m.explanation["residence"] == "other_settlement"
    assert conflicts(m.explanation) == ["patronymic", "date_of_birth", "residence"]
    assert m.verdict is None and m.score < 0.5
    # Each alone is a slip or a move, and still worth a look.
    for alone in (
        {"patronymic": "Сергійович"},
        {"date_of_birth": date(2012, 3, 16)},
        {"settlement": "Скадовськ"},
    ):
        assert score(child, variant(child, **alone)).verdict is not None, alone


def test_different_sex_is_a_strong_mismatch():
    other = variant(DARYNA, sex="male")
    m = score(DARYNA, other)
    assert m.explanation["sex"] == "mismatch"
    assert m.verdict is None
    assert m.score < 0.5


def test_brother_and_sister_sharing_a_diminutive_are_told_apart_by_sex():
    sasha_boy = variant(OLEKSANDR, given_name="Саша", date_of_birth=date(2012, 3, 7))
    sasha_girl = variant(OLEKSANDR, given_name="Олександра", sex="female", patronymic="Андріївна")
    assert score(sasha_boy, sasha_girl).verdict is None


# --- the assessment's shape ---------------------------------------------------------------


ALLOWED = {"match", "close", "mismatch", "missing"}


def test_explanation_has_every_field_with_readable_values():
    m = score(OLEKSANDR, ChildIdentity(family_name="", given_name=""))
    assert set(m.explanation) == set(FIELDS)
    for name, value in m.explanation.items():
        extra = {
            "date_of_birth": {"year_only", "day_month_swapped"},
            "residence": {"other_settlement"},
        }.get(name, set())
        assert value in ALLOWED | extra
    assert 0.0 <= m.score <= 1.0
    assert m.verdict is None


def test_score_orders_likely_above_possible():
    likely = score(DARYNA, variant(DARYNA, given_name="Дарья"))
    possible = score(DARYNA, variant(DARYNA, family_name="Смирнова"))
    assert likely.verdict == "likely"
    assert possible.verdict == "possible"
    assert likely.score > possible.score


def test_child_identity_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DARYNA.given_name = "Анна"  # type: ignore[misc]


# --- blocking keys -------------------------------------------------------------------------


def test_blocking_keys_are_few_ascii_hashed_and_deterministic():
    keys = blocking_keys(OLEKSANDR)
    assert 1 <= len(keys) <= MAX_BLOCKING_KEYS
    assert keys == blocking_keys(OLEKSANDR)
    for key in keys:
        assert key.isascii()
        kind, _, digest = key.partition(":")
        assert kind.isalpha()
        assert len(digest) == 16
        int(digest, 16)
        assert "koval" not in key.lower()


def test_blocking_keys_stay_bounded_for_ambiguous_names():
    child = ChildIdentity(
        family_name="Саша",
        given_name="Женя",
        patronymic="Валентинович",
        other_names=("Слава", "Валя", "Анна-Марія", "Ковальчук", "Шевченко", "Бондар"),
        birth_year=2014,
    )
    assert len(blocking_keys(child)) <= MAX_BLOCKING_KEYS


def test_blocking_keys_differ_for_unrelated_children():
    assert not shares_a_key(OLEKSANDR, DARYNA)


def test_report_with_nothing_but_names_still_gets_a_key():
    assert blocking_keys(ChildIdentity(family_name="Коваленко", given_name="Дарина"))


def test_russian_and_ukrainian_reports_share_keys_through_new_surname_and_year_guess():
    adopted_guess = ChildIdentity(
        family_name="Смирнова",
        given_name="Дарья",
        patronymic="Ивановна",
        birth_year=2012,  # a witness guessed the age a year off
    )
    assert shares_a_key(DARYNA, adopted_guess)


def test_a_shared_nickname_counts_once_and_only_as_a_given_name():
    """The attack: two boys of different names who share a nickname and a birthday scored
    "likely" (0.94), family and given name both "match" through "Сашко"."""
    melnyk = ChildIdentity(
        family_name="Мельник",
        given_name="Олександр",
        sex="male",
        date_of_birth=date(2014, 5, 2),
        other_names=("Сашко",),
    )
    honcharenko = variant(melnyk, family_name="Гончаренко", given_name="Максим")
    assessment = score(melnyk, honcharenko)
    assert assessment.explanation["family_name"] == "mismatch"
    assert assessment.verdict != "likely" and assessment.score < 0.8
    # The nickname still finds the same boy under his full name.
    same = variant(melnyk, given_name=None, other_names=("Сашко",))
    assert score(melnyk, same).explanation["given_name"] == "match"
