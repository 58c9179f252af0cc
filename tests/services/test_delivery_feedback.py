"""Deliveries that fail after or instead of sending page someone: a bounce, a complaint
or an opted-out phone fails the delivery with its reason (coordinators see it among the
undelivered), the alert goes to its next rung at the next schedule, and the failure is
counted. And the SMS policy: fewer, shorter SMS without losing one the policy requires."""

import copy
import dataclasses
import datetime as dt
import json

import pytest
from fakes import FakePipeline
from helpers import EXAMPLE_REPORT

from chalicelib import config
from chalicelib.adapters.metrics import EmfMetrics
from chalicelib.domain.alerts import Channel, Delivery, DeliveryState, PermanentSendError
from chalicelib.domain.messages import render_sms
from chalicelib.domain.report import Report
from chalicelib.domain.sms import is_gsm7, segments, under_sms_policy
from chalicelib.services import delivery, intake

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def submit(pipeline, now=T0, *, urgent=False) -> str:
    body = copy.deepcopy(EXAMPLE_REPORT)
    body["urgent"] = urgent
    submission = intake.Submission(Report.model_validate(body), repr(body), None, "198.51.100.7")
    receipt, _ = intake.submit(
        submission, stores=pipeline.stores, settings=pipeline.settings, now=now
    )
    return receipt.reference


class Recorded(EmfMetrics):
    def __init__(self):
        self.lines: list[str] = []
        super().__init__("test", write=self.lines.append)

    def documents(self) -> list[dict]:
        self.flush()
        return [json.loads(line) for line in self.lines]


def _sent(stores, reference, channel):
    return [
        d
        for d in stores.deliveries.of_case(reference)
        if d.delivery.channel == channel and d.state == DeliveryState.SENT
    ]


def _failed(stores):
    return {d.delivery_id: d.last_error for d in delivery.undelivered(stores=stores)}


def test_a_bounce_fails_the_delivery_tells_coordinators_and_climbs_the_ladder_now(pipeline, stores):
    reference = submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    (bounced, *_) = _sent(stores, reference, Channel.EMAIL)
    metrics = Recorded()
    later = T0 + dt.timedelta(minutes=1)
    # Nobody acknowledged yet, and the urgent deadline (15 minutes) is far off.
    assert pipeline.tick(later) == 0
    reason = "bounced (Permanent/General)"
    assert delivery.refused_after_sending(
        reference, bounced.delivery_id, reason, stores=stores, now=later, metrics=metrics
    )
    assert _failed(stores)[bounced.delivery_id] == reason
    # The schedule's next run alerts the next rung, fourteen minutes early.
    assert pipeline.tick(later + dt.timedelta(minutes=1)) == 1
    (document,) = metrics.documents()
    assert document["DeliveriesFailed"] == 1 and document["Channel"] == "email"
    # SES may send the same event twice: nothing changes the second time.
    assert not delivery.refused_after_sending(
        reference, bounced.delivery_id, reason, stores=stores, now=later
    )


def test_an_acknowledged_delivery_is_not_failed_by_a_late_complaint(pipeline, stores):
    reference = submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    (sent, *_) = _sent(stores, reference, Channel.EMAIL)
    uow = stores.unit_of_work()
    stores.deliveries.acknowledge(uow, reference, sent.delivery_id, T0)
    uow.commit()
    assert not delivery.refused_after_sending(
        reference, sent.delivery_id, "complained (abuse)", stores=stores, now=T0
    )
    assert sent.delivery_id not in _failed(stores)


def test_an_opted_out_phone_parks_its_delivery_with_the_reason_and_climbs(
    pipeline, stores, monkeypatch
):
    reason = "opted out of SMS: the number replied STOP"

    def opted_out(to, text):
        raise PermanentSendError(reason)

    monkeypatch.setattr(pipeline.sms, "send", opted_out)
    reference = submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    failed = _failed(stores)
    sms = [d for d in stores.deliveries.of_case(reference) if d.delivery.channel == Channel.SMS]
    assert sms and all(failed[d.delivery_id] == reason for d in sms)
    assert pipeline.tick(T0 + dt.timedelta(minutes=1)) == 1


# -- the SMS policy ------------------------------------------------------------------


@pytest.fixture
def policy_pipeline(stores):
    settings = config.load(
        {
            "HOMEWARD_STAGE": "local",
            "HOMEWARD_SIGNING_KEY": "service-tests",
            "HOMEWARD_SMS_FOR": "urgent",
            "HOMEWARD_SMS_ONE_PART": "true",
        }
    )
    return FakePipeline(stores, settings)


def test_a_normal_report_goes_by_email_only_an_urgent_one_and_escalations_by_sms_too(
    policy_pipeline,
):
    submit(policy_pipeline)
    policy_pipeline.run_until_idle(T0)
    assert policy_pipeline.email.sent and policy_pipeline.sms.sent == []
    submit(policy_pipeline, T0 + dt.timedelta(minutes=1), urgent=True)
    policy_pipeline.run_until_idle(T0)
    urgent = list(policy_pipeline.sms.sent)
    assert urgent
    # One GSM-7 part each, in Latin letters, with a working acknowledgement link.
    for message in urgent:
        text = message["parts"][-1]
        assert is_gsm7(text) and segments(text) == 1, text
        assert "https://homeward.example/ack/" in text
    # The normal report's escalation (after 24 hours) goes by SMS as well.
    later = T0 + dt.timedelta(days=1, minutes=5)
    assert policy_pipeline.tick(later) >= 1
    policy_pipeline.run_until_idle(later)
    assert len(policy_pipeline.sms.sent) > len(urgent)


def test_a_contact_reachable_by_sms_alone_keeps_it(pipeline, stores):
    reference = submit(pipeline)
    pipeline.run_until_idle(T0)
    (stored, *_) = stores.deliveries.of_case(reference)
    alert = stored.delivery.alert
    assert not alert.urgent and alert.level == 0

    def to(contact, channel):
        return dataclasses.replace(stored.delivery, contact_id=contact, channel=channel)

    both = [to("a", Channel.EMAIL), to("a", Channel.SMS)]
    alone = [to("b", Channel.SMS)]
    kept = under_sms_policy(alert, both + alone, "urgent")
    assert [(d.contact_id, d.channel) for d in kept] == [("a", "email"), ("b", "sms")]
    assert under_sms_policy(alert, both + alone, "all") == both + alone
    escalated = alert.escalated(1, T0)
    rung: list[Delivery] = [dataclasses.replace(d, alert=escalated) for d in both]
    assert under_sms_policy(escalated, rung, "urgent") == rung


def test_every_sms_of_every_kind_fits_one_latin_part(pipeline, stores):
    reference = submit(pipeline, urgent=True)
    pipeline.run_until_idle(T0)
    (stored, *_) = stores.deliveries.of_case(reference)
    # As long as a deployed link gets: a custom domain and a full token.
    ack = "https://homeward.example.org/ack/" + "A1b2C3d4E5" * 4
    alerts = [
        stored.delivery.alert,
        stored.delivery.alert.escalated(4, T0),
        dataclasses.replace(stored.delivery.alert, purpose="match-confirmed-HW-AB12-CD34"),
    ]
    for alert in alerts:
        for language in ("uk", "en", "ru"):
            text = render_sms(alert, language, ack, one_part=True)
            assert is_gsm7(text) and segments(text) == 1, text
            assert ack in text
    # Ukrainian readers get Ukrainian, in the passport's Latin letters (KMU 2010).
    text = render_sms(stored.delivery.alert, "uk", ack, one_part=True)
    assert "Pidtverdit" in text and "TERMINOVO" in text
