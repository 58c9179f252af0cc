"""`homeward bootstrap`: a new stage's first coordinator, and its contact directory.

    homeward bootstrap --stack homeward-prod --email … --name … --agency UA-NIB \\
        --contacts contacts.csv --rules routing-rules.json

Run once by the operator who deployed the stage, with that operator's AWS credentials,
before the form is opened to the public (an empty directory alerts nobody):

1. both files are read and checked first, as the staff API checks a change (every row, a
   coordinator among the contacts, every rule reaching someone); one mistake and nothing
   at all is created;
2. the coordinator is created in the stage's user pool (AdminCreateUser: e-mail, name,
   agency; Cognito e-mails a temporary password) and put in the coordinator group;
3. the directory is loaded directly into the stage's table, through the same directory
   service the staff API uses (checked, versioned, each change in the audit trail), as
   the operator's AWS identity. Not through the staff API as the new coordinator: that
   person cannot hold a token before signing in themselves (a password only they know,
   and their own TOTP), and the operator must not do that for them.

A stage whose directory is not empty is left as it is: from then on coordinators change
it through the API (`homeward contacts import`), signed in as themselves. Running it again
is safe: a coordinator already there is kept.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

from chalicelib.domain.staff import AGENCY, Role


class BootstrapError(Exception):
    """Said to the operator; nothing after the step that failed was done."""


def read_directory(contacts_file: Path, rules_file: Path):
    """The directory of the two files, or BootstrapError listing every mistake."""
    from chalicelib.cli.files import read_rules
    from chalicelib.domain.contacts import ContactListError, read_contact_list
    from chalicelib.domain.routing import Directory

    mistakes: list[str] = []
    try:
        contacts, errors = read_contact_list(contacts_file.read_text(encoding="utf-8-sig"))
        mistakes += [f"{contacts_file}: {error}" for error in errors]
    except (OSError, UnicodeDecodeError, ContactListError) as error:
        raise BootstrapError(f"{contacts_file}: {error}") from None
    try:
        rules, wrong = read_rules(rules_file)
        mistakes += [f"{rules_file}: {line}" for line in wrong]
    except ValueError as error:
        raise BootstrapError(f"{rules_file}: {error}") from None
    if not mistakes:
        directory = Directory(tuple(contacts), tuple(rules))
        mistakes += [f"the directory: {problem}" for problem in sorted(directory.problems())]
    if mistakes:
        raise BootstrapError("\n".join([*mistakes, "Nothing was created. Fix them and run again."]))
    return directory


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError:
        raise BootstrapError(f"no stack {stack} here: deploy it first (make deploy)") from None
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def create_coordinator(cognito: Any, pool: str, email: str, name: str, agency: str) -> bool:
    """The coordinator in the user pool and its coordinator group; False if already there."""
    from botocore.exceptions import ClientError

    from chalicelib.domain.staff import ROLES

    try:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                # The address is the operator's word: the invitation goes to it.
                {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name},
                {"Name": "custom:agency", "Value": agency},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
        created = True
    except ClientError as error:
        if error.response["Error"]["Code"] != "UsernameExistsException":
            raise BootstrapError(
                f"the user pool refused: {error.response['Error']['Code']}"
            ) from None
        created = False
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]
    other = sorted({g["GroupName"] for g in groups} & set(ROLES) - {Role.COORDINATOR})
    if other:
        # A staff member has exactly one role (chalicelib/adapters/tokens.py).
        raise BootstrapError(f"that person is already staff as {', '.join(other)}")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=Role.COORDINATOR)
    return created


def load_directory(dynamodb: Any, outputs: dict[str, str], directory, actor: str, agency: str):
    """Put every contact, then every rule, as a coordinator change of `actor`; None when
    the stage already has a directory (it is left alone)."""
    from tqdm import tqdm

    from chalicelib import wiring
    from chalicelib.domain.staff import StaffMember
    from chalicelib.services import directory as service
    from chalicelib.services.access import Caller

    stores = wiring.dynamo_stores(
        dynamodb,
        table=outputs["TableName"],
        audit_table=outputs["AuditTableName"],
        cursor_key=b"bootstrap: reads no case list",
    )
    current = stores.directory.read()
    if current.contacts or current.rules:
        return None
    caller = Caller(
        StaffMember(subject=f"bootstrap by {actor}", role=Role.COORDINATOR, agency=agency),
        request_id=f"bootstrap-{uuid.uuid4()}",
    )
    total = len(directory.contacts) + len(directory.rules)
    with tqdm(total=total, desc="loading", unit="entry", file=sys.stderr) as bar:
        # Contacts first: a rule is only accepted once the contacts it names are there.
        for contact in directory.contacts:
            service.put_contact(caller, contact, stores=stores)
            bar.update()
        for rule in directory.rules:
            service.put_rule(caller, rule, stores=stores)
            bar.update()
    return stores.directory.read()


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    return response["Error"]["Code"] if response else type(error).__name__


def _bootstrap(args: Any) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if not AGENCY.match(args.agency):
        print(f"homeward: --agency {args.agency}: write it as UA-NIB", file=sys.stderr)
        return 2
    try:
        directory = read_directory(args.contacts, args.rules)
        session = boto3.session.Session(region_name=args.region)
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        pool = args.user_pool_id or outputs.get("StaffUserPoolId")
        if not pool:
            raise BootstrapError(f"stack {args.stack} has no StaffUserPoolId: give --user-pool-id")
        actor = session.client("sts").get_caller_identity()["Arn"]
        created = create_coordinator(
            session.client("cognito-idp"), pool, args.email, args.name, args.agency
        )
        loaded = load_directory(session.client("dynamodb"), outputs, directory, actor, args.agency)
    except BootstrapError as error:
        print(f"homeward: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:
        # No credentials, no permission, a throttled call: what AWS said, and no more.
        print(f"homeward: AWS refused: {_reason(error)}", file=sys.stderr)
        return 1
    # What is printed names no one: the operator typed the address, and output like this
    # ends up in shared terminals and CI logs.
    if created:
        print(f"The first coordinator ({args.agency}) is in the user pool {pool}.")
    else:
        print(f"That coordinator ({args.agency}) was already in {pool}: kept as they are.")
    if loaded is None:
        print("The directory was not empty, so it was left as it is.")
    else:
        print(
            f"The directory is loaded: {len(loaded.contacts)} contacts and {len(loaded.rules)} "
            f"routing rules (version {loaded.version}), each change audited as yours."
        )
    url = outputs.get("FormUrl", "https://YOUR-STAGE/").rstrip("/")
    print(
        "\nNext, the coordinator:\n"
        "  1. finds Cognito's e-mail with a temporary password (valid 7 days);\n"
        f"  2. runs `homeward --url {url} login`: the browser opens the sign-in page;\n"
        "  3. signs in with the address and the temporary password, sets their own\n"
        "     password (14 characters or more), and scans the TOTP code into an\n"
        "     authenticator app: each later sign-in asks for its 6 digits;\n"
        f"  4. checks the directory: `homeward --url {url} rules show`.\n"
        "Only then open the form to the public (the DNS record of the stage's domain)."
    )
    return 0


def register(commands: Any) -> None:
    bootstrap = commands.add_parser(
        "bootstrap",
        help="a new stage's first coordinator and its directory (with AWS credentials)",
        description="Checks both files, creates the coordinator in the stage's user pool "
        "and loads the directory into its empty table, each change audited as you. Run "
        "it with the AWS credentials that deployed the stage, before the form is public.",
    )
    bootstrap.add_argument("--stack", required=True, help="the stage's stack: homeward-STAGE")
    bootstrap.add_argument("--email", required=True, help="the coordinator's e-mail address")
    bootstrap.add_argument("--name", required=True, help="their name, as colleagues see it")
    bootstrap.add_argument("--agency", required=True, help="their agency, e.g. UA-NIB")
    bootstrap.add_argument("--contacts", type=Path, required=True, help="the contacts CSV")
    bootstrap.add_argument("--rules", type=Path, required=True, help="the routing rules JSON")
    bootstrap.add_argument("--region", help="the stack's region (default: AWS_DEFAULT_REGION)")
    bootstrap.add_argument("--user-pool-id", help="the user pool, if not the stack's own")
    bootstrap.set_defaults(run=_bootstrap)
