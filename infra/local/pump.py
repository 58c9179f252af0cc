"""Drives the app's stream, queue and schedule handlers as Lambda would, against moto.

`chalice local` serves HTTP routes only. The pump reads the table's stream and the
delivery queue, builds events shaped as AWS shapes them (including a distinct messageId
per SQS record and real stream sequence numbers), calls the handlers, and honours their
partial batch responses: failed SQS messages stay on the queue for their visibility
timeout and end in the dead-letter queue after maxReceiveCount; failed stream records are
retried from the first failure, then sent to the on-failure queue.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("homeward.local")

STREAM_RETRIES = 3


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class StreamConsumer:
    handler: str
    batch_size: int
    backlog: list[dict] = field(default_factory=list)
    attempts: int = 0
    iterators: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class EventPump:
    def __init__(self, app_module: Any, outputs: dict[str, str], region: str) -> None:
        import boto3

        self._app = app_module
        self._outputs = outputs
        self._region = region
        self._streams = boto3.client("dynamodbstreams", region_name=region)
        self._sqs = boto3.client("sqs", region_name=region)
        self._stream_arn = outputs["TableStreamArn"]
        self._iterators: dict[str, str] = {}
        # app.py's stream handlers, with the batch sizes it declares: its two readers.
        self._consumers = [
            StreamConsumer("dispatch_alerts", 25),
            StreamConsumer("follow_up_new_items", 10),
        ]

    # -- DynamoDB stream -> dispatcher -----------------------------------------------

    def _shard_records(self, iterators: dict[str, str] | None = None) -> list[dict]:
        """New records since the last call, for one reader (its own shard positions)."""
        iterators = self._iterators if iterators is None else iterators
        if not iterators:
            description = self._streams.describe_stream(StreamArn=self._stream_arn)
            for shard in description["StreamDescription"]["Shards"]:
                iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON",
                )["ShardIterator"]
        records: list[dict] = []
        for shard_id, iterator in list(iterators.items()):
            response = self._streams.get_records(ShardIterator=iterator, Limit=100)
            iterators[shard_id] = response["NextShardIterator"]
            records.extend(self._lambda_record(r) for r in response["Records"])
        return records

    def _lambda_record(self, record: dict) -> dict:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, dt.datetime):
            change["ApproximateCreationDateTime"] = created.timestamp()
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": change,
            "eventSourceARN": self._stream_arn,
        }

    def pump_stream(self, handler: str | None = None) -> int:
        """Hand new stream records to the stream handlers; return how many were handled.

        Each handler reads the stream on its own, as each Lambda's event source mapping
        does: one that is slow or keeps failing holds back only itself. The local runner
        gives each its own thread (`handler`); tests pump them all in turn.
        """
        handled = 0
        for consumer in self._consumers:
            if handler in (None, consumer.handler):
                with consumer.lock:
                    consumer.backlog += self._shard_records(consumer.iterators)
                    handled += self._feed(consumer)
        return handled

    @property
    def stream_handlers(self) -> list[str]:
        return [c.handler for c in self._consumers]

    def _feed(self, consumer: StreamConsumer) -> int:
        handled = 0
        handler = getattr(self._app, consumer.handler)
        while consumer.backlog:
            batch = consumer.backlog[: consumer.batch_size]
            response = handler({"Records": batch}, LambdaContext(f"homeward-{consumer.handler}"))
            failures = (response or {}).get("batchItemFailures") or []
            if not failures:
                handled += len(batch)
                consumer.backlog = consumer.backlog[len(batch) :]
                consumer.attempts = 0
                continue
            first = failures[0]["itemIdentifier"]
            index = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == first)
            handled += index
            failed = batch[index:]
            consumer.backlog = consumer.backlog[index:]
            consumer.attempts += 1
            if consumer.attempts > STREAM_RETRIES:
                self._send_to_failure_queue(failed)
                consumer.backlog = consumer.backlog[len(failed) :]
                consumer.attempts = 0
                continue
            return handled  # the rest waits for the next pump, as Lambda's retry does
        return handled

    def _send_to_failure_queue(self, records: list[dict]) -> None:
        # Like Lambda's on-failure destination: the location of the records, not their data.
        url = self._sqs.get_queue_url(
            QueueName=self._outputs["StreamFailureQueueArn"].rsplit(":", 1)[1]
        )["QueueUrl"]
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        self._sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(
                {"streamArn": self._stream_arn, "sequenceNumbers": sequence_numbers}
            ),
        )
        log.error("%d stream records parked after %d attempts", len(records), STREAM_RETRIES)

    # -- SQS -> sender ------------------------------------------------------------------

    def pump_queue(self, wait_seconds: int = 0) -> int:
        """Hand one batch of visible delivery messages to the sender; return its size."""
        return self._pump("Delivery", "send_deliveries", wait_seconds)

    def pump_webhooks(self, wait_seconds: int = 0) -> int:
        """Hand one batch of visible webhook messages to their sender; return its size."""
        return self._pump("Webhook", "send_webhooks", wait_seconds)

    def pump_telegram(self, wait_seconds: int = 0) -> int:
        """Hand one batch of queued Telegram updates to the bot's worker."""
        return self._pump("Telegram", "handle_telegram_updates", wait_seconds)

    def tidy_telegram_chats(self) -> Any:
        return self._schedule("tidy_telegram_chats")

    def _pump(self, queue: str, handler: str, wait_seconds: int) -> int:
        url = self._outputs[f"{queue}QueueUrl"]
        response = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": self._outputs[f"{queue}QueueArn"],
                "awsRegion": self._region,
            }
            for m in messages
        ]
        result = getattr(self._app, handler)(
            {"Records": records}, LambdaContext(f"homeward-{handler}")
        )
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures") or []}
        done = [r for r in records if r["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)
                ],
            )
        return len(records)

    # -- EventBridge schedule --------------------------------------------------------------

    def tick(self) -> Any:
        """The every-minute schedules: lost queue messages, then unacknowledged alerts,
        then the digests of closed import batches."""
        self.tick_escalation()
        requeued = self._schedule("requeue_stale_deliveries")
        self.send_import_digests()
        self.alert_overdue_follow_ups()
        self.tidy_telegram_chats()
        return requeued

    def alert_overdue_follow_ups(self) -> Any:
        return self._schedule("alert_overdue_follow_ups")

    def send_import_digests(self) -> Any:
        return self._schedule("send_import_digests")

    def send_digest(self) -> Any:
        return self._schedule("send_daily_digest")

    def tick_escalation(self) -> Any:
        return self._schedule("escalate_unacknowledged")

    def anchor_custody(self) -> Any:
        """The daily time stamp of every custody chain's head."""
        return self._schedule("anchor_custody")

    def anonymise_expired(self) -> Any:
        """The hourly retention schedule."""
        return self._schedule("anonymise_expired")

    def _schedule(self, handler: str) -> Any:
        now = dt.datetime.now(dt.UTC)
        return getattr(self._app, handler)(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self._region,
                "resources": [
                    f"arn:aws:events:{self._region}:123456789012:rule/homeward-{handler}"
                ],
                "detail": {},
            },
            LambdaContext(f"homeward-{handler}"),
        )

    def run_until_idle(self, rounds: int = 50) -> None:
        """Pump the stream and the queue until neither has anything new (for tests)."""
        for _ in range(rounds):
            moved = self.pump_stream()
            while self.pump_queue():
                moved += 1
            while self.pump_webhooks():
                moved += 1
            while self.pump_telegram():
                moved += 1
            if not moved and not self.pump_stream():
                return
        raise RuntimeError("the pump did not go idle")
