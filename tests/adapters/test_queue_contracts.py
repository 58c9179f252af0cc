"""The delivery and webhook queues' contract, on the fake and on SQS (moto): every pair
queued arrives once, however many are queued at a time (SQS takes ten a call)."""

import boto3
import pytest
from fakes import FakeQueue

PAIRS = [(f"HW-2222-{n:04d}", f"d-{n}") for n in range(23)]


@pytest.fixture(params=["fake", "sqs"])
def queues(request):
    """{name: (the queue, read() -> the pairs it holds)} for deliveries and webhooks."""
    if request.param == "fake":
        deliveries, webhooks = FakeQueue(), FakeQueue(max_receives=10)

        def held(queue):
            return lambda: sorted(tuple(m["body"]) for m in queue.receive())

        return {
            "deliveries": (deliveries, held(deliveries)),
            "webhooks": (webhooks, held(webhooks)),
        }
    outputs = request.getfixturevalue("aws")
    from chalicelib import wiring
    from chalicelib.adapters.queue import parse_message as delivery
    from chalicelib.adapters.webhooks import parse_message as webhook

    sqs = boto3.client("sqs")

    def held(url, parse):
        def read():
            found = []
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages"
            ):
                found += [parse(m["Body"]) for m in messages]
            return sorted(found)

        return read

    return {
        "deliveries": (
            wiring.delivery_queue(),
            held(outputs["DeliveryQueueUrl"], delivery),
        ),
        "webhooks": (wiring.webhook_queue(), held(wiring.settings().webhook_queue_url, webhook)),
    }


def test_every_pair_queued_arrives_once(queues):
    for name, (queue, read) in queues.items():
        assert read() == [], name
        queue.enqueue(PAIRS)
        queue.enqueue([])
        assert read() == sorted(PAIRS), name
