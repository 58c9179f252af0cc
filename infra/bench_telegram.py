"""`python -m infra.bench telegram`: seconds from a reporter's last answer in Telegram (the
"send" button, through the local stand-in of the Bot API) to the first alert sent.

In-process, on the embedded AWS: the stand-in posts the update to the webhook route
(chalice's test client), then the Telegram queue, the table's stream and the delivery
queue are pumped as the local runner's loops do, without their polling pauses, until the
emulated SES or SNS has sent something. The baseline is the same path for the form: its
post to the first alert, in the same process.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def _first_alert(pump, sent_before: int) -> None:
    from infra.local.outbox import sent_messages

    for _ in range(200):
        pump.pump_telegram()
        pump.pump_stream()
        pump.pump_queue()
        if len(sent_messages()) > sent_before:
            return
    raise RuntimeError("no alert was sent")


def run(rounds: int = 3) -> dict:
    import os

    os.environ["HOMEWARD_SIGNING_KEY"] = "bench"
    sys.path.insert(0, str(ROOT / "tests"))
    from chalice.test import Client
    from formdata import form_fields, form_key

    from chalicelib import wiring
    from chalicelib.domain import conversation as talk
    from chalicelib.domain.keyring import Purpose, derived
    from infra.local import emulator
    from infra.local.outbox import sent_messages
    from infra.local.pump import EventPump
    from infra.local.telegram import TelegramStandIn

    # The form's keys have a key of their own, derived from the stage's as a local run does
    # (issue 23): a form key signed with the signing key itself is refused (400).
    form_keys = derived(b"bench", Purpose.FORM_KEYS).encode()
    bot, form = [], []
    with emulator.in_process("local", HOMEWARD_RATE_LIMIT="1000") as outputs:
        import app

        pump = EventPump(app, outputs, emulator.REGION)
        with Client(app.app, stage_name="local") as client:
            stand_in = TelegramStandIn(
                deliver=lambda body, headers: (
                    client.http.post("/telegram/webhook", headers=headers, body=body).status_code
                )
            )
            os.environ.update(
                {
                    "HOMEWARD_TELEGRAM_API_URL": stand_in.serve(),
                    "HOMEWARD_TELEGRAM_BOT_TOKEN": stand_in.token,
                    "HOMEWARD_TELEGRAM_WEBHOOK_SECRET": "bench-secret",
                }
            )
            wiring.reset()
            wiring.telegram_bot().set_webhook("http://127.0.0.1/telegram/webhook", "bench-secret")
            for chat in range(1, rounds + 1):
                stand_in.send_text(chat, "/start")
                pump.run_until_idle()
                for _ in range(60):
                    found = wiring.conversations().get(f"telegram:{chat}", dt.datetime.now(dt.UTC))
                    if found is None or found.asking is None:
                        break
                    buttons = stand_in.buttons(chat)
                    if found.asking == "reporter.may_contact":
                        stand_in.press(chat, "no")
                    elif found.asking == "child.date_of_birth":
                        stand_in.send_text(chat, "14.03.2012")
                    elif buttons:
                        stand_in.press(chat, buttons[0])
                    else:
                        stand_in.send_text(chat, f"Ковальчук{chat}")
                    pump.run_until_idle()
                before = len(sent_messages())
                start = time.perf_counter()
                stand_in.press(chat, talk.SEND)
                _first_alert(pump, before)
                bot.append(time.perf_counter() - start)
                pump.run_until_idle()

                before = len(sent_messages())
                start = time.perf_counter()
                answer = client.http.post(
                    "/report",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    body=urlencode(
                        form_fields(submission_key=form_key(f"bench-{chat}", signing_key=form_keys))
                    ),
                )
                if answer.status_code >= 400:  # a refused form would never alert: say why
                    raise RuntimeError(f"the form was refused: {answer.status_code}")
                _first_alert(pump, before)
                form.append(time.perf_counter() - start)
                pump.run_until_idle()
            stand_in.stop()
    return {"bot": statistics.median(bot), "form": statistics.median(form)}


def bench_telegram(rounds: int = 3) -> None:
    # (infra/bench.py's heading, written out: bench.py imports this module)
    print(
        "\n== seconds from the last answer in Telegram (the local stand-in) to the first "
        "alert, vs the form's post to its first alert (in-process, pumped without pauses, "
        f"median)\n   $ {sys.executable} -m infra.bench telegram"
    )
    figures = run(rounds)
    print(
        f"   bot: {figures['bot']:.2f} s   form (baseline): {figures['form']:.2f} s   "
        f"ratio {figures['bot'] / figures['form']:.2f}"
    )
