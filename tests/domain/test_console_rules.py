"""The console's rules, pure: what a search reads, which keys it asks, what a correction
may change, and whom a case may be given to."""

import datetime as dt

import pytest
from helpers import case_for
from pydantic import ValidationError

from chalicelib.domain.colleagues import Colleague, StaffList
from chalicelib.domain.corrections import NotCorrectable, corrected
from chalicelib.domain.matching import ChildIdentity
from chalicelib.domain.search import (
    MAX_LOOKUPS,
    SearchQuery,
    finds,
    index_keys,
    lookup_keys,
    parse_query,
)
from chalicelib.domain.staff import StaffMember

MAKSYM = ChildIdentity(
    "Коваленко", "Максим", "Андрійович", ("Макс",), "male", dt.date(2012, 3, 14), None, "UA-65"
)
BROTHER = ChildIdentity(
    "Коваленко", "Олександр", "Андрійович", (), "male", dt.date(2014, 7, 2), None, "UA-65"
)


@pytest.mark.parametrize(
    "typed",
    [
        "Kovalenko Maksym",
        "Maksym Kovalenko",
        "Коваленко Максим",
        "KOWALENKO Maxim",
        "Kovalenko",
        "kovalenko 2012",
        "Maksym 14.03.2012",
        "14.03.2012",
        "2012-03-14",
        "03/14/2012",  # day and month the other way round: the key ignores their order
        "2012",
    ],
)
def test_any_script_and_spelling_finds_the_child_through_its_keys(typed):
    query = parse_query(typed)
    asked = lookup_keys(query)
    assert asked and len(asked) <= MAX_LOOKUPS
    assert set(asked) & set(index_keys(MAKSYM)), typed
    assert finds(query, MAKSYM), typed


def test_what_was_typed_must_all_hold_for_a_candidate():
    assert not finds(parse_query("Kovalenko Maksym"), BROTHER)
    assert not finds(parse_query("Kovalenko 2011"), MAKSYM)
    assert not finds(parse_query("Kovalchuk"), MAKSYM)
    assert finds(parse_query("Kovalenko Oleksandr"), BROTHER)


def test_a_reference_is_read_whatever_its_case_and_spaces():
    assert parse_query(" hw-7k3m-q9tx ") == SearchQuery(reference="HW-7K3M-Q9TX")
    assert parse_query("HW 7K3M Q9TX").reference == "HW-7K3M-Q9TX"
    assert parse_query("HW-0000-1111").reference is None  # not a reference's alphabet


@pytest.mark.parametrize(
    "typed", ["PB8E-44EY", "pb8e-44ey", "PB8E 44EY", " pb8e44ey ", "hw pb8e 44ey", "НW-РВ8Е-44ЕУ"]
)
def test_a_reference_is_read_without_its_hw_and_in_cyrillic_look_alikes(typed):
    assert parse_query(typed) == SearchQuery(reference="HW-PB8E-44EY")


def test_eight_letters_that_could_be_a_name_are_looked_for_as_both():
    both = parse_query("Bezverkh")
    assert both.reference == "HW-BEZV-ERKH" and both.words == ("Bezverkh",)
    assert lookup_keys(both)  # the name is asked too
    # A name with a number is no reference, whatever its letters.
    assert parse_query("Maksym 25").reference is None
    assert parse_query("Kovalenko 2012").reference is None


def test_nothing_typed_asks_nothing():
    for typed in ("", "   ", "!!!", "x" * 500):
        query = parse_query(typed)
        assert len(lookup_keys(query)) <= MAX_LOOKUPS
    assert lookup_keys(parse_query("")) == []


def test_keys_are_few_and_spell_no_name():
    keys = index_keys(MAKSYM)
    assert 0 < len(keys) <= 15
    assert not any("коваленко" in k.lower() or "kovalenko" in k.lower() for k in keys)


# -- corrections ---------------------------------------------------------------------------


def test_a_date_of_birth_with_day_and_month_swapped_is_corrected_by_the_intake_rules():
    report = case_for().report
    fixed = corrected(report, "child.date_of_birth", "2012-04-03")
    assert fixed.child.date_of_birth == dt.date(2012, 4, 3)
    assert fixed.child.family_name == report.child.family_name
    with pytest.raises(ValidationError):
        corrected(report, "child.date_of_birth", "2099-01-01")  # in the future
    with pytest.raises(ValidationError):
        corrected(report, "child.family_name", "")  # required
    assert corrected(report, "child.patronymic", "").child.patronymic is None


@pytest.mark.parametrize(
    "field",
    ["reporter.email", "child.medical_needs", "residence.oblast", "event.category", "consent.x"],
)
def test_sealed_fields_and_what_decided_the_routing_are_not_corrections(field):
    with pytest.raises(NotCorrectable):
        corrected(case_for().report, field, "x")


def test_a_year_is_read_as_a_year():
    report = case_for(child={"date_of_birth": None, "birth_year": 2012}).report
    assert corrected(report, "child.birth_year", "2013").child.birth_year == 2013
    with pytest.raises(NotCorrectable):
        corrected(report, "child.birth_year", "twenty")


# -- colleagues ------------------------------------------------------------------------------

T0 = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
PEOPLE = StaffList(
    (
        Colleague("t", "Тарас Бондар", "caseworker", "UA-OMBUDSMAN", T0),
        Colleague("o", "Оксана Гриценко", "caseworker", "UA-OMBUDSMAN", T0),
        Colleague("a", "Андрій Лисенко", "caseworker", "UA-JUVPOL", T0),
        Colleague("c", "Олена Коваль", "coordinator", "UA-NIB", T0),
        Colleague("n", "Наталія Руденко", "auditor", "UA-NIB", T0),
    )
)


def test_a_caseworker_assigns_within_the_agency_and_a_coordinator_across():
    routed = {"UA-OMBUDSMAN", "UA-NIB"}
    caseworker = StaffMember("t", "caseworker", "UA-OMBUDSMAN")
    assert [p.subject for p in PEOPLE.assignable(caseworker, routed)] == ["o", "t"]
    coordinator = StaffMember("c", "coordinator", "UA-NIB")
    # Not the eastern unit's caseworker (the case is not theirs), never an auditor.
    assert {p.subject for p in PEOPLE.assignable(coordinator, routed)} == {"o", "t", "c"}
    assert PEOPLE.name_of("o") == "Оксана Гриценко" and PEOPLE.name_of("x") is None
