"""`homeward bootstrap` against moto: the stack of infra/template.yaml, its tables, and
moto's cognito-idp standing in for the stage's user pool (moto's CloudFormation cannot
create Cognito resources, so the pool is made here as the template describes it)."""

from __future__ import annotations

import boto3
import pytest

from chalicelib import cli
from infra.local import emulator

EMAIL = "olena.coordinator@nib.example.org"


@pytest.fixture
def stage(monkeypatch):
    monkeypatch.setenv("HOMEWARD_SIGNING_KEY", "test-signing-key")
    with emulator.in_process("local", seed_contacts=False) as outputs:
        cognito = boto3.client("cognito-idp", region_name=emulator.REGION)
        pool = cognito.create_user_pool(
            PoolName="homeward-local-staff",
            UsernameAttributes=["email"],
            MfaConfiguration="OFF",  # moto's default; the template's pool has TOTP on
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            Schema=[{"Name": "agency", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
        for group in ("caseworker", "coordinator", "auditor"):
            cognito.create_group(GroupName=group, UserPoolId=pool)
        yield outputs, cognito, pool
    from chalicelib import wiring

    wiring.reset()


def bootstrap(pool=None, *, stack="homeward-local", rules=emulator.DEMO_RULES):
    """homeward bootstrap for the demo directory; the exit code."""
    args = ["bootstrap", "--stack", stack, "--email", EMAIL, "--name", "Olena Koval"]
    args += ["--agency", "UA-NIB", "--contacts", str(emulator.DEMO_CONTACTS)]
    args += ["--rules", str(rules), "--region", emulator.REGION]
    return cli.main(args + (["--user-pool-id", pool] if pool else []))


def directory():
    from chalicelib import wiring

    return wiring.stores().directory.read()


def test_bootstrap_creates_the_first_coordinator_and_loads_the_directory(stage, capsys):
    _, cognito, pool = stage
    assert bootstrap(pool) == 0
    out, err = capsys.readouterr()

    user = cognito.admin_get_user(UserPoolId=pool, Username=EMAIL)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["name"] == "Olena Koval"
    assert attributes["custom:agency"] == "UA-NIB"
    assert attributes["email_verified"] == "true"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # a temporary password, e-mailed
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=EMAIL)["Groups"]
    assert [g["GroupName"] for g in groups] == ["coordinator"]

    demo = emulator.read_directory()
    loaded = directory()
    assert {c.contact_id for c in loaded.contacts} == {c.contact_id for c in demo.contacts}
    assert {r.rule_id for r in loaded.rules} == {r.rule_id for r in demo.rules}
    assert loaded.problems() == set()
    assert loaded.version == len(demo.contacts) + len(demo.rules)  # one checked change each

    from chalicelib import wiring
    from chalicelib.services.access import DIRECTORY_TRAIL

    trail = wiring.stores().audit.trail(DIRECTORY_TRAIL)
    assert len(trail) == loaded.version
    assert {(e.actor, e.role, e.agency) for e in trail} == {
        ("bootstrap by arn:aws:sts::123456789012:user/moto", "coordinator", "UA-NIB")
    }

    assert "sets their own" in out and "homeward --url" in out and "login" in out
    assert EMAIL not in out + err and "Olena" not in out + err


def test_bootstrap_again_keeps_the_coordinator_and_the_directory(stage, capsys):
    _, cognito, pool = stage
    assert bootstrap(pool) == 0
    version = directory().version
    capsys.readouterr()
    assert bootstrap(pool) == 0
    out, _ = capsys.readouterr()
    assert "already" in out and "left as it is" in out
    assert directory().version == version
    users = cognito.list_users(UserPoolId=pool)["Users"]
    assert len(users) == 1


def test_a_directory_with_a_mistake_creates_no_one(stage, tmp_path, capsys):
    _, cognito, pool = stage
    rules = tmp_path / "rules.json"
    rules.write_text('{"rules": [{"rule_id": "south", "contacts": ["nobody-here"]}]}')
    code = bootstrap(pool, rules=rules)
    assert code == 1
    err = capsys.readouterr().err
    assert "rule south, first alert: no contact nobody-here" in err
    assert "Nothing was created" in err
    assert cognito.list_users(UserPoolId=pool)["Users"] == []
    assert directory().contacts == ()


def test_someone_already_staff_in_another_role_is_not_made_coordinator(stage, capsys):
    _, cognito, pool = stage
    cognito.admin_create_user(UserPoolId=pool, Username=EMAIL)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=EMAIL, GroupName="caseworker")
    assert bootstrap(pool) == 1
    assert "already staff as caseworker" in capsys.readouterr().err
    assert directory().contacts == ()


def test_a_stack_that_is_not_there_is_named(stage, capsys):
    assert bootstrap(stack="homeward-prod") == 1
    assert "no stack homeward-prod here: deploy it first" in capsys.readouterr().err
