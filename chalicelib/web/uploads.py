"""Upload slots for the report form's photos and documents (POST /report/uploads)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web.http import ALL_TYPES, json_response, parse_json
from chalicelib.web.problems import problem

bp = Blueprint(__name__)


@bp.route("/report/uploads", methods=["POST"], content_types=ALL_TYPES)
def request_upload() -> Response:
    """A presigned POST for one file: {submission_key, slot, content_type, size}.

    Only with a form key the server issued and whose report was not filed yet.
    """
    from chalicelib.services import attachments as files

    store = wiring.file_store()
    if store is None:
        return problem(404, "not-found", "Uploads are not available")
    raw = bp.current_request.raw_body or b""
    if len(raw) > 4096:
        return problem(413, "body-too-large", "Request too large")
    try:
        asked = parse_json(raw)
        grant = files.issue_upload(
            store,
            str(asked["submission_key"]),
            int(asked["slot"]),
            str(asked["content_type"]),
            int(asked["size"]),
            stores=wiring.stores(),
            settings=wiring.settings(),
        )
    except (ValueError, KeyError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, files.UploadRefused) else "invalid"
        return problem(422, "upload-refused", "This file cannot be uploaded", reason)
    return json_response(200, grant)
