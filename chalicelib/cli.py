"""The `homeward` command.

homeward dev-token --role coordinator --agency UA-NIB   # a staff token for local runs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chalicelib.domain.staff import ROLES


def _dev_token(args: argparse.Namespace) -> int:
    from chalicelib.adapters.tokens import ensure_dev_key, mint_dev_token

    key = ensure_dev_key(args.key_file)
    print(mint_dev_token(key, role=args.role, agency=args.agency, subject=args.subject))
    return 0


def main(argv: list[str] | None = None) -> int:
    from chalicelib.config import DEV_KEY_FILE

    parser = argparse.ArgumentParser(prog="homeward", description="Homeward's command line")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser(
        "dev-token",
        help="mint a staff token that only a local run (make run) accepts",
        description="Signed with the local development key in .homeward/, which no "
        "deployed stage trusts. Send it as 'Authorization: Bearer TOKEN'.",
    )
    token.add_argument("--role", choices=ROLES, required=True)
    token.add_argument("--agency", required=True, help="e.g. UA-NIB")
    token.add_argument("--subject", help="the staff member's id (default: a random one)")
    token.add_argument("--key-file", type=Path, default=DEV_KEY_FILE, help=argparse.SUPPRESS)
    token.set_defaults(run=_dev_token)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
