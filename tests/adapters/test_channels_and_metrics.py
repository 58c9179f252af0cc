"""The channels' side of failed deliveries (SES tags and events, SNS's opt-out refusal)
and the metrics' EMF lines. moto's SNS never raises OptedOutException and its SES keeps
no tags, so botocore's Stubber answers as AWS does."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.channels import (
    EmailChannel,
    SmsChannel,
    delivery_of_tags,
    delivery_tags,
    ses_event,
)
from chalicelib.adapters.metrics import EmfMetrics
from chalicelib.domain.alerts import PermanentSendError, TransientSendError

REFERENCE = "HW-AB12-CD34"
DELIVERY = "report-received~2/coord-ua-nib/email"


def _client(service):
    return boto3.client(
        service,
        region_name="eu-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_an_opted_out_phone_is_refused_for_good_with_a_reason_coordinators_can_act_on():
    sns = _client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("publish", "OptedOutException", "Phone number is opted out")
        with pytest.raises(PermanentSendError, match="opted out of SMS"):
            SmsChannel(sns).send("+380501112233", "Homeward HW-AB12-CD34")
        stub.add_client_error("publish", "Throttling", http_status_code=400)
        with pytest.raises(TransientSendError):
            SmsChannel(sns).send("+380501112233", "Homeward HW-AB12-CD34")


def test_an_sms_is_transactional_and_carries_the_stages_price_ceiling():
    sns = _client("sns")
    with Stubber(sns) as stub:
        attributes = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.MaxPrice": {"DataType": "Number", "StringValue": "0.12"},
        }
        expected = {"PhoneNumber": "+380501112233", "Message": "m", "MessageAttributes": attributes}
        stub.add_response("publish", {"MessageId": "s-1"}, expected)
        assert SmsChannel(sns, "0.12").send("+380501112233", "m") == "s-1"


def test_an_alert_email_goes_through_the_configuration_set_tagged_with_its_delivery():
    ses = _client("ses")
    channel = EmailChannel(ses, "alerts@homeward.example.org", "homeward-prod-alerts")
    with Stubber(ses) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "m-1"},
            {
                "Source": "alerts@homeward.example.org",
                "Destination": {"ToAddresses": ["desk@example.org"]},
                "Message": {
                    "Subject": {"Data": "s", "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": "t", "Charset": "UTF-8"}},
                },
                "ConfigurationSetName": "homeward-prod-alerts",
                "Tags": delivery_tags(REFERENCE, DELIVERY),
            },
        )
        assert channel.send("desk@example.org", "s", "t", about=(REFERENCE, DELIVERY)) == "m-1"


def test_tags_hold_only_what_ses_allows_and_come_back_whole():
    tags = delivery_tags(REFERENCE, DELIVERY)
    for tag in tags:
        assert all(c.isascii() and (c.isalnum() or c in "_-") for c in tag["Value"]), tag
    as_in_event = {t["Name"]: [t["Value"]] for t in tags}
    assert delivery_of_tags(as_in_event) == (REFERENCE, DELIVERY)
    assert delivery_of_tags({}) is None
    assert delivery_of_tags({"reference": [REFERENCE], "delivery": ["%%%"]}) is None


def _event(kind, **extra):
    tags = {t["Name"]: [t["Value"]] for t in delivery_tags(REFERENCE, DELIVERY)}
    return json.dumps({"eventType": kind, "mail": {"messageId": "m-1", "tags": tags}, **extra})


def test_bounces_complaints_and_rejects_are_refusals_other_events_and_mail_are_not():
    bounce = {"bounce": {"bounceType": "Permanent", "bounceSubType": "NoEmail"}}
    assert ses_event(_event("Bounce", **bounce)) == (
        REFERENCE,
        DELIVERY,
        "bounced (Permanent/NoEmail)",
    )
    complaint = {"complaint": {"complaintFeedbackType": "abuse"}}
    assert ses_event(_event("Complaint", **complaint))[2] == "complained (abuse)"
    assert ses_event(_event("Reject"))[2].startswith("rejected")
    assert ses_event(_event("Delivery")) is None
    # An identity's own notifications (notificationType) read the same way.
    legacy = json.loads(_event("Bounce", **bounce))
    legacy["notificationType"] = legacy.pop("eventType")
    assert ses_event(json.dumps(legacy))[2] == "bounced (Permanent/NoEmail)"
    # The digest and anything else carry no delivery's tags.
    untagged = json.dumps({"eventType": "Bounce", "mail": {"messageId": "m-2"}})
    assert ses_event(untagged) is None
    assert ses_event("not json") is None


def test_metrics_are_emf_lines_by_stage_and_by_channel_with_nothing_personal():
    lines = []
    metrics = EmfMetrics("prod", write=lines.append)
    metrics.add("ReportsAccepted")
    metrics.add("DeliveriesSent", channel="email")
    metrics.add("DeliveriesSent", channel="email")
    metrics.add("DeliveriesFailed", channel="sms")
    metrics.add("AcknowledgementSeconds", 42.5, unit="Seconds", channel="email")
    assert metrics.flush() == 3
    documents = {d.get("Channel"): d for d in map(json.loads, lines)}
    plain, email, sms = documents[None], documents["email"], documents["sms"]
    (directive,) = plain["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Homeward"
    assert directive["Dimensions"] == [["Stage"]]
    assert plain["Stage"] == "prod" and plain["ReportsAccepted"] == 1
    (directive,) = email["_aws"]["CloudWatchMetrics"]
    # By stage as well: the operators' DeliveriesFailed alarm watches the stage alone.
    assert directive["Dimensions"] == [["Stage"], ["Stage", "Channel"]]
    assert email["DeliveriesSent"] == 2 and email["AcknowledgementSeconds"] == [42.5]
    assert {"Name": "AcknowledgementSeconds", "Unit": "Seconds"} in directive["Metrics"]
    assert sms["DeliveriesFailed"] == 1
    for document in documents.values():
        assert set(document) - {"_aws", "Stage", "Channel"} <= {
            "ReportsAccepted",
            "DeliveriesSent",
            "DeliveriesFailed",
            "AcknowledgementSeconds",
        }
    # Flushed once: the next invocation starts from nothing.
    assert metrics.flush() == 0
