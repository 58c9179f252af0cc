"""The private bucket that holds reporters' photos and documents (S3).

Browsers upload straight to it with presigned POSTs, so a 10 MB photo never passes
through the API's Lambda (whose request body is capped at 6 MB anyway). Nothing in the
bucket is readable without AWS credentials, except through a link the staff function
signs for one version of one case's file, for a minute, after checking and auditing
who asks (services/attachment_links.py), and a staff export (`exports/`, written for the
staff member who asked) through the 5-minute presigned GET they are given.

The bucket is versioned: every read, copy and delete here names the version it means, so
a file overwritten between the check and the copy cannot slip onto a case, and a delete
leaves no older version behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from chalicelib.domain.attachments import ACCEPTED_TYPES

UPLOAD_SECONDS = 15 * 60
CHUNK = 1024 * 1024
_ABSENT = ("404", "NoSuchKey", "NotFound")
# If-None-Match lost to another write of the same name (a concurrent one: 409).
_TAKEN = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def read_version(client: Any, bucket: str, key: str, version_id: str | None) -> bytes:
    """One version of an object (the newest if None), whole; the stream always closed."""
    body = client.get_object(
        Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {})
    )["Body"]
    try:
        return body.read()
    finally:
        body.close()


@dataclass(frozen=True)
class StoredFile:
    size: int
    content_type: str
    sha256: str
    head: bytes
    version_id: str | None = None


def _disposition(key: str, content_type: str, download: bool) -> str:
    if not download:
        return "inline"
    # Named by the case's file name (slot and hash, never the reporter's own file name).
    return f'attachment; filename="{key.rsplit("/", 1)[-1]}{ACCEPTED_TYPES.get(content_type, "")}"'


class FileStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def presigned_upload(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """A one-key POST policy: only this key, this declared type, at most max_bytes."""
        return self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=UPLOAD_SECONDS,
        )

    def download_link(
        self,
        key: str,
        version_id: str | None,
        seconds: int,
        content_type: str,
        *,
        download: bool = False,
    ) -> str:
        """A GET of one version of one file, valid `seconds`: shown inline as its type, or
        with `download` only ever saved (a PDF's scripts never run in Homeward's origin or
        the bucket's), as a type no browser renders or sniffs into a page."""
        params: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "ResponseContentType": "application/octet-stream" if download else content_type,
            "ResponseContentDisposition": _disposition(key, content_type, download),
            "ResponseCacheControl": "no-store",
        }
        if version_id:
            params["VersionId"] = version_id
        return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)

    def upload_origin(self) -> str:
        """Where browsers POST files to, for the page's Content-Security-Policy.

        Signing is local (no request is made), so asking boto3 is cheap and always agrees
        with the URLs handed out, emulator endpoint included.
        """
        url = self._client.generate_presigned_post(Bucket=self._bucket, Key="origin")["url"]
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def inspect(self, key: str, max_bytes: int, head_bytes: int) -> StoredFile | None:
        """Size, declared type, SHA-256 and first bytes of a stored file; None if absent.

        Reads no more than max_bytes + 1, so a file that grew past the limit (the bucket
        did not enforce the policy) is recognised without being read whole. Everything
        is read from the version the first look found, whatever is uploaded meanwhile.
        """
        meta = self._head(key)
        if meta is None:
            return None
        version_id = meta.get("VersionId")
        size = int(meta["ContentLength"])
        content_type = meta.get("ContentType", "")
        # An empty object cannot be read by range; neither it nor an oversize one is read.
        if size == 0 or size > max_bytes:
            return StoredFile(size, content_type, "", b"", version_id)
        body = self._client.get_object(
            Bucket=self._bucket,
            Key=key,
            Range=f"bytes=0-{max_bytes}",
            **({"VersionId": version_id} if version_id else {}),
        )
        digest = hashlib.sha256()
        head = b""
        read = 0
        stream = body["Body"]
        try:
            while chunk := stream.read(CHUNK):
                if len(head) < head_bytes:
                    head += chunk[: head_bytes - len(head)]
                digest.update(chunk)
                read += len(chunk)
        finally:
            stream.close()
        return StoredFile(read, content_type, digest.hexdigest(), head, version_id)

    def read(self, key: str, version_id: str | None) -> bytes:
        """One version of a file, whole (a checked upload: at most its size limit)."""
        return read_version(self._client, self._bucket, key, version_id)

    def put(self, key: str, data: bytes, content_type: str) -> str | None:
        """Write a file the server received itself (a form sent without JavaScript) where
        a browser's presigned POST would have put it; the version written."""
        made = self._client.put_object(
            Bucket=self._bucket, Key=key, Body=data, ContentType=content_type
        )
        return made.get("VersionId")

    def put_once(self, target: str, data: bytes, content_type: str) -> str | None:
        """Write `target` unless it exists (callers name targets by content, so what is
        found holds the same bytes); the version at `target`."""
        found = self._head(target)
        if found is not None:
            return found.get("VersionId")
        try:
            made = self._client.put_object(
                Bucket=self._bucket,
                Key=target,
                Body=data,
                ContentType=content_type,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _code(exc) not in _TAKEN:
                raise
            found = self._head(target)
            if found is None:
                raise
            return found.get("VersionId")
        return made.get("VersionId")

    def copy_once(self, key: str, version_id: str | None, target: str) -> str | None:
        """Copy one version of `key` to `target`, unless `target` exists already.

        Returns the version at `target`: the new copy's, or the one found there. Callers
        name targets by content, so what is found holds the same bytes. If-None-Match makes
        the copy itself refuse to replace anything, should two copies race past the look.
        """
        found = self._head(target)
        if found is not None:
            return found.get("VersionId")
        source = {"Bucket": self._bucket, "Key": key}
        if version_id:
            source["VersionId"] = version_id
        try:
            made = self._client.copy_object(
                Bucket=self._bucket, Key=target, CopySource=source, IfNoneMatch="*"
            )
        except ClientError as exc:
            if _code(exc) not in _TAKEN:
                raise
            found = self._head(target)
            if found is None:
                raise
            return found.get("VersionId")
        return made.get("VersionId")

    def versions(self, prefix: str) -> list[tuple[str, str | None]]:
        """Every stored version under a prefix, as (key, version id); delete markers,
        which hold no bytes, are not listed."""
        found: list[tuple[str, str | None]] = []
        pages = self._client.get_paginator("list_object_versions").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        for page in pages:
            for version in page.get("Versions", []):
                vid = version.get("VersionId")
                found.append((version["Key"], None if vid in (None, "null") else vid))
        return found

    def delete(self, key: str, version_id: str | None) -> None:
        """Delete one version for good: no delete marker, no older version left readable."""
        self._client.delete_object(
            Bucket=self._bucket, Key=key, **({"VersionId": version_id} if version_id else {})
        )

    def _head(self, key: str) -> dict[str, Any] | None:
        # A missing key is a 404 only to a caller who may list the bucket (a 403 else):
        # infra/package.py grants the API s3:ListBucket for that reason alone.
        try:
            return self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _ABSENT:
                return None
            raise

    # -- staff exports (services/exports.py): the only objects read by presigned GETs ----

    def put_export(self, key: str, data: bytes, content_type: str, filename: str) -> None:
        if not key.startswith("exports/"):
            raise ValueError("exports live under exports/")
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            ContentDisposition=f'attachment; filename="{filename}"',
        )

    def export_link(self, key: str, seconds: int) -> str:
        """A GET of a staff export (downloaded as the file named when it was put)."""
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=seconds
        )
