"""Only the desk that owns a case stops its alarm ladder; everyone else has seen it.

Kherson, deported, in the demo directory: the coordinators' desk (the intake desk) and
the Ombudsman's southern desk own it; the Canadian liaison is told of it. On the fakes.
"""

import copy
import dataclasses
import datetime as dt
import re

import pytest
from helpers import EXAMPLE_REPORT

from chalicelib.domain.colleagues import Colleague
from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import acknowledgement, casework, intake
from chalicelib.services.access import Caller

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def submit(pipeline, urgent: bool) -> str:
    body = {**copy.deepcopy(EXAMPLE_REPORT), "urgent": urgent}
    submission = intake.Submission(Report.model_validate(body), repr(body), None, "198.51.100.7")
    receipt, _ = intake.submit(
        submission, stores=pipeline.stores, settings=pipeline.settings, now=T0
    )
    return receipt.reference


LIAISON, SOUTH_DESK = "liaison@coalition-ca.example.org", "south@ombudsman.example.org"
LATER = T0 + dt.timedelta(minutes=16)  # past the 15 minutes an urgent alert may wait
SOUTH = Caller(
    StaffMember("w-south", "caseworker", "UA-OMBUDSMAN", email=SOUTH_DESK),
    "request-south",
    Recipient(OrganisationKind.NATIONAL_AUTHORITY),
)
CANADA = Caller(
    StaffMember("w-canada", "caseworker", "CA-GAC", email=LIAISON),
    "request-canada",
    Recipient(OrganisationKind.COALITION_MEMBER),
)


@pytest.fixture
def urgent(pipeline):
    reference = submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    return reference


def link(pipeline, address: str) -> str:
    (message,) = pipeline.sent_to(address)
    return re.search(r"/ack/([A-Za-z0-9_-]+)", message["parts"][-1]).group(1)


def use(pipeline, address: str, minutes: int = 2):
    return acknowledgement.acknowledge(
        link(pipeline, address),
        stores=pipeline.stores,
        keys=pipeline.settings.keyring(Purpose.ACK_LINKS),
        request_id="r",
        now=T0 + dt.timedelta(minutes=minutes),
    )


def actions(db, reference) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in db.audit[reference]]


def test_the_owners_are_the_routed_mandated_desks_of_the_reports_country(pipeline, db, urgent):
    (alert,) = [row.alert for row in db.alerts.values()]
    assert pipeline.directory.current().owners(alert) == {"UA-NIB", "UA-OMBUDSMAN"}
    assert db.cases[urgent].agencies == {"UA-NIB", "UA-OMBUDSMAN", "CA-GAC"}


def test_a_non_owning_recipients_email_link_records_it_saw_the_alert_and_the_ladder_goes_on(
    pipeline, db, urgent
):
    done = use(pipeline, LIAISON)
    assert done is not None and not done.handled and not done.owner
    assert ("acknowledge-seen", "ca-liaison") in actions(db, urgent)
    assert pipeline.tick(LATER) == 1  # escalated all the same


def test_the_owning_desks_email_link_stops_the_ladder(pipeline, db, urgent):
    done = use(pipeline, SOUTH_DESK)
    assert done is not None and done.handled and done.owner
    assert ("acknowledge", "south-ua-ombudsman") in actions(db, urgent)
    assert pipeline.tick(LATER) == 0


def test_the_link_reads_ownership_from_the_delivery_not_the_directory(pipeline, db, urgent):
    # A delivery recorded before ownership was kept on it has none: the owning desk's
    # link then only records that it was seen, and the ladder goes on (never silenced).
    for key, (stored, version) in list(db.deliveries.items()):
        if stored.delivery.address == SOUTH_DESK:
            assert stored.delivery.owner
            old = dataclasses.replace(stored.delivery, owner=False)
            db.deliveries[key] = (dataclasses.replace(stored, delivery=old), version)
    done = use(pipeline, SOUTH_DESK)
    assert done is not None and not done.handled and not done.owner
    assert ("acknowledge-seen", "south-ua-ombudsman") in actions(db, urgent)
    assert pipeline.tick(LATER) == 1


def test_a_triage_by_the_owning_desk_acknowledges_its_waiting_alert_audited_as_such(
    pipeline, db, urgent
):
    casework.move_case(
        SOUTH,
        urgent,
        target="triaged",
        note="called the family",
        version=db.cases[urgent].case.version,
        stores=pipeline.stores,
        now=T0 + dt.timedelta(minutes=3),
    )
    entries = [e for e in db.audit[urgent] if e.action == "acknowledge"]
    assert [(e.actor, e.detail) for e in entries] == [
        ("w-south", "report-received by working the case (status)")
    ]
    assert pipeline.tick(LATER) == 0


def test_a_note_by_a_desk_that_does_not_own_the_case_leaves_its_alert_waiting(pipeline, db, urgent):
    casework.add_note(
        CANADA,
        urgent,
        text="seen from Ottawa",
        stores=pipeline.stores,
        now=T0 + dt.timedelta(minutes=3),
    )
    assert "acknowledge" not in [e.action for e in db.audit[urgent]]
    assert pipeline.tick(LATER) == 1


def test_an_assignment_and_a_note_by_the_owning_desk_acknowledge_too(pipeline, db):
    pipeline.stores.staff.record(Colleague.of(SOUTH.staff, T0))
    for action in ("note", "assign"):
        reference = submit(pipeline, urgent=True)
        pipeline.run_until_idle(T0)
        if action == "note":
            casework.add_note(SOUTH, reference, text="on it", stores=pipeline.stores, now=T0)
        else:
            version = db.cases[reference].case.version
            casework.assign_case(
                SOUTH,
                reference,
                assignee="w-south",
                version=version,
                stores=pipeline.stores,
                now=T0,
            )
        assert any(
            e.action == "acknowledge" and f"({action})" in (e.detail or "")
            for e in db.audit[reference]
        ), action
    assert pipeline.tick(LATER) == 0


def test_in_the_console_a_non_owner_sees_and_an_owner_stops_the_ladder(pipeline, db, urgent):
    directory = pipeline.directory.current()
    deliveries = [d for d, _ in db.deliveries.values() if d.reference == urgent]

    def mine(caller):
        (found,) = [
            d
            for d in acknowledgement.addressed_to(caller.staff.email, deliveries, directory)
            if d.delivery.channel == "email"
        ]
        return found.delivery_id

    seen = acknowledgement.acknowledge_in_console(
        CANADA, urgent, mine(CANADA), stores=pipeline.stores, directory=directory, now=T0
    )
    assert not seen.handled and ("acknowledge-seen", "w-canada") in actions(db, urgent)
    assert pipeline.tick(LATER) == 1
    pipeline.run_until_idle(LATER)
    handled = acknowledgement.acknowledge_in_console(
        SOUTH, urgent, mine(SOUTH), stores=pipeline.stores, directory=directory, now=LATER
    )
    assert handled.handled
    assert pipeline.tick(LATER + dt.timedelta(hours=3)) == 0
