"""Every staff request proves who it is: bad tokens get 401 and learn nothing else."""

import datetime as dt

import jwt
import pytest

from chalicelib.adapters.tokens import DEV_KEY_ID, ensure_dev_key, load_dev_key, mint_dev_token

ROUTES = [
    ("GET", "/api/v1/staff/cases"),
    ("GET", "/api/v1/staff/cases/HW-AAAA-BBBB"),
    ("POST", "/api/v1/staff/cases/HW-AAAA-BBBB/status"),
    ("POST", "/api/v1/staff/cases/HW-AAAA-BBBB/assignee"),
    ("POST", "/api/v1/staff/cases/HW-AAAA-BBBB/notes"),
    ("POST", "/api/v1/staff/cases/HW-AAAA-BBBB/links"),
    ("GET", "/api/v1/staff/cases/HW-AAAA-BBBB/audit"),
    ("GET", "/api/v1/staff/statistics"),
]


@pytest.fixture
def aws(shared_aws):
    """Refusals change nothing, and the one good request only reads: one account serves
    the module."""
    return shared_aws


def call(client, method, path, token=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.request(method, path, headers=headers, body=b"{}")


def claims(**changes) -> dict:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    base = {
        "sub": "someone",
        "iss": "homeward-local",
        "aud": "homeward-local",
        "iat": now,
        "exp": now + 600,
        "token_use": "id",
        "cognito:groups": ["coordinator"],
        "custom:agency": "UA-NIB",
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def signed(key_file, payload) -> str:
    return jwt.encode(
        payload, load_dev_key(key_file), algorithm="RS256", headers={"kid": DEV_KEY_ID}
    )


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_staff_route_needs_a_token(client, method, path):
    response = call(client, method, path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.fixture(scope="module")
def bad_tokens(dev_key, tmp_path_factory):
    """Every kind of bad token, made once: the attacker's key pair takes half a second."""
    other_key = ensure_dev_key(tmp_path_factory.mktemp("attacker") / "attacker.pem")
    good = signed(dev_key, claims())
    header, _payload, signature = good.split(".")
    elevated = jwt.utils.base64url_encode(
        jwt.api_jws.json.dumps(claims(**{"custom:agency": "CA-GAC"})).encode()
    ).decode()
    return {
        "garbage": "not-a-token",
        "expired": mint_dev_token(
            dev_key,
            role="coordinator",
            agency="UA-NIB",
            now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9),
        ),
        "forged": signed(other_key, claims()),
        "tampered": f"{header}.{elevated}.{signature}",
        "wrong-audience": signed(dev_key, claims(aud="another-app")),
        "wrong-issuer": signed(dev_key, claims(iss="https://evil.example")),
        "no-expiry": signed(dev_key, claims(exp=None)),
        "access-token": signed(dev_key, claims(token_use="access")),
        "no-role": signed(dev_key, claims(**{"cognito:groups": ["visitors"]})),
        "two-roles": signed(dev_key, claims(**{"cognito:groups": ["auditor", "coordinator"]})),
        "no-agency": signed(dev_key, claims(**{"custom:agency": None})),
        "unsigned": jwt.encode(claims(), None, algorithm="none"),
        "hs256-with-public-key": jwt.encode(
            claims(), "a-secret-an-attacker-chose-32-bytes!", algorithm="HS256"
        ),
        # Claims of the wrong type or size: Cognito never issues these.
        "agency-list": signed(dev_key, claims(**{"custom:agency": ["UA-NIB", "CA-GAC"]})),
        "agency-not-a-code": signed(dev_key, claims(**{"custom:agency": "anything at all"})),
        "groups-a-string": signed(dev_key, claims(**{"cognito:groups": "coordinator"})),
        "ten-year-lifetime": signed(
            dev_key, claims(exp=int(dt.datetime.now(dt.UTC).timestamp()) + 10 * 365 * 86400)
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "garbage",
        "expired",
        "forged",
        "tampered",
        "wrong-audience",
        "wrong-issuer",
        "no-expiry",
        "access-token",
        "no-role",
        "two-roles",
        "no-agency",
        "unsigned",
        "hs256-with-public-key",
        "agency-list",
        "agency-not-a-code",
        "groups-a-string",
        "ten-year-lifetime",
    ],
)
@pytest.mark.parametrize(("method", "path"), [ROUTES[0], ROUTES[1], ROUTES[2]])
def test_bad_tokens_are_401(client, bad_tokens, kind, method, path):
    response = call(client, method, path, bad_tokens[kind])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="homeward", error="invalid_token"'


def test_a_good_token_passes(client, token):
    assert call(client, "GET", "/api/v1/staff/statistics", token("coordinator")).status_code == 200


@pytest.mark.parametrize("scheme", ["", "Token ", "Basic ", "Bearer"])
def test_a_token_travels_only_as_a_bearer_token(client, token, scheme):
    headers = {"Authorization": f"{scheme}{token('coordinator')}"}
    response = client.http.get("/api/v1/staff/statistics", headers=headers)
    assert response.status_code == 401


def test_staff_answers_are_never_cached_or_sniffed(client, token):
    for response in (
        call(client, "GET", "/api/v1/staff/statistics", token("coordinator")),
        call(client, "GET", "/api/v1/staff/cases/HW-2222-3333", token("coordinator")),
        call(client, "GET", "/api/v1/staff/statistics"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_development_tokens_are_refused_when_deployed(app_module, token, monkeypatch):
    from chalice.test import Client

    from chalicelib import wiring

    good = token("coordinator")
    monkeypatch.setenv("HOMEWARD_TOKEN_ISSUER", "https://cognito-idp.eu-central-1.amazonaws.com/x")
    monkeypatch.setenv("HOMEWARD_TOKEN_AUDIENCE", "client-id")
    monkeypatch.setenv("HOMEWARD_PUBLIC_URL", "https://homeward.example.org")
    wiring.reset()
    with Client(app_module.app, stage_name="prod") as deployed:
        assert call(deployed, "GET", "/api/v1/staff/statistics", good).status_code == 401
