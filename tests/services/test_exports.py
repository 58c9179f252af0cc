"""Coordinators' and caseworkers' exports: the mandate, the reporters' consent, the audit.

On the fakes: reports with every kind of consent go through intake and dispatch (which
puts each into the mandates of the agencies it reached), then each reader exports.
"""

import copy
import csv
import io

import pytest
from fakes import FakeFileStore
from helpers import EXAMPLE_REPORT, demo_directory

from chalicelib.domain.casefile import Filters
from chalicelib.domain.exports import COLUMNS
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import exports, intake
from chalicelib.services.access import Caller, NotPermitted

SEALED = ["asthma", "scar above", "recreation camp", "iryna@example.org", "+380501234567"]


def filed(stores, settings, pipeline, *, coalition, authorities, marker):
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["consent"].update(share_with_coalition=coalition, share_with_authorities=authorities)
    body["child"]["given_name"] = marker
    receipt, _ = intake.submit(
        intake.Submission(Report.model_validate(body), marker, marker, "192.0.2.1"),
        stores=stores,
        settings=settings,
    )
    pipeline.pump_stream()
    return receipt.reference


@pytest.fixture
def cases(stores, settings, pipeline):
    return {
        "everyone": filed(
            stores, settings, pipeline, coalition=True, authorities=True, marker="Олег"
        ),
        "no authorities": filed(
            stores, settings, pipeline, coalition=True, authorities=False, marker="Петро"
        ),
        "intake only": filed(
            stores, settings, pipeline, coalition=False, authorities=False, marker="Іван"
        ),
    }


def reader(role, agency):
    return Caller(
        StaffMember(f"{role}-1", role, agency), "req-1", demo_directory().recipient(agency)
    )


def rows_of(result):
    return {r["reference"]: r for r in csv.DictReader(io.StringIO(result.content.lstrip("\ufeff")))}


def test_the_intake_desk_exports_every_case_with_details_and_never_a_sealed_field(cases, stores):
    result = exports.export_cases(
        reader("coordinator", "UA-NIB"), Filters(), "csv", stores=stores, files=None
    )
    rows = rows_of(result)
    assert set(rows) == set(cases.values())
    assert all(r["details"] == "shown" for r in rows.values())
    assert rows[cases["intake only"]]["given_name"] == "Іван"
    assert list(next(csv.reader(io.StringIO(result.content.lstrip("\ufeff"))))) == list(COLUMNS)
    assert not any(secret in result.content for secret in SEALED)


def test_an_authority_exports_its_mandate_as_the_reporters_allowed(cases, stores):
    result = exports.export_cases(
        reader("caseworker", "UA-OMBUDSMAN"), Filters(), "csv", stores=stores, files=None
    )
    rows = rows_of(result)
    # Only what was shared with the authorities is in its mandate at all.
    assert set(rows) == {cases["everyone"]}
    assert rows[cases["everyone"]]["family_name"] == "Ковальчук"


def test_a_coalition_member_coordinator_learns_only_that_a_withheld_report_exists(cases, stores):
    result = exports.export_cases(
        reader("coordinator", "CA-GAC"), Filters(), "csv", stores=stores, files=None
    )
    rows = rows_of(result)
    assert set(rows) == set(cases.values())
    withheld = rows[cases["intake only"]]
    assert withheld["details"] == "withheld"
    assert withheld["family_name"] == withheld["given_name"] == ""
    assert "Іван" not in result.content
    assert result.rows_withheld == 1


def test_an_export_is_audited_per_case_and_as_a_whole(cases, stores, db):
    exports.export_cases(
        reader("coordinator", "UA-NIB"),
        Filters(category="deported"),
        "csv",
        stores=stores,
        files=None,
    )
    trail = db.audit["exports"]
    assert [(e.action, e.actor) for e in trail] == [("export", "coordinator-1")]
    assert "3 cases" in trail[0].detail and "category=deported" in trail[0].detail
    for reference in cases.values():
        assert "export" in [e.action for e in db.audit[reference]]


def test_auditors_do_not_export_and_the_refusal_is_recorded(cases, stores, db):
    with pytest.raises(NotPermitted):
        exports.export_cases(
            reader("auditor", "UA-NIB"), Filters(), "csv", stores=stores, files=None
        )
    assert [e.action for e in db.audit["exports"]] == ["refused"]


def test_a_spreadsheet_goes_to_the_bucket_behind_a_short_link(cases, stores):
    from openpyxl import load_workbook

    files = FakeFileStore()
    result = exports.export_cases(
        reader("coordinator", "CA-GAC"), Filters(), "xlsx", stores=stores, files=files
    )
    assert result.content is None
    assert result.url.startswith("https://bucket.example/exports/")
    ((key, versions),) = files.objects.items()
    assert key.startswith("exports/") and key.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(versions[-1][1])).active
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == list(COLUMNS)
    assert len(table) == 4
    assert "Іван" not in str(table)


def test_formulas_typed_into_a_report_stay_text_in_a_spreadsheet():
    from chalicelib.domain.exports import safe_cell

    assert safe_cell('=HYPERLINK("http://x")').startswith("'=")
    assert safe_cell("Ковальчук") == "Ковальчук"


def test_ticked_cases_are_exported_by_the_same_policy_and_audited(cases, stores, db):
    ticked = [cases["everyone"], cases["no authorities"], cases["intake only"], "HW-2222-3333"]
    outside = exports.export_chosen(
        reader("caseworker", "UA-OMBUDSMAN"), ticked, "csv", stores=stores, files=None
    )
    # Outside the mandate, or not a case at all: as if never ticked.
    assert set(rows_of(outside)) == {cases["everyone"]}
    member = exports.export_chosen(
        reader("coordinator", "CA-GAC"), ticked[1:], "csv", stores=stores, files=None
    )
    rows = rows_of(member)
    assert set(rows) == {cases["no authorities"], cases["intake only"]}
    assert rows[cases["intake only"]]["details"] == "withheld" and "Іван" not in member.content
    assert not any(secret in member.content for secret in SEALED)
    assert [e.detail for e in db.audit["exports"]][-1].startswith("csv, 2 cases (1 withheld)")
    assert "export" in [e.action for e in db.audit[cases["intake only"]]]
    assert "export" not in [e.action for e in db.audit.get("HW-2222-3333", [])]
