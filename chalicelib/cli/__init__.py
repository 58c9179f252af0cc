"""The `homeward` command.

homeward bootstrap --stack homeward-prod ...             # a new stage's first coordinator
homeward login                                          # sign in to a deployed stage
homeward rotate-key --stack homeward-prod ack-links     # rotate a secret (run twice)
homeward smoke --url https://…                          # is the stage up? (reads only)
homeward dev-token --role coordinator --agency UA-NIB   # a staff token for local runs
homeward dev-token --partner local-partner              # a partner's token, for local runs
homeward reports import registry.csv                    # a partner's file of reports
homeward contacts import contacts.csv                   # add or update contacts
homeward contacts list [--csv]                          # the contacts, or a CSV export
homeward rules show                                     # the routing rules, in words
homeward rules import rules.json                        # add or replace routing rules
homeward telegram set-webhook --stack homeward-prod     # point the Telegram bot at a stage
homeward evidence verify package.zip                    # check a prosecutor's package offline

The directory commands go through the staff API as a coordinator (`--url`, `--token`,
or HOMEWARD_URL and HOMEWARD_TOKEN), so they are checked and audited like any change.
Without a token they use the sign-in of `homeward login` to that stage; against a local
run (`make run`), a local coordinator token is minted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from chalicelib.cli import bootstrap, evidence, keys, reports, signin, smoke, telegram
from chalicelib.cli.files import read_rules
from chalicelib.domain.staff import ROLES, Role

# The local run (`make run`), on the port it was started with.
LOCAL_URL = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Refused(Exception):
    """The API said no; the message is for the person at the terminal."""


class StaffApi:
    def __init__(self, url: str, token: str) -> None:
        self._url = url.rstrip("/") + "/api/v1/staff"
        self._token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's, http(s)
            self._url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {}
            if error.code in (401, 403):
                raise Refused(
                    "not allowed: the directory is for coordinators; give a coordinator's "
                    "token (--token or HOMEWARD_TOKEN)"
                ) from None
            return error.code, answer
        except (urllib.error.URLError, OSError) as error:
            raise Refused(f"cannot reach {self._url}: {error}") from None

    def get(self, path: str) -> Any:
        status, answer = self.call("GET", path)
        if status != 200:
            raise Refused(f"{path}: {_problem_text(answer)}")
        return answer


def _problem_text(answer: Any) -> str:
    if not isinstance(answer, dict):
        return "unexpected answer"
    details = [answer.get("title", "refused")]
    for error in answer.get("errors") or []:
        where = ".".join(str(p) for p in error.get("loc", []))
        details.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(details)


def _api(args: argparse.Namespace) -> StaffApi:
    token = args.token or os.environ.get("HOMEWARD_TOKEN")
    url = urllib.parse.urlsplit(args.url)
    host = url.hostname
    # A staff token is a key to children's cases: it only ever travels encrypted.
    if url.scheme != "https" and host not in LOOPBACK:
        raise Refused(f"{args.url}: use https; a staff token is never sent over plain http")
    if not token and host not in LOOPBACK:
        try:
            token = signin.cached_token(args.url)
        except signin.SignInError as error:
            raise Refused(str(error)) from None
        if not token:
            raise Refused(
                f"sign in first (homeward --url {args.url} login), or give a coordinator's "
                "token (--token or HOMEWARD_TOKEN)"
            )
    if not token:
        from chalicelib.adapters.tokens import ensure_dev_key, mint_dev_token

        # Only a local run accepts this key; deployed stages refuse it outright.
        key = ensure_dev_key(args.key_file)
        token = mint_dev_token(key, role=Role.COORDINATOR, agency="UA-NIB", subject="homeward-cli")
    return StaffApi(args.url, token)


# -- contacts ---------------------------------------------------------------------


def _import_contacts(args: argparse.Namespace) -> int:
    from chalicelib.domain.contacts import ContactListError, read_contact_list

    try:
        contacts, errors = read_contact_list(args.file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        print(f"{args.file}: cannot read it: {error}", file=sys.stderr)
        return 2
    except ContactListError as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 2
    if errors:
        # A list with mistakes is not half-imported: every mistake is shown, none applied.
        for error in errors:
            print(f"{args.file}: {error}", file=sys.stderr)
        rows = len({e.line for e in errors})
        print(
            f"{rows} row(s) have errors; nothing was imported. Fix them and import again.",
            file=sys.stderr,
        )
        return 1
    api = _api(args)
    existing = {c["contact_id"]: c for c in api.get("/contacts")["contacts"]}
    changes = [c for c in contacts if existing.get(c.contact_id) != c.model_dump(mode="json")]
    unchanged = len(contacts) - len(changes)
    if args.dry_run:
        new = sum(c.contact_id not in existing for c in changes)
        print(
            f"{len(contacts)} contact(s) valid: {new} new, {len(changes) - new} changed, "
            f"{unchanged} unchanged (dry run: nothing imported)"
        )
        return 0
    from tqdm import tqdm

    outcome = {201: 0, 200: 0}
    refused: list[str] = []
    with tqdm(total=len(changes), desc="importing", unit="contact", file=sys.stderr) as bar:
        for contact in changes:
            status, answer = api.call(
                "PUT", f"/contacts/{contact.contact_id}", contact.model_dump(mode="json")
            )
            if status in outcome:
                outcome[status] += 1
            else:
                refused.append(f"{contact.contact_id}: {_problem_text(answer)}")
            bar.update()
    for line in refused:
        print(f"{args.file}: not imported: {line}", file=sys.stderr)
    print(
        f"{len(contacts)} contact(s): {outcome[201]} new, {outcome[200]} changed, "
        f"{unchanged} unchanged, {len(refused)} refused"
    )
    return 1 if refused else 0


def _list_contacts(args: argparse.Namespace) -> int:
    from chalicelib.domain.contacts import Contact, write_contact_list

    listed = _api(args).get("/contacts")
    contacts = [Contact.model_validate(c) for c in listed["contacts"]]
    if args.csv:
        sys.stdout.write(write_contact_list(contacts))
        return 0
    rows = [("ID", "ORGANISATION", "AGENCY", "STATE", "CHANNELS", "LANG", "ROLE", "ACTIVE")]
    rows += [
        (
            c.contact_id,
            c.organisation,
            c.agency,
            c.member_state,
            ",".join(c.channels),
            ",".join(c.languages),
            "coordinator" if c.coordinator else "",
            "yes" if c.active else "no",
        )
        for c in contacts
    ]
    _table(rows)
    print(f"{len(contacts)} contact(s), directory version {listed['version']}")
    _warn(listed["problems"])
    return 0


# -- rules ------------------------------------------------------------------------


def _show_rules(args: argparse.Namespace) -> int:
    from chalicelib.domain.routing import RoutingRule

    api = _api(args)
    listed = api.get("/routing-rules")
    contacts = api.get("/contacts")["contacts"]
    coordinators = [c["contact_id"] for c in contacts if c["coordinator"] and c["active"]]
    for raw in listed["rules"]:
        print(_describe(RoutingRule.model_validate(raw), coordinators))
    print(f"{len(listed['rules'])} rule(s), directory version {listed['version']}")
    print(
        "What no rule matches goes to the coordinators: "
        + (", ".join(coordinators) or "NOBODY (no active coordinator)")
    )
    _warn(listed["problems"])
    return 0


def _import_rules(args: argparse.Namespace) -> int:
    """Rules from a JSON file ({"rules": [...]}, as infra/demo/routing-rules.json)."""
    try:
        rules, mistakes = read_rules(args.file)
    except ValueError as error:
        print(f"{args.file}: {error}", file=sys.stderr)
        return 2
    if mistakes:
        for line in mistakes:
            print(f"{args.file}: {line}", file=sys.stderr)
        print("nothing was imported. Fix them and import again.", file=sys.stderr)
        return 1
    from tqdm import tqdm

    api = _api(args)
    refused = []
    with tqdm(total=len(rules), desc="importing", unit="rule", file=sys.stderr) as bar:
        for rule in rules:
            status, answer = api.call(
                "PUT", f"/routing-rules/{rule.rule_id}", rule.model_dump(mode="json")
            )
            if status not in (200, 201):
                refused.append(f"{rule.rule_id}: {_problem_text(answer)}")
            bar.update()
    for line in refused:
        print(f"{args.file}: not imported: {line}", file=sys.stderr)
    print(f"{len(rules)} rule(s): {len(rules) - len(refused)} put, {len(refused)} refused")
    return 1 if refused else 0


def _describe(rule, coordinators: list[str]) -> str:
    def listed(values: list[str], anything: str) -> str:
        return " ".join(values) if values else anything

    policy = rule.escalation
    # The deployment's defaults, named with their values: the API does not say what a stage
    # set, so the setting that changes them is named too.
    urgent = (
        f"{policy.urgent_after_minutes} min"
        if policy.urgent_after_minutes
        else "the default, 15 min unless HOMEWARD_ESCALATE_URGENT_SECONDS says otherwise"
    )
    normal = (
        f"{policy.normal_after_minutes} min"
        if policy.normal_after_minutes
        else "the default, 24 h unless HOMEWARD_ESCALATE_NORMAL_SECONDS says otherwise"
    )
    lines = [
        f"{rule.rule_id}{'' if rule.active else '  (INACTIVE)'}",
        *([f"  {rule.description}"] if rule.description else []),
        f"  matches   oblast {listed(rule.oblasts, 'any')}; "
        f"category {listed(rule.categories, 'any')}; urgency {rule.urgency}; "
        f"last known country {listed(rule.last_known_countries, 'any')}",
        f"  alerts    {', '.join(rule.contacts)} by {' and '.join(rule.channels)}",
        f"  when unacknowledged (urgent waits {urgent}, normal {normal}), escalates to:",
    ]
    lines += [f"    {n}. {', '.join(rung)}" for n, rung in enumerate(policy.levels, 1)]
    lines.append(
        f"    {len(policy.levels) + 1}. the coordinators ({', '.join(coordinators) or 'none'})"
    )
    return "\n".join(lines) + "\n"


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _warn(problems: list[str]) -> None:
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)


# -- tokens -----------------------------------------------------------------------


def _dev_token(args: argparse.Namespace) -> int:
    from chalicelib.adapters.tokens import ensure_dev_key, mint_dev_partner_token, mint_dev_token

    key = ensure_dev_key(args.key_file)
    if args.partner:
        print(mint_dev_partner_token(key, client_id=args.partner))
        return 0
    if not (args.role and args.agency):
        raise Refused("dev-token needs --role and --agency (or --partner CLIENT_ID)")
    print(mint_dev_token(key, role=args.role, agency=args.agency, subject=args.subject))
    return 0


def main(argv: list[str] | None = None) -> int:
    from chalicelib.config import DEV_KEY_FILE

    parser = argparse.ArgumentParser(prog="homeward", description="Homeward's command line")
    parser.add_argument(
        "--url",
        default=os.environ.get("HOMEWARD_URL", LOCAL_URL),
        help=f"Homeward's address (HOMEWARD_URL; default {LOCAL_URL}, a local run)",
    )
    parser.add_argument("--token", help="a coordinator's token (HOMEWARD_TOKEN)")
    parser.add_argument("--key-file", type=Path, default=DEV_KEY_FILE, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    # The commands about a whole stage also take --url after their name.
    url_option = {"default": argparse.SUPPRESS, "help": "the stage's address"}
    signin.register(commands, url_option)
    bootstrap.register(commands)
    keys.register(commands)
    smoke.register(commands, url_option)
    evidence.register(commands)

    token = commands.add_parser(
        "dev-token",
        help="mint a staff token that only a local run (make run) accepts",
        description="Signed with the local development key in .homeward/, which no "
        "deployed stage trusts. Send it as 'Authorization: Bearer TOKEN'.",
    )
    token.add_argument("--role", choices=ROLES)
    token.add_argument("--agency", help="e.g. UA-NIB")
    token.add_argument("--subject", help="the staff member's id (default: a random one)")
    token.add_argument(
        "--partner", metavar="CLIENT_ID", help="a partner's access token instead (both scopes)"
    )
    token.set_defaults(run=_dev_token)
    reports.register(commands)
    telegram.register(commands)

    contacts = commands.add_parser("contacts", help="the coalition's contacts").add_subparsers(
        dest="action", required=True
    )
    importing = contacts.add_parser(
        "import",
        help="add or update contacts from a CSV file",
        description="Columns: contact_id, organisation, agency, member_state, name, email, "
        "phone (E.164), languages, channels, coordinator, active. Every row is checked "
        "first; if any has an error, each is reported by line and nothing is imported.",
    )
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--dry-run", action="store_true", help="check and compare only; change nothing"
    )
    importing.set_defaults(run=_import_contacts)
    listing = contacts.add_parser("list", help="the contacts, as a table or CSV")
    listing.add_argument("--csv", action="store_true", help="as CSV that `import` reads back")
    listing.set_defaults(run=_list_contacts)

    rules = commands.add_parser("rules", help="the routing rules").add_subparsers(
        dest="action", required=True
    )
    rules.add_parser(
        "show", help="every rule: what it matches, whom it alerts, the ladder"
    ).set_defaults(run=_show_rules)
    rules_import = rules.add_parser(
        "import",
        help='add or replace rules from a JSON file ({"rules": [...]})',
        description="Import the contacts the rules name first. A rule that would reach "
        "nobody is refused and named; the others are put.",
    )
    rules_import.add_argument("file", type=Path)
    rules_import.set_defaults(run=_import_rules)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except Refused as refused:
        print(f"homeward: {refused}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # piped into `head`: what was wanted was printed
        # Point stdout at /dev/null so that flushing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
