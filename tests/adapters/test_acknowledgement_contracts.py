"""What the stores promise acknowledgement, response times, caseloads and sending, on the
fakes and on DynamoDB (moto): a case's waiting alerts, each person's open caseload, the
acknowledgement samples of a week, and one contact as the directory holds it now.

tests/adapters/test_port_coverage.py keeps it so: a port method without a contract test
on both backends fails there.
"""

import dataclasses
import datetime as dt
from collections import Counter

from helpers import case_for, commit, refused_names

from chalicelib.domain.alerts import Alert
from chalicelib.domain.contacts import Contact
from chalicelib.domain.response_times import AckSample

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def opened(stores, reference, at=T0):
    case = dataclasses.replace(case_for(), reference=reference, received_at=at)
    commit(stores, lambda u: stores.cases.open(u, case))
    return case


# -- a case's waiting alerts (acknowledgement finds the one to stop, and its rung) ------------


def test_a_cases_waiting_alerts_are_its_unacknowledged_ones_on_their_rung(stores):
    case = opened(stores, "HW-2222-3333")
    other = opened(stores, "HW-4444-5555", T0 + MINUTE)
    report = Alert.on_arrival(case)
    match = Alert.match_confirmed(case, other, T0 + 2 * MINUTE)
    elsewhere = Alert.on_arrival(other)
    # Told in a batch's digest, not waiting for anyone's acknowledgement.
    imported = Alert.on_arrival(case, batch="ngo-one/file-1")
    assert stores.alerts.waiting_of(case.reference) == []
    commit(
        stores,
        lambda u: stores.alerts.add(u, report, acknowledge_by=T0 + 15 * MINUTE),
        lambda u: stores.alerts.add(u, match, acknowledge_by=T0 + 20 * MINUTE),
        lambda u: stores.alerts.add(u, elsewhere, acknowledge_by=T0 + 16 * MINUTE),
        lambda u: stores.alerts.add(u, imported, batch=imported.batch),
    )
    waiting = stores.alerts.waiting_of(case.reference)
    # Only this case's, each whole, on its first rung with its deadline (by purpose).
    assert [(w.alert, w.level, w.due) for w in waiting] == [
        (match, 0, T0 + 20 * MINUTE),
        (report, 0, T0 + 15 * MINUTE),
    ]
    assert stores.alerts.waiting_of("HW-9999-9999") == []

    # Escalated, it still waits, one rung up under its next deadline: an acknowledgement
    # now is late.
    commit(stores, lambda u: stores.alerts.escalate(u, waiting[1], T0 + 45 * MINUTE))
    found = {w.alert.purpose: w for w in stores.alerts.waiting_of(case.reference)}
    assert (found[report.purpose].level, found[report.purpose].due) == (1, T0 + 45 * MINUTE)
    assert found[report.purpose].alert == report

    # Acknowledged, it waits no more (and a second acknowledgement finds nothing to stop).
    commit(stores, lambda u: stores.alerts.acknowledge(u, case.reference, match.purpose, "x", T0))
    assert [w.alert for w in stores.alerts.waiting_of(case.reference)] == [report]
    # At the top of its ladder, nobody left to tell: it stops waiting too.
    (top,) = stores.alerts.waiting_of(case.reference)
    commit(stores, lambda u: stores.alerts.escalate(u, top, None))
    assert stores.alerts.waiting_of(case.reference) == []
    assert [w.alert for w in stores.alerts.waiting_of(other.reference)] == [elsewhere]


# -- each person's open caseload ---------------------------------------------------------------


def test_a_persons_open_caseload_follows_the_case_from_hand_to_hand(stores):
    def caseload(agency=None):
        return stores.statistics.read(agency)["assignee"]

    # Assigned: in all cases' counts and in each mandate's, not in another agency's.
    commit(stores, lambda u: stores.statistics.count_caseload(u, None, "ana", ["UA-NIB"]))
    commit(
        stores,
        lambda u: stores.statistics.count_caseload(u, None, "ana", ["UA-NIB", "CA-GAC"]),
    )
    assert caseload() == {"ana": 2}
    assert caseload("UA-NIB") == {"ana": 2}
    assert caseload("CA-GAC") == {"ana": 1}
    assert caseload("PL-SG") == {}

    # Handed on: one less for the one, one more for the other; nobody at nought is listed.
    commit(stores, lambda u: stores.statistics.count_caseload(u, "ana", "bohdan", ["CA-GAC"]))
    assert caseload() == {"ana": 1, "bohdan": 1}
    assert caseload("CA-GAC") == {"bohdan": 1}
    # Set aside (closed): it leaves its assignee's open caseload.
    commit(stores, lambda u: stores.statistics.count_caseload(u, "bohdan", None, ["CA-GAC"]))
    assert caseload() == {"ana": 1}
    assert caseload("CA-GAC") == {}
    # Nobody's before or after: nothing counted, nothing refused.
    commit(stores, lambda u: stores.statistics.count_caseload(u, None, None, ["UA-NIB"]))
    assert caseload() == {"ana": 1}
    # The case counts stay as they were.
    assert stores.statistics.read()["total"] == 0


# -- acknowledgement samples (response times) -------------------------------------------------


def test_acknowledgements_are_read_back_by_the_weeks_asked_each_one_kept(stores):
    w48 = [
        AckSample("UA-NIB", "2026-W48", 90.5, False),
        # The same desk, week and time twice: two acknowledgements, both count.
        AckSample("UA-NIB", "2026-W48", 90.5, False),
        AckSample("CA-GAC", "2026-W48", 3600.0, True),
    ]
    w49 = AckSample.of(
        "UA-NIB", T0 + dt.timedelta(days=3), T0 + dt.timedelta(days=3, hours=2), late=True
    )
    assert w49.week == "2026-W49"
    assert stores.statistics.acknowledgements(["2026-W48"]) == []
    commit(stores, *[lambda u, s=s: stores.statistics.record_acknowledgement(u, s) for s in w48])
    commit(stores, lambda u: stores.statistics.record_acknowledgement(u, w49))

    assert Counter(stores.statistics.acknowledgements(["2026-W48"])) == Counter(w48)
    assert stores.statistics.acknowledgements(["2026-W49"]) == [w49]
    assert Counter(stores.statistics.acknowledgements(["2026-W47", "2026-W48", "2026-W49"])) == (
        Counter([*w48, w49])
    )
    assert stores.statistics.acknowledgements([]) == []

    # Recorded with the acknowledgement that stopped the ladder: refused with it, nothing kept.
    late = AckSample("PL-SG", "2026-W49", 60.0, False)
    assert refused_names(
        stores,
        lambda u: stores.alerts.acknowledge(u, "HW-9999-9999", "report-received", "x", T0),
        lambda u: stores.statistics.record_acknowledgement(u, late),
    ) == {"alert"}
    assert stores.statistics.acknowledgements(["2026-W49"]) == [w49]


# -- one contact, as a delivery is resolved against it when sent ------------------------------


def a_contact(contact_id, **fields) -> Contact:
    return Contact.model_validate(
        {
            "contact_id": contact_id,
            "organisation": "National Information Bureau",
            "agency": "UA-NIB",
            "kind": "national_authority",
            "member_state": "UA",
            "name": "Duty officer",
            "email": f"{contact_id}@nib.example.org",
            "phone": "+380501112233",
            "languages": ["uk", "en"],
            "channels": ["email", "sms"],
            **fields,
        }
    )


def test_a_contact_is_read_as_the_directory_holds_it_now(stores):
    south, east = a_contact("south"), a_contact("east", coordinator=True, channels=["email"])
    # DynamoDB's table comes with the demo contacts seeded, the fake's empty.
    version = stores.directory.read().version
    assert stores.directory.contact("south") is None
    commit(stores, lambda u: stores.directory.change(u, version, contacts=[south, east]))
    assert stores.directory.contact("south") == south
    assert stores.directory.contact("east") == east
    assert stores.directory.contact("west") is None

    # Changed since a delivery was routed: the send goes to the address it has now.
    moved = a_contact("south", email="south-desk@nib.example.org", phone="+380671234567")
    commit(stores, lambda u: stores.directory.change(u, version + 1, contacts=[moved]))
    assert stores.directory.contact("south") == moved
    # A change made to a version read before is refused and changes nobody.
    stale = a_contact("south", active=False)
    assert refused_names(
        stores, lambda u: stores.directory.change(u, version + 1, contacts=[stale])
    ) == {"version"}
    assert stores.directory.contact("south") == moved

    # Removed: no way to the contact any more; the others stay.
    commit(stores, lambda u: stores.directory.change(u, version + 2, removed_contacts=["south"]))
    assert stores.directory.contact("south") is None
    assert stores.directory.contact("east") == east
    assert [c for c in stores.directory.read().contacts if c.contact_id in ("south", "east")] == [
        east
    ]
