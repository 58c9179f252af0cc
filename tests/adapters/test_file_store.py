"""The FileStore port's contract, on the fake and on S3 (moto), with versioning on."""

import boto3
import pytest
from fakes import FakeFileStore
from helpers import fail_sends

JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 100


@pytest.fixture(params=["fake", "s3"])
def bucket(request):
    """(the store, put(key, data, type) -> version id, read(key, version) -> bytes)."""
    if request.param == "fake":
        store = FakeFileStore()
        return store, store.put, store.read
    outputs = request.getfixturevalue("aws")
    from chalicelib import wiring

    s3, name = boto3.client("s3"), outputs["UploadsBucketName"]

    def put(key, data, content_type):
        return s3.put_object(Bucket=name, Key=key, Body=data, ContentType=content_type)["VersionId"]

    def read(key, version_id):
        return s3.get_object(Bucket=name, Key=key, VersionId=version_id)["Body"].read()

    return wiring.file_store(), put, read


def test_inspect_reads_the_current_version_and_names_it(bucket):
    store, put, _ = bucket
    put("uploads/k/1", PNG, "image/png")
    current = put("uploads/k/1", JPEG, "image/jpeg")
    found = store.inspect("uploads/k/1", 10_000, 4)
    assert (found.version_id, found.content_type, found.head, found.size) == (
        current,
        "image/jpeg",
        JPEG[:4],
        len(JPEG),
    )
    assert store.inspect("uploads/k/2", 10_000, 4) is None


def test_a_copy_is_of_the_version_named_and_is_made_once(bucket):
    store, put, read = bucket
    first = put("uploads/k/1", JPEG, "image/jpeg")
    put("uploads/k/1", PNG, "image/png")
    copied = store.copy_once("uploads/k/1", first, "cases/HW-2222-2222/1-abc")
    assert read("cases/HW-2222-2222/1-abc", copied) == JPEG
    # Asked again (another attempt), the copy there is used and nothing is written.
    assert store.copy_once("uploads/k/1", first, "cases/HW-2222-2222/1-abc") == copied
    assert store.versions("cases/") == [("cases/HW-2222-2222/1-abc", copied)]


def test_a_version_is_read_whole_and_a_cleaned_file_is_written_once(bucket):
    store, put, read = bucket
    first = put("uploads/k/1", JPEG, "image/jpeg")
    put("uploads/k/1", PNG, "image/png")
    # The version that was checked, not what was uploaded over it since.
    assert store.read("uploads/k/1", first) == JPEG
    assert store.read("uploads/k/1", None) == PNG
    # A re-encoded photo, named by the original's hash: written once, read back whole.
    target = "cases/HW-2222-2222/1-abc"
    made = store.put_once(target, JPEG, "image/jpeg")
    assert store.read(target, made) == JPEG == read(target, made)
    assert store.inspect(target, 10_000, 4).content_type == "image/jpeg"
    # Asked again (another attempt), the file there is kept and nothing is written.
    assert store.put_once(target, PNG, "image/png") == made
    assert store.versions("cases/") == [(target, made)]
    assert store.read(target, None) == JPEG


def test_a_file_the_server_received_is_put_where_an_upload_would_be_and_read_back(bucket):
    store, _, read = bucket
    first = store.put("uploads/no-js/1", JPEG, "image/jpeg")
    second = store.put("uploads/no-js/1", PNG, "image/png")
    assert read("uploads/no-js/1", first) == JPEG
    assert store.read("uploads/no-js/1", second) == PNG
    assert store.inspect("uploads/no-js/1", 10_000, 4).content_type == "image/png"


def test_a_deleted_version_is_gone_for_good(bucket):
    store, put, _ = bucket
    first = put("uploads/k/1", JPEG, "image/jpeg")
    second = put("uploads/k/1", PNG, "image/png")
    put("uploads/k/2", PNG, "image/png")
    assert sorted(v for k, v in store.versions("uploads/k/1")) == sorted([first, second])
    store.delete("uploads/k/1", second)
    assert store.versions("uploads/k/1") == [("uploads/k/1", first)]
    # The older version is current again, not hidden behind a delete marker.
    assert store.inspect("uploads/k/1", 10_000, 4).version_id == first
    store.delete("uploads/k/1", first)
    assert store.versions("uploads/k/1") == []
    assert store.inspect("uploads/k/1", 10_000, 4) is None


def test_a_copy_that_loses_a_race_uses_the_winners(aws):
    """Two copies to one name pass their look at once; If-None-Match refuses the second."""
    from chalicelib import wiring

    s3, name = boto3.client("s3"), aws["UploadsBucketName"]
    source = s3.put_object(Bucket=name, Key="uploads/k/1", Body=JPEG)["VersionId"]
    target = "cases/HW-2222-2222/1-abc"
    winner = s3.put_object(Bucket=name, Key=target, Body=JPEG)["VersionId"]
    fail_sends("s3", "HeadObject", "404", times=1)  # the look, before the winner wrote
    fail_sends("s3", "CopyObject", "PreconditionFailed", times=1)
    assert wiring.file_store().copy_once("uploads/k/1", source, target) == winner


def test_an_upload_is_offered_for_one_key_and_type_from_the_stores_origin(bucket):
    store, _, _ = bucket
    offer = store.presigned_upload("uploads/k/1", "image/jpeg", 5_000_000)
    assert offer["fields"]["key"] == "uploads/k/1"
    assert offer["fields"]["Content-Type"] == "image/jpeg"
    origin = store.upload_origin()
    # The page's Content-Security-Policy allows posts to the origin: it must be the one
    # the offer names.
    assert origin.startswith(("https://", "http://")) and origin.count("/") == 2
    assert offer["url"].startswith(origin)


def test_links_name_the_file_and_how_long_they_last(bucket):
    store, put, _ = bucket
    version = put("cases/HW-2222-2222/1-abc", JPEG, "image/jpeg")
    link = store.download_link("cases/HW-2222-2222/1-abc", version, 300, "image/jpeg")
    assert "cases/HW-2222-2222/1-abc" in link and "300" in link
    assert link.startswith(store.upload_origin())


def test_an_export_is_written_under_exports_only_and_linked(bucket):
    store, _, read = bucket
    store.put_export("exports/coord/e-1.csv", b"reference\nHW-2222-2222\n", "text/csv", "e.csv")
    ((key, version),) = store.versions("exports/")
    assert key == "exports/coord/e-1.csv"
    assert read(key, version) == b"reference\nHW-2222-2222\n"
    # Kept a day by the bucket's rule for exports/: nothing else is written through here.
    with pytest.raises(ValueError):
        store.put_export("cases/HW-2222-2222/e.csv", b"x", "text/csv", "e.csv")
    link = store.export_link("exports/coord/e-1.csv", 300)
    assert "exports/coord/e-1.csv" in link and "300" in link
