"""GET /api/v1/sign-in: where `homeward login` sends staff to sign in."""

from chalice.test import Client

SIGN_IN = "https://homeward-prod-staff.auth.eu-central-1.amazoncognito.com"


def test_a_deployed_stage_names_its_managed_login_and_public_client(app_module, monkeypatch):
    from chalicelib import wiring

    issuer = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Example"
    monkeypatch.setenv("HOMEWARD_PUBLIC_URL", "https://homeward.example.org")
    monkeypatch.setenv("HOMEWARD_SIGN_IN_URL", SIGN_IN + "/")
    monkeypatch.setenv("HOMEWARD_TOKEN_ISSUER", issuer)
    monkeypatch.setenv("HOMEWARD_TOKEN_AUDIENCE", "4kq9example0client0id")
    wiring.reset()
    with Client(app_module.app, stage_name="prod") as deployed:
        answer = deployed.http.get("/api/v1/sign-in")
    assert answer.status_code == 200
    assert answer.json_body == {
        "issuer": issuer,
        "authorization_endpoint": f"{SIGN_IN}/oauth2/authorize",
        "token_endpoint": f"{SIGN_IN}/oauth2/token",
        "revocation_endpoint": f"{SIGN_IN}/oauth2/revoke",
        "client_id": "4kq9example0client0id",
        "scope": "openid email profile",
    }


def test_a_local_run_has_no_sign_in(client):
    answer = client.http.get("/api/v1/sign-in")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/problem+json"
