"""`GET /dev/outbox`, for local runs only: what the app sent through the emulated SES and SNS.

Registered in every stage but answering 404 outside local runs, so a deployed API
cannot be made to say anything here. What it reads is installed by the local runner
(infra/local/outbox.py) and exists nowhere else.
"""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web.http import json_response
from chalicelib.web.problems import not_found

bp = Blueprint(__name__)


@bp.route("/dev/outbox", methods=["GET"])
def outbox() -> Response:
    if not wiring.settings().is_local or wiring.local_outbox is None:
        return not_found()
    return json_response(200, {"messages": wiring.local_outbox()})
