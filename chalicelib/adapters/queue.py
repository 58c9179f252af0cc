"""The delivery queue (SQS): one message per delivery, consumed by the sender."""

from __future__ import annotations

import json
from typing import Any


class DeliveryQueueError(Exception):
    pass


class DeliveryQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def enqueue(self, deliveries: list[tuple[str, str]]) -> None:
        """Queue (reference, delivery id) pairs; raise unless every one was accepted."""
        for start in range(0, len(deliveries), 10):
            chunk = deliveries[start : start + 10]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {
                        "Id": str(i),
                        "MessageBody": json.dumps({"reference": ref, "delivery": delivery_id}),
                    }
                    for i, (ref, delivery_id) in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                codes = sorted({f.get("Code", "?") for f in response["Failed"]})
                raise DeliveryQueueError(f"{len(response['Failed'])} not queued: {codes}")

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        """Bring a message back after `seconds` rather than the queue's visibility timeout."""
        self._client.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


def parse_message(body: str) -> tuple[str, str]:
    message = json.loads(body)
    return message["reference"], message["delivery"]
