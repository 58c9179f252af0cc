"""Photos and documents: presigned POST policies, and the server's own checks on submit."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import boto3
import pytest
from formdata import form_fields, form_key, post_form

from chalicelib.adapters.dynamo.items import from_item
from chalicelib.domain.attachments import MAX_BYTES, looks_like

KEY = form_key("upload-key-000001")
MB = 1024 * 1024


def picture(fmt: str, **options) -> bytes:
    """A small real image (a photo is decoded and encoded again on submit)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(out, format=fmt, **options)
    return out.getvalue()


JPEG = picture("JPEG")
PNG = picture("PNG")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
# The start of a Windows executable: what "photo.jpg" really was.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def request_upload(client, *, slot=1, content_type="image/jpeg", size=1000, key=KEY, headers=None):
    return client.http.post(
        "/report/uploads",
        headers={"Content-Type": "application/json", **(headers or {})},
        body=json.dumps(
            {"submission_key": key, "slot": slot, "content_type": content_type, "size": size}
        ),
    )


def policy_of(grant: dict) -> dict:
    return json.loads(base64.b64decode(grant["fields"]["policy"]))


def browser_upload(grant: dict, data: bytes) -> int:
    """What the page's script does: a multipart POST of the granted fields and the file."""
    import requests

    response = requests.post(
        grant["url"], data=grant["fields"], files={"file": ("photo", data)}, timeout=30
    )
    return response.status_code


def put(aws, slot: int, data: bytes, content_type: str, key: str = KEY) -> None:
    """An object as it would be if S3 had not enforced the policy."""
    boto3.client("s3").put_object(
        Bucket=aws["UploadsBucketName"],
        Key=f"uploads/{key}/{slot}",
        Body=data,
        ContentType=content_type,
    )


def case_item(aws) -> dict | None:
    items = boto3.client("dynamodb").scan(TableName=aws["TableName"])["Items"]
    found = [i for i in (from_item(x) for x in items) if i.get("kind") == "case"]
    return found[0] if found else None


def objects(aws, prefix: str = "") -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=aws["UploadsBucketName"], Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def versions(aws, prefix: str = "") -> list[tuple[str, str]]:
    """Every version and delete marker in the bucket: what could still be read back."""
    listed = boto3.client("s3").list_object_versions(Bucket=aws["UploadsBucketName"], Prefix=prefix)
    return [
        (v["Key"], v["VersionId"])
        for kind in ("Versions", "DeleteMarkers")
        for v in listed.get(kind, [])
    ]


def stored(aws, key: str, version_id: str) -> bytes:
    return (
        boto3.client("s3")
        .get_object(Bucket=aws["UploadsBucketName"], Key=key, VersionId=version_id)["Body"]
        .read()
    )


def submit_with(client, *slots: int):
    fields = form_fields(submission_key=KEY)
    fields["upload"] = [str(s) for s in slots]
    return post_form(client, fields)


# -- the policy ---------------------------------------------------------------------------


def test_the_presigned_post_allows_one_key_one_type_and_at_most_10_mb(client, aws):
    response = request_upload(client, slot=2, content_type="image/png", size=5 * MB)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    grant = response.json_body
    assert grant["slot"] == 2
    assert aws["UploadsBucketName"] in grant["url"]
    assert grant["fields"]["key"] == f"uploads/{KEY}/2"
    assert grant["fields"]["Content-Type"] == "image/png"
    conditions = policy_of(grant)["conditions"]
    assert ["content-length-range", 1, MAX_BYTES] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"key": f"uploads/{KEY}/2"} in conditions
    assert {"bucket": aws["UploadsBucketName"]} in conditions
    # No condition opens the policy up to other keys or types.
    assert not [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"size": 11 * MB}, "too_large"),
        ({"size": 0}, "too_large"),
        ({"content_type": "application/x-msdownload"}, "wrong_type"),
        ({"content_type": "text/html"}, "wrong_type"),
        # Kept as sent a HEIC would keep its GPS position; it is refused in words of its own.
        ({"content_type": "image/heic"}, "heic"),
        ({"slot": 6}, "invalid"),
        ({"slot": 0}, "invalid"),
        ({"key": "../../etc"}, "invalid"),
    ],
)
def test_uploads_that_cannot_pass_get_no_policy(client, aws, change, reason):
    response = request_upload(client, **change)
    assert response.status_code == 422
    assert response.json_body["detail"] == reason


def test_a_malformed_upload_request_is_422(client, aws):
    response = client.http.post("/report/uploads", body="{", headers={})
    assert response.status_code == 422


# -- the server's checks ------------------------------------------------------------------


def test_a_9_mb_jpeg_is_accepted_and_its_hash_recorded(client, aws):
    data = JPEG + b"\x00" * (9 * MB - len(JPEG))
    grant = request_upload(client, size=len(data)).json_body
    assert browser_upload(grant, data) in (200, 201, 204)
    response = submit_with(client, 1)
    assert response.status_code == 201
    case = case_item(aws)
    digest = hashlib.sha256(data).hexdigest()
    (attachment,) = case["attachments"]
    kept = stored(aws, attachment["key"], attachment["version_id"])
    assert attachment == {
        "key": f"cases/{case['reference']}/1-{digest}",
        "sha256": hashlib.sha256(kept).hexdigest(),
        "size": len(kept),
        "content_type": "image/jpeg",
        "version_id": attachment["version_id"],
        # What the reporter sent, for the chain of custody: the photo is kept re-encoded.
        "original_sha256": digest,
    }
    assert kept.startswith(b"\xff\xd8\xff") and len(kept) < MB
    # The report itself, the JSON contract, does not change shape.
    assert "attachments" not in json.loads(case["report"])


def test_every_accepted_type_is_recognised(client, aws):
    for slot, (data, content_type) in enumerate(
        [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")], start=1
    ):
        put(aws, slot, data + b"rest of the file", content_type)
    assert submit_with(client, 1, 2, 3).status_code == 201
    recorded = case_item(aws)["attachments"]
    assert [a["content_type"] for a in recorded] == ["image/jpeg", "image/png", "application/pdf"]


def test_a_heic_photo_is_refused_in_words_of_its_own_wherever_it_comes_from(client, aws):
    # In the bucket as if its policy had not held, or sent with the form without JavaScript.
    put(aws, 1, HEIC + b"rest of the file", "image/heic")
    in_bucket = submit_with(client, 1)
    without_js = post_with_files(
        client,
        form_fields(submission_key=form_key("heic-form-key-0001")),
        ("IMG_0001.HEIC", HEIC, "image/heic"),
    )
    for answer in (in_bucket, without_js):
        assert answer.status_code == 422
        page = answer.body.decode()
        assert "Фото у форматі HEIC прийняти не можемо" in page and "Ковальчук" in page
    assert objects(aws, "uploads/") == [] and case_item(aws) is None


def test_an_11_mb_file_is_refused_even_if_the_bucket_took_it(client, aws):
    put(aws, 1, JPEG + b"\x00" * (11 * MB), "image/jpeg")
    response = submit_with(client, 1)
    assert response.status_code == 422
    page = response.body.decode()
    assert re.search(r'<p class="error" id="uploads-error">[^<]*10 МБ', page)
    assert case_item(aws) is None
    assert objects(aws) == []  # the refused file is deleted
    assert versions(aws) == []  # and no version of it is left to read back


def test_an_executable_disguised_as_a_jpeg_is_refused(client, aws):
    grant = request_upload(client, size=len(EXE) + 100).json_body
    browser_upload(grant, EXE + b"\x00" * 100)
    response = submit_with(client, 1)
    assert response.status_code == 422
    assert "не є фото" in response.body.decode()
    assert case_item(aws) is None
    assert objects(aws) == []
    assert versions(aws) == []
    # The slot is dropped from the form, the rest of the answers are kept.
    assert 'name="upload"' not in response.body.decode()
    assert 'value="Ковальчук"' in response.body.decode()


def test_a_file_of_another_declared_type_is_refused(client, aws):
    put(aws, 1, b"<html><script>alert(1)</script>", "text/html")
    assert submit_with(client, 1).status_code == 422


def test_a_file_that_never_arrived_is_reported(client, aws):
    response = submit_with(client, 3)
    assert response.status_code == 422
    assert "не завантажився" in response.body.decode()


def test_files_belong_to_their_submission_only(client, aws):
    put(aws, 1, JPEG, "image/jpeg", key=form_key("someone-else"))
    # Another form's key cannot claim them: its slot 1 is empty.
    assert submit_with(client, 1).status_code == 422


def test_slots_outside_one_to_five_are_ignored(client, aws):
    fields = form_fields(submission_key=KEY)
    fields["upload"] = ["0", "6", "../x", "1e3"]
    assert post_form(client, fields).status_code == 201
    assert "attachments" not in case_item(aws)


@pytest.mark.parametrize(
    ("content_type", "head", "ok"),
    [
        ("image/jpeg", JPEG, True),
        ("image/jpeg", PNG, False),
        ("image/png", PNG, True),
        ("application/pdf", PDF, True),
        ("application/pdf", b"%PDX", False),
        ("image/heic", HEIC, True),
        ("image/heic", b"\x00\x00\x00\x18ftypisom", False),
        ("image/jpeg", EXE, False),
        ("application/x-msdownload", EXE, False),
        ("image/jpeg", b"", False),
    ],
)
def test_magic_bytes(content_type, head, ok):
    assert looks_like(content_type, head) is ok


OK = (200, 201, 204)


# -- who gets a grant ---------------------------------------------------------------------


def test_a_form_whose_report_was_filed_gets_no_more_grants(client, aws):
    assert browser_upload(request_upload(client).json_body, JPEG + b"\x00" * 100) in OK
    assert submit_with(client, 1).status_code == 201
    for slot in (1, 2):
        response = request_upload(client, slot=slot)
        assert response.status_code == 422
        assert response.json_body["detail"] == "sent"


@pytest.mark.parametrize(
    "key",
    [
        # the right shape, which was all a key needed before keys were signed
        "upload-key-000001",
        # a real key with one character changed
        KEY[:-1] + ("A" if KEY[-1] != "A" else "B"),
        # a real key of another deployment
        form_key("elsewhere", signing_key=b"another-deployment"),
    ],
    # The keys carry the time: ids that do not, so that every worker collects the same.
    ids=["shape-only", "one-character-changed", "another-deployment"],
)
def test_a_key_the_server_did_not_issue_gets_no_grant_and_no_report(client, aws, key):
    response = request_upload(client, key=key)
    assert response.status_code == 422
    assert response.json_body["detail"] == "invalid"
    # A file put in its slot some other way files nothing either.
    put(aws, 1, JPEG, "image/jpeg", key=key)
    fields = form_fields(submission_key=key)
    fields["upload"] = ["1"]
    assert post_form(client, fields).status_code == 400
    assert case_item(aws) is None


def test_an_expired_key_gets_no_grant(client, aws):
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)):
        response = request_upload(client)
    assert response.status_code == 422
    assert response.json_body["detail"] == "expired"


def test_grants_are_limited_per_source(client, aws):
    from chalicelib.services.attachments import UPLOAD_GRANTS

    codes = {request_upload(client, slot=1 + i % 5).status_code for i in range(UPLOAD_GRANTS.limit)}
    assert codes == {200}
    response = request_upload(client)
    assert response.status_code == 429
    assert response.json_body["type"] == "/problems/too-many-requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 600


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
def test_another_sites_page_gets_no_grant(client, aws, headers):
    response = request_upload(client, headers=headers)
    assert response.status_code == 403
    assert "fields" not in response.json_body


def test_homewards_own_page_gets_its_grant(client, aws):
    # What Chromium sends for a fetch from a page that asks for no referrer.
    headers = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert request_upload(client, headers=headers).status_code == 200


# -- what the case keeps ------------------------------------------------------------------


def test_the_case_keeps_its_own_copy_and_the_slot_is_emptied(client, aws):
    photo = JPEG + b"first photo" * 100
    grant = request_upload(client).json_body
    assert browser_upload(grant, photo) in OK
    assert submit_with(client, 1).status_code == 201
    case = case_item(aws)
    (attachment,) = case["attachments"]
    assert attachment["key"].startswith(f"cases/{case['reference']}/")
    assert attachment["version_id"]
    assert versions(aws, "uploads/") == []
    assert versions(aws, "cases/") == [(attachment["key"], attachment["version_id"])]

    # The old grant still works for its quarter of an hour: the slot fills again...
    assert browser_upload(grant, JPEG + b"something else" * 100) in OK
    # ...and nothing the case points at changes.
    kept = stored(aws, attachment["key"], attachment["version_id"])
    assert hashlib.sha256(kept).hexdigest() == attachment["sha256"]
    assert attachment["original_sha256"] == hashlib.sha256(photo).hexdigest()
    assert versions(aws, "cases/") == [(attachment["key"], attachment["version_id"])]
    # A refresh of the receipt is the same report, and takes nothing from the slot.
    again = submit_with(client, 1)
    assert again.status_code == 200
    assert case_item(aws)["attachments"] == [attachment]
    assert versions(aws, "cases/") == [(attachment["key"], attachment["version_id"])]


def test_a_failure_between_the_copy_and_the_case_is_made_good_by_sending_again(client, aws):
    from helpers import fail_sends

    photo = JPEG + b"retried" * 100
    assert browser_upload(request_upload(client).json_body, photo) in OK
    fail_sends("dynamodb", "TransactWriteItems", "InternalServerError", times=1)
    failed = submit_with(client, 1)
    assert failed.status_code == 500
    assert case_item(aws) is None
    (orphan,) = versions(aws, "cases/")
    # The same form again: the copy the failed attempt left is the case's file now.
    assert submit_with(client, 1).status_code == 201
    (attachment,) = case_item(aws)["attachments"]
    assert (attachment["key"], attachment["version_id"]) == orphan
    assert versions(aws, "cases/") == [orphan]
    assert versions(aws, "uploads/") == []


def test_a_copy_left_by_a_failure_is_cleared_when_the_form_comes_with_another_file(client, aws):
    from helpers import fail_sends

    assert browser_upload(request_upload(client).json_body, JPEG + b"first" * 100) in OK
    fail_sends("dynamodb", "TransactWriteItems", "InternalServerError", times=1)
    assert submit_with(client, 1).status_code == 500
    (orphan,) = versions(aws, "cases/")
    # The person replaced the photo before sending again.
    grant = request_upload(client, content_type="image/png").json_body
    assert browser_upload(grant, PNG + b"second" * 100) in OK
    assert submit_with(client, 1).status_code == 201
    (attachment,) = case_item(aws)["attachments"]
    assert attachment["content_type"] == "image/png"
    assert versions(aws, "cases/") == [(attachment["key"], attachment["version_id"])]
    assert orphan not in versions(aws)


def test_the_emulated_bucket_is_configured_as_the_template_says(aws):
    s3 = boto3.client("s3")
    bucket = aws["UploadsBucketName"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (cors,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert cors["AllowedOrigins"] == ["http://127.0.0.1:8000"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert {r["ID"] for r in rules} >= {"ExpireUnfiledUploads", "ForgetOldUploadVersions"}


# -- what a file could carry (issue 23: stored and served as sent) -------------------------


def jpeg_with_gps() -> bytes:
    """A phone's photo: EXIF with the GPS position of where it was taken."""
    from PIL import Image

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (46.0, 36.0, 52.0), 3: "E", 4: (32.0, 43.0, 8.0)})
    exif[0x010F] = "PhoneMaker"
    return picture("JPEG", exif=exif.tobytes())


POLYGLOT_HTML = b"<html><body><script>alert(document.domain)</script></body></html>"
PDF_OPEN_ACTION = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"3 0 obj<</S/JavaScript/JS(app.alert('x'))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_a_photo_is_kept_without_its_gps_position_or_what_was_appended_to_it(client, aws, token):
    from PIL import Image

    gps_photo = jpeg_with_gps()
    assert b"PhoneMaker" in gps_photo and Image.open(io_of(gps_photo)).getexif().get_ifd(0x8825)
    polyglot = JPEG + POLYGLOT_HTML
    put(aws, 1, gps_photo, "image/jpeg")
    put(aws, 2, polyglot, "image/jpeg")
    assert submit_with(client, 1, 2).status_code == 201
    first, second = case_item(aws)["attachments"]
    kept = stored(aws, first["key"], first["version_id"])
    assert b"PhoneMaker" not in kept and b"Exif" not in kept
    assert not Image.open(io_of(kept)).getexif()
    assert first["original_sha256"] == hashlib.sha256(gps_photo).hexdigest()
    other = stored(aws, second["key"], second["version_id"])
    assert b"<script" not in other and b"<html" not in other
    assert second["original_sha256"] == hashlib.sha256(polyglot).hexdigest()


def test_a_pdf_is_kept_as_evidence_but_only_ever_downloaded(client, aws, token):
    from urllib.parse import parse_qs, urlsplit

    put(aws, 1, PDF_OPEN_ACTION, "application/pdf")
    put(aws, 2, JPEG, "image/jpeg")
    assert submit_with(client, 1, 2).status_code == 201
    case = case_item(aws)
    pdf, photo = case["attachments"]
    # Evidence: the very bytes sent, and no "original" beside them.
    assert stored(aws, pdf["key"], pdf["version_id"]) == PDF_OPEN_ACTION
    assert "original_sha256" not in pdf
    headers = {"Authorization": f"Bearer {token('coordinator')}"}

    def link(attachment) -> dict:
        answer = client.http.get(
            f"/api/v1/staff/cases/{case['reference']}/attachments/{attachment['sha256']}",
            headers=headers,
        )
        assert answer.status_code == 200, answer.body
        return parse_qs(urlsplit(answer.json_body["url"]).query)

    pdf_link = link(pdf)
    assert pdf_link["response-content-disposition"][0].startswith("attachment;")
    assert pdf_link["response-content-type"] == ["application/octet-stream"]
    photo_link = link(photo)
    assert photo_link["response-content-disposition"] == ["inline"]
    assert photo_link["response-content-type"] == ["image/jpeg"]


def io_of(data: bytes):
    import io

    return io.BytesIO(data)


# -- files sent with the form, without JavaScript ------------------------------------------


def post_with_files(client, fields: dict, *files: tuple[str, bytes, str]):
    """What a browser without JavaScript sends: the form as multipart/form-data, each file
    chosen in its `file` input (an empty input sends an empty part)."""
    from urllib3 import encode_multipart_formdata

    parts = [(name, value) for name, values in fields.items() for value in _listed(values)]
    parts += [("file", f) for f in files] or [("file", ("", b"", "application/octet-stream"))]
    body, content_type = encode_multipart_formdata(parts)
    return client.http.post(
        f"/report?lang={fields.get('lang', 'uk')}",
        headers={"Content-Type": content_type},
        body=body,
    )


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def test_a_photo_sent_without_javascript_reaches_the_case_without_its_gps(client, aws):
    from PIL import Image

    gps_photo = jpeg_with_gps()
    sent = post_with_files(
        client, form_fields(submission_key=KEY), ("фото.jpg", gps_photo, "image/jpeg")
    )
    assert sent.status_code == 201, sent.body.decode()
    assert b'id="status-token"' in sent.body
    (photo,) = case_item(aws)["attachments"]
    kept = stored(aws, photo["key"], photo["version_id"])
    assert b"PhoneMaker" not in kept and not Image.open(io_of(kept)).getexif()
    assert photo["original_sha256"] == hashlib.sha256(gps_photo).hexdigest()
    # The case holds its own copy; nothing is left in the form's upload slots.
    assert objects(aws, "uploads/") == []


def test_a_file_refused_without_javascript_keeps_every_answer_and_the_other_files(client, aws):
    fields = form_fields(submission_key=KEY)
    sent = post_with_files(
        client,
        fields,
        ("photo.jpg", EXE, "image/jpeg"),
        ("birth-certificate.pdf", PDF, "application/pdf"),
    )
    assert sent.status_code == 422
    page = sent.body.decode()
    assert "не є фото" in page and "Ковальчук" in page and "iryna@example.org" in page
    # The PDF waits in its slot, named on the page; the executable is gone for good.
    assert '<input type="hidden" name="upload" value="2">' in page
    assert 'id="files-kept"' in page
    assert objects(aws, "uploads/") == [f"uploads/{KEY}/2"]
    assert case_item(aws) is None
    # Sent again as it came back (no new file chosen): the report and its PDF.
    again = post_with_files(client, {**fields, "upload": ["2"]})
    assert again.status_code == 201
    (pdf,) = case_item(aws)["attachments"]
    assert stored(aws, pdf["key"], pdf["version_id"]) == PDF


def test_files_too_large_for_one_post_are_said_and_the_answers_kept(client, aws):
    big = PDF + b"0" * (4 * MB)
    sent = post_with_files(
        client, form_fields(submission_key=KEY), ("scan.pdf", big, "application/pdf")
    )
    assert sent.status_code == 422
    page = sent.body.decode()
    assert "4 МБ" in page and "Ковальчук" in page
    assert objects(aws, "uploads/") == [] and case_item(aws) is None


def test_a_language_switch_without_javascript_keeps_the_chosen_file(client, aws):
    fields = {**form_fields(submission_key=KEY), "switch_lang": "en"}
    switched = post_with_files(client, fields, ("фото.jpg", JPEG, "image/jpeg"))
    assert switched.status_code == 200
    assert '<input type="hidden" name="upload" value="1">' in switched.body.decode()
    assert objects(aws, "uploads/") == [f"uploads/{KEY}/1"] and case_item(aws) is None


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n--y"),
    ],
)
def test_a_multipart_post_that_is_no_form_is_refused_in_words(client, aws, content_type, body):
    answer = client.http.post("/report?lang=uk", headers={"Content-Type": content_type}, body=body)
    assert answer.status_code == 415
    assert "Не вдалося прочитати повідомлення" in answer.body.decode()


def test_a_double_tap_with_a_photo_without_javascript_is_one_report_with_its_code(client, aws):
    fields = form_fields(submission_key=KEY)
    first = post_with_files(client, fields, ("фото.jpg", JPEG, "image/jpeg"))
    second = post_with_files(client, fields, ("фото.jpg", JPEG, "image/jpeg"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert b'id="status-token"' in second.body
    assert len(case_item(aws)["attachments"]) == 1
    assert objects(aws, "uploads/") == []
