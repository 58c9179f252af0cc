"""The Telegram bot end to end, in-process: the local stand-in of the Bot API
(infra/local/telegram.py) plays the reporter and posts updates to the webhook route; the
queue, the worker, the stream and the senders run as the local runner drives them, on
the emulated AWS."""

import datetime as dt
import json

import pytest
from formdata import form_fields, post_form
from helpers import photo_jpeg
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib.domain import conversation as talk
from chalicelib.web.i18n import gettext_for
from chalicelib.web.telegram_bot import RECEIPT
from infra.local.emulator import REGION
from infra.local.telegram import TelegramStandIn

CHAT = 424242
UK = gettext_for("uk")
RECEIVED = UK(RECEIPT).split("%")[0]  # how the receipt begins, in Ukrainian
TOKEN = "123456:test-token"
SECRET = "webhook-secret-of-the-tests"


@pytest.fixture
def telegram(aws, client, monkeypatch):
    from chalicelib import wiring

    stand_in = TelegramStandIn(
        TOKEN,
        deliver=lambda body, headers: (
            client.http.post("/telegram/webhook", headers=headers, body=body).status_code
        ),
    )
    url = stand_in.serve(port=0)
    monkeypatch.setenv("HOMEWARD_TELEGRAM_API_URL", url)
    monkeypatch.setenv("HOMEWARD_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("HOMEWARD_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("HOMEWARD_TELEGRAM_TIDY_SECONDS", "0")
    wiring.reset()
    # What `homeward telegram set-webhook` does for a deployed stage.
    assert wiring.telegram_bot().set_webhook("https://homeward.example/telegram/webhook", SECRET)
    yield stand_in
    stand_in.stop()


def asking():
    from chalicelib import wiring

    found = wiring.conversations().get(f"telegram:{CHAT}", dt.datetime.now(dt.UTC))
    return found and found.asking


def sent_alerts():
    emails = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    sms = sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages
    return {d for m in emails for d in m.destinations["ToAddresses"]} | {
        value[0] for value in sms.values()
    }


# The reporter's answers: ("text", ...) typed, ("press", ...) a button.
ANSWERS = {
    "urgent": ("press", "no"),
    "child.family_name": ("text", "Ковальчук"),
    "child.given_name": ("text", "Олексанлр"),  # the typo
    "child.patronymic": ("text", "Андрійович"),
    "child.other_names": ("press", talk.DONT_KNOW),
    "child.sex": ("press", "male"),
    "child.date_of_birth": ("press", talk.DONT_KNOW),
    "child.birth_year": ("text", "2012"),
    "child.distinguishing_marks": ("text", "Шрам над лівою бровою"),
    "child.medical_needs": ("press", talk.DONT_KNOW),
    "residence.oblast": ("press", "UA-65"),
    "residence.settlement": ("text", "Олешки"),
    "event.category": ("press", "deported"),
    "event.date": ("text", "20.10.2022"),
    "event.place": ("text", "Школа №2"),
    "event.circumstances": ("text", "Забрали з класом до табору в Криму."),
    "last_known_location.country": ("press", "RU"),
    "last_known_location.region": ("press", talk.DONT_KNOW),
    "last_known_location.settlement": ("press", talk.DONT_KNOW),
    "last_known_location.institution": ("press", talk.DONT_KNOW),
    "reporter.name": ("press", talk.DONT_KNOW),
    "reporter.relationship": ("press", "parent"),
    "reporter.may_contact": ("press", "no"),
    "consent.tracing": ("press", "yes"),
    "consent.share_with_coalition": ("press", "yes"),
    "consent.share_with_authorities": ("press", "yes"),
    "consent.evidence": ("press", "no"),
}


def answer(telegram, pump, how, value):
    if how == "press":
        telegram.press(CHAT, value)
    else:
        telegram.send_text(CHAT, value)
    pump.run_until_idle()


def report_through_the_bot(telegram, pump):
    answer(telegram, pump, "text", "/start")
    for _ in range(40):
        question = asking()
        if question is None:
            return
        if question == talk.FILES:
            telegram.send_photo(CHAT, photo_jpeg())
            pump.run_until_idle()
            answer(telegram, pump, "press", talk.NO_MORE_FILES)
        else:
            answer(telegram, pump, *ANSWERS[question])
    raise AssertionError("the bot kept asking")


def schedule_runs_at_once(dynamodb) -> None:
    """Run the deletion schedule right after a deletion is planned (its item written)."""
    from chalicelib.adapters.dynamo import keys
    from chalicelib.web import telegram_bot

    def planned(params, context, **_):
        context["tidy_planned"] = params.get("Item", {}).get("pk") == {"S": keys.TIDY}

    def run(context, **_):
        if context.get("tidy_planned"):
            telegram_bot.tidy_due(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))

    dynamodb.meta.events.register("before-parameter-build.dynamodb.PutItem", planned)
    dynamodb.meta.events.register("after-call.dynamodb.PutItem", run)


def test_a_report_in_ukrainian_through_the_bot_is_alerted_deleted_looked_up_and_matched(
    aws, client, pump, telegram
):
    import boto3

    from chalicelib import wiring
    from chalicelib.web import telegram_bot

    report_through_the_bot(telegram, pump)
    readback = telegram.texts(CHAT)[-1]
    assert "Олексанлр" in readback and "2012" in readback
    answer(telegram, pump, "press", talk.CHANGE)
    answer(telegram, pump, "press", "child.given_name")
    answer(telegram, pump, "text", "Олександр")
    assert "Олександр" in telegram.texts(CHAT)[-1]

    # The schedule that deletes conversations runs the moment this one's deletion is
    # planned, as it may on a busy stage: the exchange that planned it goes too.
    schedule_runs_at_once(wiring.client("dynamodb"))
    send = telegram.press(CHAT, talk.SEND)
    pump.run_until_idle()
    # Telegram sends the update again (it saw no answer in time), and it reaches the worker
    # even past the queue's own deduplication: nothing is filed or said twice.
    telegram.deliver(send)
    pump.run_until_idle()
    telegram_bot.handle(send, now=dt.datetime.now(dt.UTC))
    (receipt,) = [t for t in telegram.texts(CHAT) if RECEIVED in t]
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    assert len([i for i in items if i["sk"]["S"] == "CASE"]) == 1
    reference = receipt.split(": ")[1].split(".")[0]
    code = receipt.split(": ")[2].split(". ")[0]
    case = wiring.stores().cases.get(reference)
    assert case.report.child.given_name == "Олександр"
    assert case.report.child.birth_year == 2012 and case.report.child.date_of_birth is None
    assert len(wiring.stores().cases.attachments_of(reference)) == 1
    # Alerted as a form report of Kherson is: the south desk, the coordinators, Canada.
    assert {"south@ombudsman.example.org", "coordinator@nib.example.org"} <= sent_alerts()
    assert "Олександр" not in receipt and "Ковальчук" not in receipt  # no name unasked

    # Nobody said to keep it: the schedule deletes the conversation, all but the receipt.
    pump.tidy_telegram_chats()
    assert telegram.texts(CHAT, of_bot=False) == [receipt]
    assert not any("Ковальчук" in t for t in telegram.texts(CHAT, of_bot=False))

    answer(telegram, pump, "text", f"/status {reference} {code}")
    assert telegram.texts(CHAT)[-1].startswith(UK("Received"))

    # The same child reported on the form later is matched with the bot's report.
    post_form(client, form_fields())
    pump.run_until_idle()
    assert wiring.stores().pairs.of_case(reference)


def test_a_webhook_call_without_the_secret_or_with_a_wrong_one_is_refused_and_stores_nothing(
    aws, client, pump, telegram
):
    import boto3

    chat = {"id": 7, "type": "private"}
    update = json.dumps({"update_id": 5, "message": {"message_id": 1, "chat": chat, "text": "/x"}})
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        response = client.http.post(
            "/telegram/webhook",
            headers={"Content-Type": "application/json", **headers},
            body=update,
        )
        assert response.status_code == 401
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["TelegramQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    pump.run_until_idle()
    assert telegram.calls == [("setWebhook", telegram.calls[0][1])]  # nothing was answered


def test_an_abandoned_conversation_files_nothing_and_expires(aws, client, pump, telegram):
    import boto3

    from chalicelib import wiring

    answer(telegram, pump, "text", "/start")
    answer(telegram, pump, "press", "no")
    answer(telegram, pump, "text", "Ковальчук")
    store = wiring.conversations()
    now = dt.datetime.now(dt.UTC)
    assert store.get(f"telegram:{CHAT}", now) is not None
    assert store.get(f"telegram:{CHAT}", now + talk.KEPT_FOR) is None
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    conversation = next(i for i in items if i["pk"]["S"] == f"CONVERSATION#telegram:{CHAT}")
    # The table's TTL removes it: its expiry is KEPT_FOR after the last answer.
    assert int(conversation["expires_at"]["N"]) <= (now + talk.KEPT_FOR).timestamp()
    assert not [i for i in items if i["pk"]["S"].startswith("CASE#")]


def test_set_webhook_points_the_bot_at_a_stage_with_the_stacks_secret(aws, tmp_path):
    import boto3

    from chalicelib.cli import telegram as command

    stand_in = TelegramStandIn("987:real-looking-token")
    url = stand_in.serve(port=0)
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(
        Name="homeward/test/telegram",
        SecretString=json.dumps({"bot_token": "", "webhook_secret": "generated-secret"}),
    )["ARN"]
    outputs = {"TelegramBotSecretArn": arn, "FormUrl": "https://homeward.example.org/"}
    try:
        with pytest.raises(command.Failed, match="no token"):
            command.set_webhook(secrets, outputs, api_url=url)
        token = tmp_path / "token"
        token.write_text("987:real-looking-token\n")
        hook = command.set_webhook(secrets, outputs, api_url=url, token_file=token)
    finally:
        stand_in.stop()
    assert hook == stand_in.webhook_url == "https://homeward.example.org/telegram/webhook"
    assert stand_in.webhook_secret == "generated-secret"
    stored = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    assert stored == {"bot_token": "987:real-looking-token", "webhook_secret": "generated-secret"}


def test_a_read_back_longer_than_telegram_takes_is_sent_in_parts():
    from chalicelib.web.telegram_bot import split_text

    lines = [f"{n}: " + "я" * 997 for n in range(9)]  # 9,000 characters and more
    parts = split_text("\n".join(lines))
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 3
    assert "\n".join(parts) == "\n".join(lines)  # nothing lost, cut at line ends
    assert split_text("я" * 5000) == ["я" * 4096, "я" * 904]
