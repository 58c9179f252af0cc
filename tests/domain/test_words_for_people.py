"""One declaration per concept behind the words a person reads: labels per enum, one
formatter of dates and moments, one reader of typed dates, one way up a URL."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import corrections, labels
from chalicelib.domain.dates import NotADate, read_date
from chalicelib.domain.report import Report
from chalicelib.domain.routing import Problem
from chalicelib.domain.staff import ROLES, Role, StaffMember
from chalicelib.domain.words import moment_in_words
from chalicelib.web import urls


@pytest.mark.parametrize(
    "typed", ["14.03.2012", "14/03/2012", "14-03-2012", "14 03 2012", "2012-03-14", " 14.3.2012 "]
)
def test_a_date_is_read_as_people_type_it_day_first(typed):
    assert read_date(typed) == dt.date(2012, 3, 14)


@pytest.mark.parametrize("typed", ["31.02.2012", "14.03.12", "03/14/2012", "yesterday", ""])
def test_what_is_not_a_date_is_refused(typed):
    with pytest.raises(NotADate):
        read_date(typed)


def test_a_correction_takes_a_date_as_people_type_it_and_says_it_in_words(report_body):
    report = Report.model_validate(report_body)
    fixed = corrections.corrected(report, "child.date_of_birth", "14.03.2013")
    assert fixed.child.date_of_birth == dt.date(2013, 3, 14)
    with pytest.raises(corrections.NotCorrectable):
        corrections.corrected(report, "child.date_of_birth", "31.02.2013")
    assert (
        corrections.in_words("child.date_of_birth", "2013-07-21", "uk") == "21 липня 2013\u202fр."
    )
    assert corrections.in_words("child.sex", "female", "uk") == "дівчинка"
    assert corrections.in_words("child.sex", "female", "en") == "girl"


def test_every_code_of_every_enum_has_words_in_every_language():
    for name, (codes, catalog) in labels.CATALOGS.items():
        assert {str(c) for c in codes} <= set(catalog), name
        for code in codes:
            assert set(catalog[str(code)]) >= set(labels.LANGUAGES), (name, code)
    # Ukrainian words are never the code itself.
    for catalog in (labels.CATEGORY, labels.SEX, labels.RELATIONSHIP, labels.STATUS):
        assert all(labels.word(catalog, c, "uk") != c for c in catalog)
    assert labels.heading(labels.word(labels.STATUS, "triaged", "uk")) == "Первинно розглянуто"


def test_a_moment_reads_in_words_in_kyiv_time():
    moment = dt.datetime(2026, 12, 7, 12, 41, tzinfo=dt.UTC)
    assert moment_in_words(moment, "uk", zone=False) == "7 грудня 2026\u202fр., 14:41"
    assert moment_in_words(moment, "en") == "7 December 2026, 14:41 Kyiv time (12:41 UTC)"


def test_roles_are_one_enum_and_a_staff_member_says_what_they_may_do():
    assert ROLES == (Role.CASEWORKER, Role.COORDINATOR, Role.AUDITOR, Role.PROVIDER)
    coordinator = StaffMember("s", Role.COORDINATOR, "UA-NIB")
    auditor = StaffMember("a", Role("auditor"), "UA-NIB")
    assert coordinator.is_coordinator and coordinator.works_cases and not coordinator.reads_audit
    assert auditor.reads_audit and not auditor.works_cases and not auditor.is_caseworker
    provider = StaffMember("p", Role.PROVIDER, "UA-HOPE")
    assert provider.provides_services and not provider.works_cases and not provider.reads_audit


def test_a_problem_reads_for_the_api_as_before():
    found = Problem("unreachable", rule="canada-liaison", level=0, values=("sms",))
    assert str(found) == "rule canada-liaison, first alert: no active contact reachable by sms"
    assert str(Problem("no-contact", rule="r", level=2, contact="x")) == (
        "rule r, escalation level 2: no contact x"
    )


@pytest.mark.parametrize(
    ("path", "up"),
    [("/", "./"), ("/staff", "./"), ("/staff/", "../"), ("/staff/cases/HW-1", "../../")],
)
def test_the_way_up_counts_a_trailing_slash_as_a_folder(path, up):
    assert urls.up(path) == up
    assert urls.case_url("HW-7K3M-Q9TX", "matches", "HW-AAAA-BBBB") == (
        "staff/cases/HW-7K3M-Q9TX/matches/HW-AAAA-BBBB"
    )
