"""Stream, queue and schedule entry points: each turns an AWS event into service calls.

They report partial failures (`batchItemFailures`) so that one bad record is retried or
parked on its own instead of blocking the rest; infra/package.py enables that in the
merged CloudFormation.

Every Lambda function imports app.py, so each handler imports what it needs when it
runs: the scheduler's cold start does not pay for the report models, nor the API's for
the sender's templates.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import wiring

log = logging.getLogger("homeward.handlers")


def describe(exc: BaseException) -> str:
    """An error's kind, without its message: messages can echo personal data."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return f"{type(exc).__name__}({exc.response.get('Error', {}).get('Code')})"
    return type(exc).__name__


def dispatch_alerts(event: Any) -> dict[str, list]:
    """The case table's stream: every new alert (outbox item) becomes its deliveries."""
    from chalicelib import config
    from chalicelib.adapters.dynamo import alert_from_item, from_item
    from chalicelib.services import dispatch

    for record in event:
        if record.event_name != "INSERT" or not record.new_image:
            continue
        image = from_item(record.new_image)
        if image.get("kind") != "alert":
            continue
        try:
            dispatch.dispatch(
                alert_from_item(image),
                repository=wiring.repository(),
                queue=wiring.delivery_queue(),
                directory=wiring.directory(),
                settings=config.settings(),
            )
        except Exception as exc:
            log.error("alert %s not dispatched: %s", image.get("reference"), describe(exc))
            # Streams are ordered: Lambda retries from the first failed record onwards.
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}


def find_matches(event: Any) -> dict[str, list]:
    """The case table's stream: every new case is compared with earlier reports."""
    from chalicelib.adapters.dynamo import from_item
    from chalicelib.domain.report import Report
    from chalicelib.services import matching

    for record in event:
        if record.event_name != "INSERT" or not record.new_image:
            continue
        image = from_item(record.new_image)
        if image.get("kind") != "case":
            continue
        try:
            matching.find_matches(
                image["reference"],
                Report.model_validate_json(image["report"]),
                matchbook=wiring.matchbook(),
            )
        except Exception as exc:
            log.error("case %s not matched: %s", image.get("reference"), describe(exc))
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}


def send_deliveries(event: Any) -> dict[str, list]:
    """The delivery queue: send each delivery; failed messages come back on their own."""
    from chalicelib.adapters.queue import parse_message
    from chalicelib.services import delivery

    channels = delivery.Channels(
        email=wiring.email_channel(), sms=wiring.sms_channel(), ack_link=wiring.ack_link
    )
    failures = []
    for record in event:
        raw = record.to_dict()
        try:
            reference, delivery_id = parse_message(record.body)
            delivery.deliver(
                reference,
                delivery_id,
                attempt=int(raw.get("attributes", {}).get("ApproximateReceiveCount", 1)),
                repository=wiring.repository(),
                channels=channels,
            )
        except delivery.RetryLater:
            failures.append({"itemIdentifier": raw["messageId"]})
            _back_off(raw)
        except Exception as exc:
            log.error("delivery message %s failed: %s", raw.get("messageId"), describe(exc))
            failures.append({"itemIdentifier": raw["messageId"]})
    return {"batchItemFailures": failures}


def _back_off(raw: dict) -> None:
    """Exponential backoff with jitter: 1, 2, 4... times the base, at most 15 minutes."""
    import random

    from chalicelib import config

    attempt = int(raw.get("attributes", {}).get("ApproximateReceiveCount", 1))
    base = config.settings().retry_base_seconds
    seconds = min(900, base * 2 ** (attempt - 1))
    seconds = int(seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not secrecy
    try:
        wiring.delivery_queue().retry_later(raw["receiptHandle"], seconds)
    except Exception as exc:  # the queue's own visibility timeout still brings it back
        log.warning("could not delay a retry: %s", describe(exc))


def requeue_stale_deliveries(event: Any) -> int:
    """Every minute: deliveries whose queue message went missing are queued again."""
    from chalicelib.services import delivery

    return delivery.requeue_stale(repository=wiring.repository(), queue=wiring.delivery_queue())


def escalate_unacknowledged(event: Any) -> int:
    """Every minute: alerts nobody acknowledged in time go one rung up the ladder."""
    from chalicelib import config
    from chalicelib.services import escalation

    return escalation.escalate_unacknowledged(
        repository=wiring.repository(),
        directory=wiring.directory().current(),
        settings=config.settings(),
    )


def send_daily_digest(event: Any) -> int:
    """Every morning: the coordinators' digest of new reports and unacknowledged alerts."""
    from chalicelib.services import escalation

    return escalation.daily_digest(
        repository=wiring.repository(),
        coordinators=wiring.directory().current().coordinators,
        email=wiring.email_channel(),
    )
