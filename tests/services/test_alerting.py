"""The alerting path on the fakes: dispatch, sending, acknowledgement and escalation.

The volume guarantee (reports with 30% of sends failing) runs here on 150 reports and at
full size, 500, in `make bench` (fuzz: ALERTING_REPORTS=500 pytest
tests/services/test_alerting.py); the same run against moto is small in tests/handlers
and full size in `make bench` (faults).
"""

import copy
import dataclasses
import datetime as dt
import os
import random
import re

from fakes import FakePipeline
from helpers import EXAMPLE_REPORT

from chalicelib.domain.alerts import Channel, DeliveryState, TransientSendError
from chalicelib.domain.keyring import Purpose
from chalicelib.domain.report import Report
from chalicelib.domain.staff import StaffMember
from chalicelib.services import acknowledgement, delivery, intake
from chalicelib.services.access import Caller

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
REPORTS = int(os.environ.get("ALERTING_REPORTS", "150"))
SURNAMES = ["Ковальчук", "Шевченко", "Бондар", "Ткаченко", "Мельник", "Кравець", "Олійник"]
GIVEN = ["Олександр", "Іван", "Дмитро", "Максим", "Артем", "Назар", "Богдан", "Тарас"]


def report(**changes) -> intake.Submission:
    body = copy.deepcopy(EXAMPLE_REPORT)
    for section, values in changes.items():
        body[section].update(values) if isinstance(values, dict) else body.update({section: values})
    return intake.Submission(Report.model_validate(body), repr(body), None, "198.51.100.7")


def submit(pipeline, now=T0, **changes) -> str:
    receipt, _ = intake.submit(
        report(**changes), stores=pipeline.stores, settings=pipeline.settings, now=now
    )
    return receipt.reference


def test_a_report_reaches_its_rules_contacts_and_their_agencies_mandate(pipeline, db):
    reference = submit(pipeline)  # Kherson, deported: south desk, coordinators, Canada
    pipeline.run_until_idle(T0)
    assert {m["to"] for m in pipeline.email.sent} == {
        "south@ombudsman.example.org",
        "coordinator@nib.example.org",
        "liaison@coalition-ca.example.org",
    }
    assert {m["to"] for m in pipeline.sms.sent} == {"+380501112233", "+380441234567"}
    assert db.cases[reference].agencies == {"UA-OMBUDSMAN", "UA-NIB", "CA-GAC"}
    # An SMS never names the child.
    assert all("Ковальчук" not in m["parts"][-1] for m in pipeline.sms.sent)


def test_a_replayed_alert_is_queued_again_but_never_sent_twice(pipeline, db):
    submit(pipeline)
    pipeline.run_until_idle(T0)
    sent = len(pipeline.email.sent) + len(pipeline.sms.sent)
    pipeline._read = 0  # the stream hands everything over again
    pipeline.run_until_idle(T0)
    assert len(pipeline.email.sent) + len(pipeline.sms.sent) == sent


def _down_for(send, reference: str):
    """A channel's send that fails every message about `reference`, as for a provider
    that keeps refusing them: something is parked whatever the order of sends."""

    def failing(to, *parts, about=None, **kwargs):
        if reference in repr((parts, about)):  # an SMS names its case in its text
            raise TransientSendError("Throttling")
        return send(to, *parts, about=about, **kwargs)

    return failing


def test_reports_with_30_percent_transient_failures(stores, settings, db):
    """Deliveries end sent exactly once or parked and listed, never lost."""
    settings = dataclasses.replace(settings, rate_limit=10**6)
    pipeline = FakePipeline(stores, settings, failure_rate=0.3)
    rng = random.Random(500)
    references = []
    for _ in range(REPORTS):
        references.append(
            submit(
                pipeline,
                child={
                    "family_name": rng.choice(SURNAMES),
                    "given_name": rng.choice(GIVEN),
                    "patronymic": None,
                    "other_names": [],
                    "date_of_birth": f"{rng.randint(2006, 2021)}-{rng.randint(1, 12):02d}-"
                    f"{rng.randint(1, 28):02d}",
                },
            )
        )
    for channel in (pipeline.email, pipeline.sms):
        channel.send = _down_for(channel.send, references[0])
    pipeline.run_until_idle(T0, rounds=500)

    deliveries = [d for d, _ in db.deliveries.values()]
    assert len(deliveries) == REPORTS * 5
    assert {d.state for d in deliveries} <= {DeliveryState.SENT, DeliveryState.FAILED}
    sent = [d for d in deliveries if d.state == DeliveryState.SENT]
    parked = [d for d in deliveries if d.state == DeliveryState.FAILED]
    # Exactly once: every sent delivery has its own message, and nothing else was sent.
    provider_ids = sorted(d.provider_message_id for d in sent)
    channel_ids = sorted(m["id"] for m in pipeline.email.sent + pipeline.sms.sent)
    assert len(provider_ids) == len(channel_ids) == len(sent)
    # The first report's five, and 0.3^5 of the rest by chance (about 6 of 2,500 at full
    # size): a handful parked after their last attempt, each listed for a human.
    assert {d.reference for d in parked} >= {references[0]}
    assert 5 <= len(parked) < 5 + max(10, REPORTS // 15)
    assert all(d.attempts == 5 for d in parked)
    assert {(d.reference, d.delivery_id) for d in delivery.undelivered(stores=stores)} == {
        (d.reference, d.delivery_id) for d in parked
    }
    assert len(pipeline.queue.dead) == len(parked)

    # A coordinator sends one again, once the channels are well.
    pipeline.email.failure_rate = pipeline.sms.failure_rate = 0
    del pipeline.email.send, pipeline.sms.send
    one = parked[0]
    assert delivery.retry(one.reference, one.delivery_id, stores=stores, queue=pipeline.queue)
    pipeline.run_until_idle(T0)
    assert db.deliveries[(one.reference, one.delivery_id)][0].state == DeliveryState.SENT
    assert not delivery.retry(one.reference, one.delivery_id, stores=stores, queue=pipeline.queue)


def _link_of(pipeline, address: str) -> str:
    """The acknowledgement token in the first message sent to `address`."""
    message = pipeline.sent_to(address)[0]
    return re.search(r"/ack/([A-Za-z0-9_-]+)", message["parts"][-1]).group(1)


def test_an_email_link_stops_the_ladder_an_sms_link_only_records_it_was_seen(pipeline, db):
    reference = submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    key = pipeline.settings.keyring(Purpose.ACK_LINKS)

    seen = acknowledgement.acknowledge(
        _link_of(pipeline, "+380501112233"),
        stores=pipeline.stores,
        keys=key,
        request_id="r",
        now=T0 + dt.timedelta(minutes=2),
    )
    assert seen and not seen.handled
    assert pipeline.tick(T0 + dt.timedelta(minutes=16)) == 1  # still escalates
    pipeline.run_until_idle(T0 + dt.timedelta(minutes=16))

    handled = acknowledgement.acknowledge(
        _link_of(pipeline, "south@ombudsman.example.org"),
        stores=pipeline.stores,
        keys=key,
        request_id="r",
        now=T0 + dt.timedelta(minutes=20),
    )
    assert handled and handled.handled
    assert pipeline.tick(T0 + dt.timedelta(hours=3)) == 0
    actions = [(e.action, e.actor, e.role) for e in db.audit[reference]]
    assert ("acknowledge-seen", "south-ua-ombudsman", "contact") in actions
    assert ("acknowledge", "south-ua-ombudsman", "contact") in actions
    # A used link is refused like a forged one.
    used = _link_of(pipeline, "south@ombudsman.example.org")
    later = T0 + dt.timedelta(minutes=21)
    assert acknowledgement.pending(used, stores=pipeline.stores, keys=key, now=later) is None
    assert (
        acknowledgement.acknowledge(
            used,
            stores=pipeline.stores,
            keys=key,
            request_id="r",
            now=later,
        )
        is None
    )


def test_the_ladder_climbs_to_the_coordinators_and_ends(pipeline, db):
    submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    climbed = 0
    for minutes in range(16, 200, 16):
        climbed += pipeline.tick(T0 + dt.timedelta(minutes=minutes))
        pipeline.run_until_idle(T0 + dt.timedelta(minutes=minutes))
    # The demo rules' one rung (the national desk), then the coordinators; then it ends.
    assert climbed == 2
    assert [m["parts"][-1][:11] for m in pipeline.sent_to("+380931234567")] == ["ЕСКАЛАЦІЯ 1"]
    assert all(row.due is None for row in db.alerts.values())
    desk = [d for d, _ in db.deliveries.values() if d.delivery.contact_id == "ua-national-desk"]
    assert {d.delivery.channel for d in desk} == {Channel.EMAIL, Channel.SMS}


def test_an_escalation_tells_the_next_rung_without_widening_the_mandate(pipeline, db):
    reference = submit(pipeline, urgent=True)  # Kherson: not the national desk's cases
    pipeline.run_until_idle(T0)
    assert pipeline.tick(T0 + dt.timedelta(minutes=16)) == 1
    pipeline.run_until_idle(T0 + dt.timedelta(minutes=16))
    assert pipeline.sent_to("desk@npu.example.org")  # the national desk was alerted
    assert db.cases[reference].agencies == {"UA-OMBUDSMAN", "UA-NIB", "CA-GAC"}


def test_reading_the_undelivered_is_recorded_on_each_case_it_names(stores, settings, db):
    pipeline = FakePipeline(stores, settings, failure_rate=1.0)
    reference = submit(pipeline)
    pipeline.run_until_idle(T0, rounds=50)
    coordinator = Caller(StaffMember("c-1", "coordinator", "UA-NIB"), "request-1")
    assert len(delivery.undelivered_for(coordinator, stores=stores)) == 5
    actions = [(e.actor, e.action) for e in db.audit[reference]]
    assert actions.count(("c-1", "read-undelivered")) == 1
