"""Where staff sign in (GET /api/v1/sign-in): the stage's managed login, for `homeward login`.

Staff never type a password into Homeward: `homeward login` opens Cognito's managed login
in the browser (authorization code with PKCE) and learns here where it is and which app
client to name, so knowing the stage's address is enough. None of it is secret: the app
client is public (it has no secret), and the pages it leads to are Cognito's.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web.http import json_response
from chalicelib.web.problems import problem

bp = Blueprint(__name__)
SCOPE = "openid email profile"


@bp.route("/api/v1/sign-in", methods=["GET"])
def sign_in() -> Response:
    settings = wiring.settings()
    base = settings.sign_in_url
    if not base:
        # A local run has no Cognito: `homeward dev-token` mints its staff tokens.
        return problem(404, "not-found", "This stage has no staff sign-in")
    return json_response(
        200,
        {
            "issuer": settings.token_issuer,
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "client_id": settings.token_audience,
            "scope": SCOPE,
        },
    )
