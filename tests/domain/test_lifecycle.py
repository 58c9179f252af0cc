"""The data lifecycle's rules: what a withdrawal, a person's erasure and anonymisation
leave of a report, whom a withdrawn report reaches, and retention as configuration."""

import dataclasses
import datetime as dt

import pytest
from helpers import case_for

from chalicelib import config
from chalicelib.domain import erasure, retention
from chalicelib.domain.disclosure import (
    ConsentGiven,
    Disclosure,
    OrganisationKind,
    Recipient,
    disclosure,
    may_be_matched,
)
from chalicelib.domain.report import SEALED_FIELDS, SEALED_GROUPS, join_sealed, split_sealed
from chalicelib.domain.workflow import Status

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
DESK = Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True)
OTHERS = [Recipient(kind) for kind in OrganisationKind]


def test_a_withdrawn_report_reaches_the_intake_desk_and_nobody_else():
    left = ConsentGiven.none_left()
    assert disclosure(DESK, left) == Disclosure.DETAILS
    assert {disclosure(r, left) for r in OTHERS} == {Disclosure.NOTHING}
    assert not may_be_matched(left) and not left.may_contact
    # Without the withdrawal, refusing all sharing still lets members learn it exists.
    refused = dataclasses.replace(left, withdrawn=False)
    assert disclosure(Recipient(OrganisationKind.NGO), refused) == Disclosure.EXISTENCE


def test_the_sealed_groups_are_the_reporter_and_the_childs_sensitive_details():
    assert set(SEALED_GROUPS) == {"reporter", "child"}
    assert SEALED_GROUPS["reporter"] + SEALED_GROUPS["child"] == SEALED_FIELDS
    report = case_for().report.model_dump(mode="json")
    open_part, groups = split_sealed(report)
    assert groups["reporter"] == {
        "reporter": {
            "name": "Ковальчук Ірина",
            "email": "iryna@example.org",
            "phone": "+380501234567",
        }
    }
    assert set(groups["child"]) == {"child", "event"}
    assert "email" not in open_part["reporter"] and "medical_needs" not in open_part["child"]
    assert join_sealed(open_part, *groups.values()) == report
    # An anonymous witness who may not be contacted has no reporter group.
    witness = case_for(reporter={"name": None, "email": None, "phone": None, "may_contact": False})
    assert set(split_sealed(witness.report.model_dump(mode="json"))[1]) == {"child"}


def test_withdrawal_keeps_the_child_and_drops_the_reporter_and_every_consent():
    report = erasure.withdrawn(case_for().report)
    assert report.reporter.model_dump(include={"name", "email", "phone", "may_contact"}) == {
        "name": None,
        "email": None,
        "phone": None,
        "may_contact": False,
    }
    assert report.reporter.relationship == "parent"
    assert not any(report.consent.model_dump().values())
    assert report.child == case_for().report.child


def test_anonymisation_keeps_what_the_statistics_count_and_nobody():
    report = erasure.anonymised(case_for().report)
    child = report.child
    assert (child.family_name, child.given_name) == (erasure.ERASED, erasure.ERASED)
    assert child.patronymic is None and child.other_names == []
    assert (child.date_of_birth, child.birth_year, child.sex) == (None, 2012, "male")
    assert child.distinguishing_marks is None and child.medical_needs is None
    assert report.residence.model_dump() == {"oblast": "UA-65", "settlement": None}
    assert (report.event.category, report.event.date.isoformat()) == ("deported", "2022-10-20")
    assert report.event.place is None and report.event.circumstances is None
    assert report.last_known_location.model_dump() == {
        "country": "RU",
        "region": None,
        "settlement": None,
        "institution": None,
    }
    assert report.reporter.email is None and not report.consent.tracing
    # A year of birth alone stays a year.
    only_year = case_for(child={"date_of_birth": None, "birth_year": 2015}).report
    assert erasure.anonymised(only_year).child.birth_year == 2015


def test_erasures_name_the_derived_items_they_delete():
    traces = erasure.Traces(
        reference="HW-2222-3333",
        received_at=T0,
        status=Status.CLOSED,
        version=4,
        report=case_for().report,
        changed_at=T0,
        agencies=frozenset({"UA-NIB", "CA-GAC", "UA-OMBUDSMAN"}),
        sealed=frozenset({"reporter", "child"}),
        blocking_keys=("k1",),
        reporter_keys=("r1", "r2"),
        notes=("n1",),
        pairs=("HW-4444-5555",),
    )
    person = erasure.erase_reporter(traces)
    assert person.groups == {"reporter"} and person.reporter_keys == ("r1", "r2")
    assert person.blocking_keys == () and person.pairs == () and person.agencies is None
    assert person.consent.share_with_coalition and not person.consent.may_contact

    withdrawn = erasure.withdraw(traces, intake_desk=frozenset({"UA-NIB"}), now=T0)
    assert withdrawn.agencies == {"UA-NIB"}
    assert withdrawn.revoked == ("CA-GAC", "UA-OMBUDSMAN")
    assert withdrawn.blocking_keys == ("k1",) and withdrawn.pairs == ("HW-4444-5555",)
    assert withdrawn.notes == () and not withdrawn.files and withdrawn.consent.withdrawn

    gone = erasure.anonymise(traces, now=T0)
    assert gone.groups == {"reporter", "child"} and gone.files and gone.notes == ("n1",)
    assert gone.revoked == () and gone.agencies is None  # the mandate stays: it is history


def test_the_blind_index_keys_an_address_not_its_spelling():
    key = b"k"
    assert erasure.reporter_key(key, "Iryna@Example.ORG ") == erasure.reporter_key(
        key, "iryna@example.org"
    )
    assert erasure.reporter_key(key, "+380 50 123-45-67") == erasure.reporter_key(
        key, "+380501234567"
    )
    assert erasure.reporter_key(key, "iryna@example.org") != erasure.reporter_key(
        b"another deployment", "iryna@example.org"
    )
    # Keyed hashes only: nothing of the address is in the key.
    assert "iryna" not in erasure.reporter_key(key, "iryna@example.org")
    for nonsense in ("iryna", "0501234567", "@", "x@y"):
        with pytest.raises(erasure.NotAnAddress):
            erasure.normalised_identifier(nonsense)


def test_retention_is_configuration_for_cases_whose_work_has_ended():
    assert retention.parse(retention.DEFAULT) == (
        (Status.CLOSED, 1825),
        (Status.DUPLICATE, 1825),
        (Status.RETURNED, 1825),
        (Status.UNFOUNDED, 365),
    )
    assert retention.parse(" unfounded = 30 ,") == ((Status.UNFOUNDED, 30),)
    assert retention.parse("") == ()
    for wrong in ("verified=10", "closed", "closed=soon", "shelved=10"):
        with pytest.raises(ValueError, match="retention"):
            retention.parse(wrong)
    settings = config.load({"HOMEWARD_STAGE": "local", "HOMEWARD_RETENTION": "closed=7"})
    assert settings.retention == ((Status.CLOSED, 7),) and settings.retention_batch == 25
    assert retention.changed_before(T0, 7) == T0 - dt.timedelta(days=7)
