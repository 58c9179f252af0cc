"""`homeward contacts import/list` and `homeward rules show` against the local runner."""

import json

import pytest
from helpers import local_runner

from chalicelib import cli
from chalicelib.adapters.tokens import mint_dev_token

pytestmark = pytest.mark.e2e

HEADER = (
    "contact_id,organisation,agency,kind,member_state,name,email,phone,languages,channels,active\n"
)
GOOD = (
    "kharkiv-desk,Kharkiv desk (test),UA-KHARKIV,national_authority,UA,Regional desk,"
    "desk@kharkiv.example.org,+380577001122,uk,email sms,yes\n"
    "pl-liaison,Polish liaison (test),PL-MSZ,coalition_member,PL,Liaison,"
    "liaison@msz.example.org,,en,email,yes\n"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory, dev_key):
    log = tmp_path_factory.mktemp("cli") / "runner.log"
    with local_runner(log, HOMEWARD_DEV_KEY_FILE=str(dev_key)) as (base, _, _):
        yield base


@pytest.fixture
def homeward(live, dev_key, capsys):
    """homeward(*args) -> (exit code, stdout, stderr), as a coordinator of the live runner."""

    def run(*args: str, role: str = "coordinator"):
        token = mint_dev_token(dev_key, role=role, agency="UA-NIB")
        code = cli.main(["--url", live, "--token", token, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_a_list_with_a_bad_row_is_reported_by_line_and_nothing_is_imported(homeward, tmp_path):
    bad = tmp_path / "contacts.csv"
    bad.write_text(
        HEADER
        + GOOD
        + "odesa-desk,Odesa,UA-ODESA,ngo,UA,Desk,desk@odesa.example.org,0482001122,uk,sms,\n"
    )
    code, out, err = homeward("contacts", "import", str(bad))
    assert code == 1
    assert "line 4 (odesa-desk): phone: phone number must be in international E.164 form" in err
    assert "1 row(s) have errors; nothing was imported" in err
    code, out, _ = homeward("contacts", "list")
    assert "kharkiv-desk" not in out and "pl-liaison" not in out


def test_an_import_adds_changes_and_reports_what_it_did(homeward, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + GOOD)
    code, out, err = homeward("contacts", "import", str(path), "--dry-run")
    assert (code, out.strip()) == (
        0,
        "2 contact(s) valid: 2 new, 0 changed, 0 unchanged (dry run: nothing imported)",
    )

    code, out, err = homeward("contacts", "import", str(path))
    assert code == 0, err
    assert out.strip() == "2 contact(s): 2 new, 0 changed, 0 unchanged, 0 refused"
    assert "importing: 100%" in err and "2/2" in err  # the progress bar

    path.write_text(HEADER + GOOD.replace("Liaison,", "Liaison on duty,"))
    code, out, _ = homeward("contacts", "import", str(path))
    assert out.strip() == "2 contact(s): 0 new, 1 changed, 1 unchanged, 0 refused"

    code, out, _ = homeward("contacts", "list")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("pl-liaison"))
    assert row.split()[-3:] == ["email", "en", "yes"]
    assert "10 contact(s)" in out  # the demo directory's 8 and the 2 imported

    code, exported, _ = homeward("contacts", "list", "--csv")
    assert exported.splitlines()[0].startswith("contact_id,organisation,agency")
    assert "Liaison on duty" in exported


def test_a_refused_row_is_named_and_the_rest_is_imported(homeward, tmp_path):
    # Retiring the southern desk would leave the rule "south" alerting nobody.
    path = tmp_path / "contacts.csv"
    path.write_text(
        HEADER + 'south-ua-ombudsman,"Ombudsman\'s Office, southern desk (demo)",UA-OMBUDSMAN,'
        "national_authority,UA,Southern desk,south@ombudsman.example.org,+380501112233,uk,"
        "email sms,no\n" + "us-liaison,US liaison (test),US-DOS,coalition_member,US,Liaison,"
        "liaison@state.example.org,,en,email,\n"
    )
    code, out, err = homeward("contacts", "import", str(path))
    assert code == 1
    assert "not imported: south-ua-ombudsman: This change would leave alerts reaching nobody" in err
    assert "rule south, first alert: no active contact reachable by email or sms" in err
    assert out.strip().endswith("1 new, 0 changed, 0 unchanged, 1 refused")


def test_rules_show_says_what_each_rule_matches_whom_it_alerts_and_the_ladder(homeward):
    code, out, _ = homeward("rules", "show")
    assert code == 0
    south = out.split("\n\n")[[b.split()[0] for b in out.split("\n\n") if b].index("south")]
    assert "oblast UA-65 UA-23 UA-48 UA-51 UA-43 UA-40; category any" in south
    assert "alerts    south-ua-ombudsman by email and sms" in south
    assert "1. ua-national-desk" in south
    assert "2. the coordinators (coord-ua-nib)" in south
    assert "What no rule matches goes to the coordinators: coord-ua-nib" in out


def test_only_a_coordinator_may_use_the_directory_commands(homeward):
    code, _, err = homeward("rules", "show", role="caseworker")
    assert code == 2 and "the directory is for coordinators" in err


def test_rules_are_imported_from_json_and_a_rule_reaching_nobody_is_refused(homeward, tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"rules": [{"rule_id": "all-urgent", "urgency": "urgent", "contacts": ["x"]}')
    code, _, err = homeward("rules", "import", str(path))
    assert code == 2 and "not a JSON file" in err
    path.write_text('{"rules": [{"rule_id": "all-urgent", "urgency": "soon", "contacts": []}]}')
    code, _, err = homeward("rules", "import", str(path))
    assert code == 1
    assert "rule 1 (all-urgent): urgency:" in err and "rule 1 (all-urgent): contacts:" in err
    urgent = {"rule_id": "all-urgent", "urgency": "urgent", "contacts": ["ua-national-desk"]}
    ghost = {"rule_id": "ghost", "contacts": ["nobody-here"]}
    path.write_text(json.dumps({"rules": [urgent, ghost]}))
    code, out, err = homeward("rules", "import", str(path))
    assert code == 1
    assert "not imported: ghost:" in err and "no contact nobody-here" in err
    assert out.strip() == "2 rule(s): 1 put, 1 refused"
    assert "all-urgent" in homeward("rules", "show")[1]


@pytest.mark.parametrize("url", ["http://homeward.example.org", "http://10.0.0.8:8000"])
def test_a_staff_token_never_travels_over_plain_http(url, capsys):
    code = cli.main(["--url", url, "--token", "a-real-token", "contacts", "list"])
    assert code == 2
    assert "use https" in capsys.readouterr().err
