"""Stream, queue and schedule entry points: each turns an AWS event into service calls.

They report partial failures (`batchItemFailures`) so that one bad record is retried or
parked on its own instead of blocking the rest; infra/package.py enables that in the
merged CloudFormation. Errors are logged by kind and place only (chalicelib/logs.py).

Every Lambda function imports app.py, so each handler imports what it needs when it
runs: the scheduler's cold start does not pay for the report models, nor the API's for
the sender's templates.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import wiring
from chalicelib.logs import describe

log = logging.getLogger("homeward.handlers")


def dispatch_alerts(event: Any) -> dict[str, list]:
    """The case table's stream: every new alert (outbox item) becomes its deliveries."""
    from chalicelib.adapters.dynamo import stream
    from chalicelib.services import dispatch

    for record in event:
        kind, values = stream.new_item(record)
        if kind != "alert":
            continue
        try:
            dispatch.dispatch(
                stream.new_alert(values),
                stores=wiring.stores(),
                queue=wiring.delivery_queue(),
                directory=wiring.directory(),
                settings=wiring.settings(),
            )
        except Exception as exc:
            log.error("alert of %s not dispatched: %s", values.get("reference"), describe(exc))
            # Streams are ordered: Lambda retries from the first failed record onwards.
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}


def follow_up_new_items(event: Any) -> dict[str, list]:
    """The case table's stream, everything but alerts: a new case is matched with earlier
    reports, a reporter's withdrawal is carried out, a webhook owed to a partner is queued.

    One reader for the three (DynamoDB Streams throttle above two readers per shard; the
    alert dispatcher is the other), and the same promise as three: records are handled in
    order and, at the first failure, that record and the rest are left for Lambda's retry.
    Every follow-up is safe to repeat (a pair, a withdrawal, a queued webhook).
    """
    from chalicelib.adapters.dynamo import stream

    for record in event:
        kind, values = stream.new_item(record)
        follow_up = FOLLOW_UPS.get(kind)
        if follow_up is None:
            continue
        try:
            follow_up(values)
        except Exception as exc:
            log.error(
                "%s %s not followed up: %s",
                kind,
                values.get("reference") or values.get("event_id"),
                describe(exc),
            )
            # Streams are ordered: Lambda retries from the first failed record onwards.
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}


def _match(values: dict[str, Any]) -> None:
    """A new case, compared with earlier reports."""
    from chalicelib.adapters.dynamo import stream
    from chalicelib.services import matching

    case = stream.new_case(values)
    findings = matching.find_matches(case.reference, case.report, stores=wiring.stores())
    wiring.metrics().add("MatchesFound", findings.pairs)


def _carry_out_withdrawal(values: dict[str, Any]) -> None:
    """A reporter's withdrawal (asked for on the public status page, which may not erase)."""
    from chalicelib.services import erasure

    erasure.withdraw_consent(
        values["reference"],
        stores=wiring.stores(),
        directory=wiring.directory().current(),
        request_id=values["request_id"],
    )


def _queue_webhook(values: dict[str, Any]) -> None:
    """A webhook owed to a partner, onto its queue."""
    from chalicelib.adapters.dynamo import stream
    from chalicelib.services import webhooks

    webhooks.queue_event(stream.new_webhook(values), queue=wiring.webhook_queue())


# What follow_up_new_items does with each kind of new item; infra/package.py wakes it for
# these kinds only (an event filter).
FOLLOW_UPS = {"case": _match, "withdrawal": _carry_out_withdrawal, "webhook": _queue_webhook}


def send_deliveries(event: Any) -> dict[str, list]:
    """The delivery queue: send each delivery; failed messages come back on their own."""
    from chalicelib.adapters.queue import parse_message
    from chalicelib.services import delivery

    failures = []
    for record in event:
        raw = record.to_dict()
        attempt = int(raw.get("attributes", {}).get("ApproximateReceiveCount", 1))
        try:
            reference, delivery_id = parse_message(record.body)
            delivery.deliver(
                reference,
                delivery_id,
                attempt=attempt,
                stores=wiring.stores(),
                channels=wiring.channels(),
                metrics=wiring.metrics(),
            )
        except delivery.RetryLater:
            failures.append({"itemIdentifier": raw["messageId"]})
            _back_off(raw["receiptHandle"], attempt)
        except Exception as exc:
            log.error("delivery message %s failed: %s", raw.get("messageId"), describe(exc))
            failures.append({"itemIdentifier": raw["messageId"]})
    return {"batchItemFailures": failures}


def _back_off(receipt_handle: str, attempt: int) -> None:
    """Exponential backoff with jitter: 1, 2, 4... times the base, at most 15 minutes."""
    import random

    base = wiring.settings().retry_base_seconds
    seconds = min(900, base * 2 ** (attempt - 1))
    seconds = int(seconds * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not secrecy
    try:
        wiring.delivery_queue().retry_later(receipt_handle, seconds)
    except Exception as exc:  # the queue's own visibility timeout still brings it back
        log.warning("could not delay a retry: %s", describe(exc))


def send_webhooks(event: Any) -> dict[str, list]:
    """The webhook queue: one signed post per message; a failed one comes back after its
    backoff, the last failure is parked where coordinators see it."""
    import random

    from chalicelib.adapters.webhooks import parse_message
    from chalicelib.domain.webhooks import backoff_seconds
    from chalicelib.services import webhooks

    failures = []
    for record in event:
        raw = record.to_dict()
        try:
            client_id, event_id = parse_message(record.body)
            attempt = webhooks.deliver(
                client_id,
                event_id,
                stores=wiring.stores(),
                settings=wiring.settings(),
                poster=wiring.webhook_poster(),
            )
        except Exception as exc:
            log.error("webhook message %s failed: %s", raw.get("messageId"), describe(exc))
            failures.append({"itemIdentifier": raw["messageId"]})
            continue
        if attempt.outcome == "retry":
            failures.append({"itemIdentifier": raw["messageId"]})
            jitter = random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not secrecy
            try:
                wiring.webhook_queue().retry_later(
                    raw["receiptHandle"], backoff_seconds(attempt.attempts, jitter)
                )
            except Exception as exc:  # the queue's visibility timeout still brings it back
                log.warning("could not delay a webhook's retry: %s", describe(exc))
    return {"batchItemFailures": failures}


def requeue_stale_deliveries(event: Any) -> int:
    """Every minute: deliveries whose queue message went missing are queued again."""
    from chalicelib.services import delivery

    return delivery.requeue_stale(stores=wiring.stores(), queue=wiring.delivery_queue())


def escalate_unacknowledged(event: Any) -> int:
    """Every minute: alerts nobody acknowledged in time go one rung up the ladder."""
    from chalicelib.services import escalation

    escalated = escalation.escalate_unacknowledged(
        stores=wiring.stores(), directory=wiring.directory().current(), settings=wiring.settings()
    )
    wiring.metrics().add("Escalations", escalated)
    return escalated


def record_delivery_events(event: Any) -> bool:
    """The SES events topic (one message an invocation): an alert's e-mail that bounced,
    drew a complaint or was rejected fails its delivery, and its alert goes to the next
    rung now. False for mail that is no alert's, or an event that is no refusal."""
    from chalicelib.adapters.channels import ses_event
    from chalicelib.services import delivery

    found = ses_event(event.message)
    if found is None:
        return False
    reference, delivery_id, reason = found
    return delivery.refused_after_sending(
        reference, delivery_id, reason, stores=wiring.stores(), metrics=wiring.metrics()
    )


def record_sms_replies(event: Any) -> bool:
    """The two-way number's topic (one message an invocation): a contact's reply to an
    alert's SMS with its code marks that delivery seen, as its link would. False for
    anything else, which is ignored and counted (services/acknowledgement.py)."""
    from chalicelib.adapters.channels import inbound_sms
    from chalicelib.services import acknowledgement

    found = inbound_sms(event.message)
    if found is None:
        wiring.metrics().add("SmsRepliesIgnored", channel="sms")
        return False
    sender, text, message_id = found
    return (
        acknowledgement.by_sms_reply(
            sender,
            text,
            stores=wiring.stores(),
            request_id=f"sms-{message_id}",
            metrics=wiring.metrics(),
        )
        is not None
    )


def flush_metrics(event: Any, get_response: Any) -> Any:
    """Chalice middleware around every function: what the invocation counted is written
    once, as it ends (adapters/metrics.py)."""
    try:
        return get_response(event)
    finally:
        if wiring.metrics.cache_info().currsize:
            wiring.metrics().flush()


def send_daily_digest(event: Any) -> int:
    """Every morning: the coordinators' digest of new reports and unacknowledged alerts."""
    from chalicelib.services import escalation

    return escalation.daily_digest(
        stores=wiring.stores(),
        coordinators=wiring.directory().current().coordinators,
        email=wiring.channels().email,
    )


def anchor_custody(event: Any) -> int:
    """Every day: one RFC 3161 time stamp over every evidence chain's head (a Merkle
    root); the number of chains it covers."""
    import datetime as dt

    from chalicelib.services import evidence

    stamp = wiring.time_stamper()
    if stamp is None:
        log.warning("no Time-Stamp Authority is configured: custody chains not anchored")
        return 0
    made = evidence.anchor(wiring.stores(), stamp, dt.datetime.now(dt.UTC).date().isoformat())
    return made.leaves if made else 0


def send_import_digests(event: Any) -> int:
    """Every minute: each closed import batch's recipients get their one digest."""
    from chalicelib.services import imports

    channels = wiring.channels()
    return imports.send_digests(
        stores=wiring.stores(),
        directory=wiring.directory().current(),
        email=channels.email,
        sms=channels.sms,
    )


def anonymise_expired(event: Any) -> int:
    """Every hour: cases whose retention ran out are anonymised, a bounded few per run."""
    from chalicelib.services import retention

    return retention.anonymise_expired(
        stores=wiring.stores(), files=wiring.file_store(), settings=wiring.settings()
    )


def alert_overdue_follow_ups(event: Any) -> int:
    """Every hour: a returned child's follow-up gone late alerts the case's desk (once)."""
    import datetime as dt

    from chalicelib.services import aftercare

    settings = wiring.settings()
    return aftercare.alert_overdue_follow_ups(
        stores=wiring.stores(), policy=settings.follow_ups, now=dt.datetime.now(dt.UTC)
    )


def handle_telegram_updates(event: Any) -> dict[str, list]:
    """The Telegram bot's queue: each update a step of its chat's conversation."""
    from chalicelib.web import telegram_bot

    return telegram_bot.handle_updates(event)


def tidy_telegram_chats(event: Any) -> int:
    """Every minute: conversations whose time came deleted from their chats."""
    from chalicelib.web import telegram_bot

    return telegram_bot.tidy_due()
