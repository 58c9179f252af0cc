"""Upload slots for the report form's photos and documents (POST /report/uploads)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import wiring
from chalicelib.web.http import ALL_TYPES, cross_site, json_response, parse_json, source
from chalicelib.web.problems import problem

bp = Blueprint(__name__)


@bp.route("/report/uploads", methods=["POST"], content_types=ALL_TYPES)
def request_upload() -> Response:
    """A presigned POST for one file: {submission_key, slot, content_type, size}.

    Only for the form's own page, with a form key the server issued and whose report was
    not filed yet; each source may ask a limited number of times (429 past it).
    """
    from chalicelib.services import attachments as files

    request = bp.current_request
    store = wiring.file_store()
    if store is None:
        return problem(404, "not-found", "Uploads are not available")
    settings = wiring.settings()
    if cross_site(request, settings.public_url):
        return problem(403, "cross-site", "Upload from Homeward's own form")
    raw = request.raw_body or b""
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
            source=source(request),
            stores=wiring.stores(),
            settings=settings,
        )
    except (ValueError, KeyError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, files.UploadRefused) else "invalid"
        return problem(422, "upload-refused", "This file cannot be uploaded", reason)
    return json_response(200, grant)
