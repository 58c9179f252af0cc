"""The on-call view on the fakes: every waiting alert (paged, counted), which alert it is,
its rung, who was tried, time to the next rung, and the acknowledge button only for
whoever may use it."""

import copy
import datetime as dt

from helpers import EXAMPLE_REPORT

from chalicelib.domain.disclosure import OrganisationKind, Recipient
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import intake, on_call
from chalicelib.services.access import Caller

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
AUTHORITY = Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=False)
COORDINATOR = Caller(
    StaffMember("c-1", "coordinator", "UA-NIB", email="coordinator@nib.example.org"),
    "r1",
    Recipient(OrganisationKind.NATIONAL_AUTHORITY, intake_desk=True),
)
# Taras reads the southern desk's mailbox; Oksana works at the same desk, other mailbox.
TARAS = Caller(
    StaffMember("w-1", "caseworker", "UA-OMBUDSMAN", email="south@ombudsman.example.org"),
    "r2",
    AUTHORITY,
)
OKSANA = Caller(
    StaffMember("w-2", "caseworker", "UA-OMBUDSMAN", email="oksana@ombudsman.example.org"),
    "r3",
    AUTHORITY,
)


def submit(pipeline, n: int, oblast: str) -> str:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["urgent"] = True
    body["child"]["given_name"] = f"Дитина{n}"
    body["residence"]["oblast"] = oblast
    submission = intake.Submission(Report.model_validate(body), str(n), None, f"198.51.100.{n}")
    receipt, _ = intake.submit(
        submission, stores=pipeline.stores, settings=pipeline.settings, now=T0
    )
    return receipt.reference


def view(pipeline, caller, now, **options):
    return on_call.on_call(
        caller, stores=pipeline.stores, directory=pipeline.directory.current(), now=now, **options
    )


def test_every_waiting_alert_is_counted_paged_and_told_in_full(pipeline):
    kherson = [submit(pipeline, n, "UA-65") for n in range(20)]
    kyiv = [submit(pipeline, n, "UA-32") for n in range(20, 32)]
    pipeline.run_until_idle(T0)
    now = T0 + dt.timedelta(minutes=5)

    first = view(pipeline, COORDINATOR, now)
    assert (first.total, first.pages, len(first.alerts)) == (32, 2, on_call.PAGE_SIZE)
    second = view(pipeline, COORDINATOR, now, page=2)
    listed = {a.reference for a in first.alerts + second.alerts}
    assert listed == set(kherson + kyiv)

    # References are random: the first Kherson report may be listed on either page.
    row = next(a for a in first.alerts + second.alerts if a.reference == kherson[0])
    assert row.what == on_call.Waits.NEW_REPORT and row.level == 0
    assert round(row.seconds_left) == 10 * 60  # 15 minutes after it came, 5 gone
    assert {(t.contact_id, t.channel) for t in row.tried} >= {
        ("south-ua-ombudsman", "email"),
        ("south-ua-ombudsman", "sms"),
        ("ca-liaison", "email"),
    }
    assert all(t.at == T0 and t.state == "sent" for t in row.tried)
    # The coordinators' desk owns every case and was alerted: it may acknowledge each.
    assert all(a.acknowledge for a in first.alerts + second.alerts)


def test_the_button_is_only_for_whoever_may_and_the_filters_narrow(pipeline):
    kherson = [submit(pipeline, n, "UA-65") for n in range(12)]
    submit(pipeline, 99, "UA-32")  # Kyiv: not the southern desk's
    pipeline.run_until_idle(T0)
    now = T0 + dt.timedelta(minutes=1)

    taras = view(pipeline, TARAS, now)
    assert taras.total == 12 and {a.reference for a in taras.alerts} == set(kherson)
    assert all(a.acknowledge and a.for_me and a.my_desk for a in taras.alerts)
    oksana = view(pipeline, OKSANA, now)
    assert oksana.total == 12
    assert not any(a.acknowledge for a in oksana.alerts)  # not sent to her
    assert view(pipeline, OKSANA, now, narrowed=on_call.Narrowed.ME).total == 0
    assert view(pipeline, OKSANA, now, narrowed=on_call.Narrowed.MY_DESK).total == 12
    assert view(pipeline, COORDINATOR, now, narrowed=on_call.Narrowed.MY_DESK).total == 13


def test_an_escalated_alert_says_its_rung_and_an_overdue_one_says_so(pipeline):
    reference = submit(pipeline, 1, "UA-65")
    pipeline.run_until_idle(T0)
    later = T0 + dt.timedelta(minutes=16)
    assert pipeline.tick(later) == 1
    pipeline.run_until_idle(later)
    (row,) = view(pipeline, COORDINATOR, later).alerts
    assert row.reference == reference and row.level == 1
    assert row.what == on_call.Waits.ESCALATION
    assert ("ua-national-desk", 1) in {(t.contact_id, t.level) for t in row.tried}
    (overdue,) = view(pipeline, COORDINATOR, later + dt.timedelta(hours=30)).alerts
    assert overdue.seconds_left < 0
