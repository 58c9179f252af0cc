"""`make run`: Homeward on one machine, with the embedded AWS emulation.

Starts a moto server on loopback, deploys infra/template.yaml into it, seeds the demo
contacts and routing rules, serves the API on 127.0.0.1:8000 (PORT overrides) and drives the stream,
queue and schedule handlers. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

from infra.local import emulator

log = logging.getLogger("homeward.local")
DEMO_HELP_LINE = Path(__file__).resolve().parents[1] / "demo" / "help-line.json"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _loop(
    stop: threading.Event, name: str, step, idle_seconds: float, *, wait_first: bool = False
) -> threading.Thread:
    def run() -> None:
        if wait_first:
            stop.wait(idle_seconds)
        while not stop.is_set():
            try:
                busy = step()
            except Exception as exc:  # keep pumping; the handler already logged the cause
                log.error("%s: %s", name, type(exc).__name__)
                busy = 0
            if not busy:
                stop.wait(idle_seconds)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--contacts", type=Path, default=emulator.DEMO_CONTACTS, help="CSV")
    parser.add_argument("--rules", type=Path, default=emulator.DEMO_RULES, help="JSON")
    parser.add_argument("--senders", type=int, default=4, help="concurrent sender workers")
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        default=float(os.environ.get("HOMEWARD_SCHEDULE_SECONDS", "60")),
        help="how often the scheduled handlers run",
    )
    parser.add_argument(
        "--retention-seconds",
        type=float,
        default=float(os.environ.get("HOMEWARD_RETENTION_SECONDS", "3600")),
        help="how often the retention schedule runs",
    )
    parser.add_argument(
        "--digest-seconds",
        type=float,
        default=float(os.environ.get("HOMEWARD_DIGEST_SECONDS", "86400")),
        help="how often the coordinators' digest goes out",
    )
    parser.add_argument(
        "--anchor-seconds",
        type=float,
        default=float(os.environ.get("HOMEWARD_ANCHOR_SECONDS", "3600")),
        help="how often the daily time stamp of the custody chains is tried (once a day)",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    emulator.set_aws_environment()
    emulator.make_transactions_atomic()
    emulator.read_json_templates_as_json()
    emulator.answer_stream_reads_as_json()
    emulator.share_one_key_pair_among_symmetric_keys()
    from moto.server import ThreadedMotoServer

    moto_port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"
    # Links in alerts (acknowledgement) point at this server, and only its pages may post
    # files to the bucket.
    public_url = os.environ.setdefault("HOMEWARD_PUBLIC_URL", f"http://{args.host}:{args.port}")
    origin = urlsplit(public_url)
    outputs = emulator.deploy("local", public_origin=f"{origin.scheme}://{origin.netloc}")
    # A coordinator's change to contacts or rules routes the next alert within seconds.
    os.environ.setdefault("HOMEWARD_DIRECTORY_CACHE_SECONDS", "2")
    # The receipt names whom to call: the demo coalition's desk.
    os.environ.setdefault("HOMEWARD_HELP_LINE", DEMO_HELP_LINE.read_text(encoding="utf-8"))
    emulator.configure_app(
        outputs,
        "local",
        HOMEWARD_SIGNING_KEY=os.environ.get("HOMEWARD_SIGNING_KEY") or secrets.token_hex(32),
    )
    # The Telegram bot against the local stand-in of the Bot API (infra/local/telegram.py):
    # a chat with the bot at its /chat/<id> page (README "Telegram").
    from infra.local.telegram import TelegramStandIn

    telegram = TelegramStandIn()
    telegram_url = telegram.serve(
        "127.0.0.1", int(os.environ.get("HOMEWARD_TELEGRAM_STANDIN_PORT", "0"))
    )
    telegram_secret = secrets.token_urlsafe(24)
    os.environ.update(
        {
            "HOMEWARD_TELEGRAM_API_URL": telegram_url,
            "HOMEWARD_TELEGRAM_BOT_TOKEN": telegram.token,
            "HOMEWARD_TELEGRAM_WEBHOOK_SECRET": telegram_secret,
        }
    )
    os.environ.setdefault("HOMEWARD_TELEGRAM_TIDY_SECONDS", "120")
    seeded = emulator.seed(args.contacts, args.rules)
    from chalicelib import wiring
    from chalicelib.adapters.tokens import ensure_dev_key

    ensure_dev_key(wiring.settings().dev_key_file)
    log.info("emulated AWS on 127.0.0.1:%d, stack deployed, %d contacts seeded", moto_port, seeded)

    from chalice.config import Config

    import app as app_module
    from infra.local.compression import create_local_server
    from infra.local.pump import EventPump

    pump = EventPump(app_module, outputs, emulator.REGION)
    stop = threading.Event()
    workers = [
        _loop(stop, handler, lambda handler=handler: pump.pump_stream(handler), 0.2)
        for handler in pump.stream_handlers
    ]
    workers += [
        _loop(stop, f"sender-{i}", lambda: pump.pump_queue(wait_seconds=1), 0.05)
        for i in range(args.senders)
    ]
    workers.append(_loop(stop, "webhooks", lambda: pump.pump_webhooks(wait_seconds=1), 0.05))
    workers.append(_loop(stop, "telegram", lambda: pump.pump_telegram(wait_seconds=1), 0.05))
    workers.append(_loop(stop, "schedule", lambda: pump.tick() and 0, args.schedule_seconds))
    workers.append(
        _loop(
            stop,
            "retention",
            lambda: pump.anonymise_expired() and 0,
            args.retention_seconds,
            wait_first=True,
        )
    )
    # Deployed, the chains are stamped at 00:30 UTC; here, the first try each day that
    # finds evidence stamps it (the handler keeps one anchor a day).
    workers.append(
        _loop(
            stop,
            "anchor",
            lambda: pump.anchor_custody() and 0,
            args.anchor_seconds,
            wait_first=True,
        )
    )
    workers.append(
        _loop(
            stop, "digest", lambda: pump.send_digest() and 0, args.digest_seconds, wait_first=True
        )
    )

    server = create_local_server(
        app_module.app,
        Config.create(chalice_stage="local", app_name="homeward"),
        args.host,
        args.port,
    )
    http = threading.Thread(target=server.server.serve_forever, name="http", daemon=True)
    http.start()
    log.info("Homeward is serving on http://%s:%d (Ctrl-C stops it)", args.host, args.port)
    wiring.telegram_bot().set_webhook(f"{public_url}/telegram/webhook", telegram_secret)
    log.info("the Telegram stand-in: chat with the bot at %s/chat/1", telegram_url)

    def request_stop(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stop.wait(0.5):
        pass
    log.info("stopping")
    server.server.shutdown()
    server.server.server_close()
    telegram.stop()
    for worker in workers:
        worker.join(timeout=5)
    moto.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
