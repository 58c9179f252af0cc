"""`homeward login` against a stand-in for Cognito's managed login and token endpoint.

A tiny local HTTP server plays the stage (GET /api/v1/sign-in) and Cognito: its authorize
page "signs in" at once and sends the browser back to the CLI's loopback callback, and its
token endpoint checks the PKCE verifier against the challenge, as Cognito does. The
browser is a function that opens the sign-in page and follows the redirect.
"""

from __future__ import annotations

import argparse
import json
import stat
import time
import urllib.parse
import urllib.request

import jwt
import pytest
from cognito import CognitoStandIn
from helpers import free_port, wait_for

from chalicelib import cli
from chalicelib.cli import signin

CLIENT_ID = "4kq9example0client0id"
STAGE = "https://homeward.example.org"


# The person Cognito signs in: the NIB's coordinator.
COORDINATOR = {
    "sub": "5e1f-coordinator",
    "cognito:groups": ["coordinator"],
    "custom:agency": "UA-NIB",
}


@pytest.fixture
def cognito():
    with CognitoStandIn(CLIENT_ID, COORDINATOR) as fake:
        yield fake


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def browser(monkeypatch):
    """Opens the sign-in page and follows its redirect to the CLI, as a browser would."""
    import webbrowser

    pages: list[str] = []

    def open_page(url: str, *args, **kwargs) -> bool:
        with urllib.request.urlopen(url, timeout=10) as answer:
            pages.append(answer.read().decode())
        return True

    monkeypatch.setattr(webbrowser, "open", open_page)
    monkeypatch.setattr(signin, "CALLBACK_PORT", free_port())
    return pages


def test_login_signs_in_with_pkce_and_keeps_the_tokens_for_the_user_alone(
    cognito, config_home, browser, capsys
):
    assert cli.main(["login", "--url", cognito.base]) == 0
    # The CLI opens the browser in a thread of its own and is done once the callback
    # reached it; the browser may still be reading the page it was answered.
    assert "Signed in" in wait_for(lambda: browser, seconds=10)[0]

    (asked,) = cognito.authorize_asked
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["client_id"] == CLIENT_ID and asked["scope"] == "openid email profile"
    assert asked["redirect_uri"] == f"http://127.0.0.1:{signin.CALLBACK_PORT}/callback"
    (exchange,) = cognito.token_asked
    assert exchange["grant_type"] == "authorization_code"
    assert 43 <= len(exchange["code_verifier"]) <= 128  # RFC 7636
    assert exchange["code_verifier"] not in json.dumps(asked)  # only its hash went out

    cache = config_home / "homeward" / "tokens.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    (entry,) = json.loads(cache.read_text()).values()
    assert set(entry) >= {"id_token", "refresh_token", "expires_at", "token_endpoint"}
    assert "access_token" not in entry  # the staff API takes ID tokens only
    out, err = capsys.readouterr()
    assert "coordinator, UA-NIB" in out
    assert entry["id_token"] not in out + err and entry["refresh_token"] not in out + err


def test_an_answer_for_another_sign_in_is_refused(cognito, config_home, browser, capsys):
    cognito.wrong_state = True
    assert cli.main(["login", "--url", cognito.base]) == 2
    assert "did not match" in capsys.readouterr().err
    assert cognito.token_asked == []  # the code was never exchanged
    assert not (config_home / "homeward" / "tokens.json").exists()


def test_a_sign_in_that_is_not_https_is_refused(cognito, config_home, browser, capsys):
    cognito.insecure = True
    assert cli.main(["login", "--url", cognito.base]) == 2
    assert "not https (token_endpoint)" in capsys.readouterr().err
    assert browser == [] and cognito.authorize_asked == []
    assert cli.main(["login", "--url", "http://homeward.example.org"]) == 2
    assert "http://homeward.example.org: use https" in capsys.readouterr().err


def _kept(cognito, expires_at: float, refresh_token: str) -> None:
    signin._store(
        STAGE,
        {
            "id_token": "old-id-token",
            "refresh_token": refresh_token,
            "expires_at": expires_at,
            "token_endpoint": f"{cognito.base}/oauth2/token",
            "revocation_endpoint": f"{cognito.base}/oauth2/revoke",
            "client_id": CLIENT_ID,
        },
    )


def _api_token(url: str) -> str:
    args = argparse.Namespace(url=url, token=None, key_file=None)
    return cli._api(args)._token


def test_other_commands_use_the_kept_sign_in_and_renew_it_once_expired(cognito, config_home):
    refresh = cognito.tokens()["refresh_token"]
    _kept(cognito, time.time() + 600, refresh)
    assert _api_token(STAGE) == "old-id-token"
    assert cognito.token_asked == []

    _kept(cognito, time.time() - 1, refresh)
    renewed = _api_token(STAGE + "/")  # the same stage, however it is written
    assert renewed != "old-id-token" and jwt.decode(renewed, options={"verify_signature": False})
    assert cognito.token_asked[-1]["grant_type"] == "refresh_token"
    entry = json.loads(signin.cache_file().read_text())[STAGE]
    assert entry["id_token"] == renewed and entry["refresh_token"] == refresh
    assert entry["expires_at"] > time.time() + 3000


def test_an_expired_sign_in_asks_for_another_and_is_forgotten(cognito, config_home):
    _kept(cognito, time.time() - 1, "refresh-token-cognito-no-longer-knows")
    with pytest.raises(cli.Refused, match="sign in again"):
        _api_token(STAGE)
    assert STAGE not in json.loads(signin.cache_file().read_text())
    with pytest.raises(cli.Refused, match=r"homeward --url https://homeward\.example\.org login"):
        _api_token(STAGE)


def test_a_local_run_never_uses_a_kept_sign_in(cognito, config_home, dev_key):
    _kept(cognito, time.time() + 600, "r")
    args = argparse.Namespace(url="http://127.0.0.1:8000", token=None, key_file=dev_key)
    assert cli._api(args)._token != "old-id-token"  # a minted local token


def test_logout_forgets_the_sign_in_and_revokes_it(cognito, config_home, capsys):
    _kept(cognito, time.time() + 600, "refresh-to-revoke")
    assert cli.main(["logout", "--url", STAGE]) == 0
    assert cognito.revoked == ["refresh-to-revoke"]
    assert json.loads(signin.cache_file().read_text()) == {}
    assert cli.main(["--url", STAGE, "logout"]) == 0
    assert "Not signed in" in capsys.readouterr().out
