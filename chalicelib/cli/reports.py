"""`homeward reports import FILE`: a partner's file of reports, through the partner API.

The whole file is checked first (domain/imports.py): one mistake and nothing is sent,
every mistake named by line and field. Then it goes in batches of up to 100 rows to
`POST /api/v1/partner/imports/{batch}/rows` behind a progress bar, and the batch is
closed (its recipients then get one digest). The batch id comes from the file's content,
so running the same command again after an interruption resumes it: rows already filed
answer "replayed" and file nothing twice.

The partner's token: `--partner-token` (HOMEWARD_PARTNER_TOKEN); or the client's id and
secret (`--client-id`, HOMEWARD_PARTNER_SECRET) and the stage's token endpoint
(`--token-url`), for Cognito's client-credentials flow; or, against a local run, a local
partner token minted here (and the local partner registered first).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

LOCAL_CLIENT = "local-partner"
ATTEMPTS = 8


class ImportFailed(Exception):
    pass


def register(commands: Any) -> None:
    reports = commands.add_parser("reports", help="reports filed by a partner").add_subparsers(
        dest="action", required=True
    )
    importing = reports.add_parser(
        "import",
        help="file the reports of a CSV or JSON Lines file, as a partner",
        description="CSV columns as docs/samples/import.csv (README, 'For partner "
        "organisations'); .jsonl: one report a line, as POST /api/v1/reports takes it, with "
        "an optional external_id. Every row is checked first; any mistake is named by line "
        "and field and nothing is sent. Interrupted? Run it again: it resumes.",
    )
    importing.add_argument("file", type=Path)
    importing.add_argument("--batch", help="the batch id (default: from the file's content)")
    importing.add_argument("--dry-run", action="store_true", help="check the file only")
    importing.add_argument("--partner-token", help="an access token (HOMEWARD_PARTNER_TOKEN)")
    importing.add_argument(
        "--client-id", default=os.environ.get("HOMEWARD_PARTNER_CLIENT_ID", LOCAL_CLIENT)
    )
    importing.add_argument("--token-url", help="the stage's Cognito token endpoint")
    importing.set_defaults(run=run_import)


def batch_id_of(path: Path, data: bytes) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:24] or "import"
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}"


def run_import(args: argparse.Namespace) -> int:
    from chalicelib.domain.imports import chunks, read_file, wire_row
    from chalicelib.domain.partners import MAX_BATCH_ROWS

    try:
        data = args.file.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"homeward: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    rows, errors = read_file(args.file.name, text)
    for error in errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} mistake(s); nothing was imported", file=sys.stderr)
        return 1
    batch = args.batch or batch_id_of(args.file, data)
    print(f"{len(rows)} rows checked; batch {batch}", file=sys.stderr)
    if args.dry_run:
        return 0
    api = PartnerApi(args.url, _partner_token(args))
    from tqdm import tqdm

    created = replayed = 0
    refused: list[tuple[int, str]] = []
    path = f"/imports/{urllib.parse.quote(batch)}"
    with tqdm(total=len(rows), desc="importing", unit="row", file=sys.stderr) as bar:
        for chunk in chunks(rows, MAX_BATCH_ROWS):
            try:
                answer = api.call("POST", f"{path}/rows", {"rows": [wire_row(r) for r in chunk]})
            except ImportFailed as failed:
                done = created + replayed + len(refused)
                print(
                    f"homeward: {failed}\nstopped after {done} of {len(rows)} rows; run the "
                    "same command again to resume (rows filed already are not filed twice)",
                    file=sys.stderr,
                )
                return 2
            created += answer["created"]
            replayed += answer["replayed"]
            refused += [(r["line"], r["reason"]) for r in answer["rows"] if r["reason"]]
            bar.update(len(chunk))
    try:
        api.call("POST", f"{path}/close", None)
    except ImportFailed as failed:
        print(f"homeward: the batch is filed but not closed: {failed}", file=sys.stderr)
        return 2
    for line, reason in refused:
        print(f"{args.file}: line {line}: refused: {reason}", file=sys.stderr)
    print(f"created {created}, replayed {replayed}, refused {len(refused)} (batch {batch})")
    return 1 if refused else 0


class PartnerApi:
    def __init__(self, url: str, token: str) -> None:
        self._url = url.rstrip("/") + "/api/v1/partner"
        self._token = token

    def call(self, method: str, path: str, body: Any) -> Any:
        payload = None if body is None else json.dumps(body).encode()
        for attempt in range(ATTEMPTS):
            request = urllib.request.Request(  # noqa: S310 - the partner's stage, http(s)
                self._url + path,
                method=method,
                data=payload,
                headers={
                    "Authorization": f"Bearer {self._token}",
                    "Content-Type": "application/json",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                answer = _json(error.read())
                if error.code == 429 or error.code >= 500:
                    wait = int(error.headers.get("Retry-After") or 2**attempt)
                    time.sleep(min(wait, 60))
                    continue
                raise ImportFailed(_problem(error.code, answer)) from None
            except (urllib.error.URLError, OSError) as error:
                if attempt == ATTEMPTS - 1:
                    raise ImportFailed(f"cannot reach {self._url}: {error}") from None
                time.sleep(2**attempt)
        raise ImportFailed("the stage kept refusing; try again later")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _problem(code: int, answer: Any) -> str:
    if not isinstance(answer, dict):
        return f"HTTP {code}"
    lines = [f"{answer.get('title', 'refused')} (HTTP {code})"]
    for error in answer.get("errors") or []:
        lines.append("  " + " ".join(str(p) for p in error.get("loc", [])) + ": " + error["msg"])
    return "\n".join(lines)


def _partner_token(args: argparse.Namespace) -> str:
    token = args.partner_token or os.environ.get("HOMEWARD_PARTNER_TOKEN")
    if token:
        return token
    secret = os.environ.get("HOMEWARD_PARTNER_SECRET")
    if args.token_url and secret:
        return client_credentials(args.token_url, args.client_id, secret)
    host = urllib.parse.urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(
            "homeward: give --partner-token, or --client-id, --token-url and "
            "HOMEWARD_PARTNER_SECRET"
        )
    return local_partner_token(args)


def client_credentials(token_url: str, client_id: str, secret: str) -> str:
    """Cognito's client-credentials grant: the app client's id and secret for a token."""
    if not token_url.startswith("https://"):
        raise SystemExit("homeward: the token endpoint is https only")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - https, checked above
        token_url,
        method="POST",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())["access_token"]


def local_partner_token(args: argparse.Namespace) -> str:
    """Against a local run: register the local partner (as a local coordinator), and
    mint its token with the local development key."""
    from chalicelib.adapters.tokens import ensure_dev_key, mint_dev_partner_token, mint_dev_token
    from chalicelib.domain.staff import Role

    key = ensure_dev_key(args.key_file)
    coordinator = mint_dev_token(
        key, role=Role.COORDINATOR, agency="UA-NIB", subject="homeward-cli"
    )
    request = urllib.request.Request(  # noqa: S310 - a loopback address
        f"{args.url.rstrip('/')}/api/v1/staff/partners/{args.client_id}",
        method="PUT",
        data=json.dumps(
            {"client_id": args.client_id, "name": "Local partner", "quota_per_minute": 6000}
        ).encode(),
        headers={"Authorization": f"Bearer {coordinator}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310
        pass
    return mint_dev_partner_token(key, client_id=args.client_id)
