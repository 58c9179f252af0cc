"""`homeward telegram set-webhook --stack homeward-STAGE`: point the Telegram bot at a
deployed stage (README "Telegram").

The bot's token (from @BotFather) and the webhook's secret are one Secrets Manager secret
of the stack (TelegramBotSecretArn; the secret is generated with the stack). With
`--bot-token-file`, the token is put into that secret first; then Telegram is told the
stage's webhook address and the secret to send back with every update (setWebhook). The
token is never printed, nor taken on the command line (it would stay in the history).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

WEBHOOK_PATH = "/telegram/webhook"


class Failed(Exception):
    pass


def set_webhook(
    secrets: Any, outputs: dict[str, str], *, api_url: str, token_file: Path | None = None
) -> str:
    """Point the bot at the stage; the webhook's address."""
    from chalicelib.adapters.telegram import TelegramBot, TelegramError

    secret_id = outputs.get("TelegramBotSecretArn")
    form = outputs.get("FormUrl", "").rstrip("/")
    if not secret_id or not form.startswith("https://"):
        raise Failed("the stack has no Telegram secret or https address: deploy it first")
    values = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    if token_file is not None:
        values["bot_token"] = token_file.read_text().strip()
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(values))
    if not values.get("bot_token"):
        raise Failed("the bot has no token yet: give it with --bot-token-file (from @BotFather)")
    url = form + WEBHOOK_PATH
    try:
        TelegramBot(api_url, values["bot_token"]).set_webhook(url, values["webhook_secret"])
    except TelegramError as exc:
        raise Failed(f"Telegram refused the webhook: {exc}") from None
    return url


def _set_webhook(args: Any) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.cli.bootstrap import BootstrapError, stack_outputs

    try:
        session = boto3.session.Session(region_name=args.region)
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        url = set_webhook(
            session.client("secretsmanager"),
            outputs,
            api_url=args.api_url,
            token_file=args.bot_token_file,
        )
    except (Failed, BootstrapError) as failed:
        print(f"homeward: {failed}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"homeward: AWS refused: {type(error).__name__}", file=sys.stderr)
        return 2
    print(f"the bot's updates now go to {url}")
    return 0


def register(commands: Any) -> None:
    telegram = commands.add_parser("telegram", help="the Telegram bot").add_subparsers(
        dest="action", required=True
    )
    webhook = telegram.add_parser(
        "set-webhook",
        help="point the bot at a deployed stage's webhook (with its secret)",
        description=__doc__,
    )
    webhook.add_argument("--stack", required=True, help="the stage's stack: homeward-STAGE")
    webhook.add_argument("--region", help="the stack's region (default: AWS_DEFAULT_REGION)")
    webhook.add_argument(
        "--bot-token-file", type=Path, help="a file holding the bot's token, to store first"
    )
    # The Bot API's address: the local stand-in's in tests.
    webhook.add_argument("--api-url", default="https://api.telegram.org", help=argparse.SUPPRESS)
    webhook.set_defaults(run=_set_webhook)
