"""The ConversationStore port's contract, on the fake and on DynamoDB (moto)."""

import datetime as dt

import boto3
import pytest
from fakes import FakeConversations

from chalicelib.domain import conversation as talk
from chalicelib.domain.conversation import Reply

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["fake", "dynamodb"])
def conversations(request):
    if request.param == "fake":
        return FakeConversations()
    request.getfixturevalue("aws")
    from chalicelib import wiring

    return wiring.conversations()


def started(conversation_id="test:1"):
    conversation, _ = talk.start(conversation_id, "uk", "key-" + conversation_id, T0)
    conversation, _ = talk.hear(conversation, Reply(choice="yes"), T0)
    conversation, _ = talk.hear(conversation, Reply(text="Ковальчук"), T0)
    return conversation


def test_a_conversation_comes_back_as_it_was_saved_until_it_expires(conversations):
    store = conversations
    saved = started()
    store.save(saved)
    assert store.get("test:1", T0 + dt.timedelta(hours=5)) == saved
    assert store.get("test:1", saved.expires_at()) is None
    assert store.get("test:2", T0) is None


def test_a_forgotten_conversation_is_gone(conversations):
    store = conversations
    store.save(started())
    store.forget("test:1")
    assert store.get("test:1", T0) is None
    store.forget("test:1")  # twice is no error


def test_an_update_is_handled_the_first_time_only(conversations):
    store = conversations
    assert store.first_time("telegram#1001", T0, dt.timedelta(days=2))
    assert not store.first_time("telegram#1001", T0, dt.timedelta(days=2))
    assert store.first_time("telegram#1002", T0, dt.timedelta(days=2))


def test_the_answers_are_sealed_in_the_table(aws):
    """What the table (its stream, its backups) holds of a conversation is ciphertext."""
    from chalicelib import wiring

    wiring.conversations().save(started("test:9"))
    table = boto3.client("dynamodb")
    items = table.scan(TableName=aws["TableName"])["Items"]
    found = [i for i in items if "sealed" in i]
    assert found and "Ковальчук".encode() not in found[0]["sealed"]["B"]
    assert "Ковальчук" not in str(items)


def test_a_planned_deletion_comes_due_at_its_time_and_is_dropped(conversations):
    store = conversations
    due = T0 + dt.timedelta(minutes=10)
    store.plan_tidy("test:1", due)
    store.plan_tidy("test:2", due + dt.timedelta(minutes=5))
    assert store.tidies_due(T0) == []
    assert store.tidies_due(due) == [("test:1", due)]
    store.drop_tidy("test:1", due)
    assert store.tidies_due(due + dt.timedelta(hours=1)) == [
        ("test:2", due + dt.timedelta(minutes=5))
    ]
