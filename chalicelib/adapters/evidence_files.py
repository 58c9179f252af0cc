"""The evidence bucket (S3 with Object Lock): originals, exactly as reporters sent them.

The bucket (infra/template.yaml) is created with Object Lock in compliance mode and a
default retention set by the stage's `EvidenceRetentionDays`: nobody, the account's root
included, can change or delete an original before its retention ends, and a legal hold
(per case, once its evidence goes into a package) keeps it past that until released.
Only the evidence role reads it; the public function may only write new originals.

Originals are named by their content (`originals/<reference>/<slot>-<sha256>`), so a
second attempt to file the same form finds the first's copy and keeps it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.files import read_version

# If-None-Match lost to an earlier write of the same name (a concurrent one: 409).
_TAKEN = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class EvidenceFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def keep(self, key: str, data: bytes, content_type: str) -> str | None:
        """Store an original unless one is there (If-None-Match: the writer may not read
        the bucket); the new version, or None where an earlier attempt's copy lies (named
        by content: the same bytes, its only version under Object Lock). S3 checks the
        SHA-256 on arrival: a byte changed on the way is refused."""
        if not key.startswith("originals/"):
            raise ValueError("originals live under originals/")
        try:
            made = self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _TAKEN:
                return None
            raise
        return made.get("VersionId")

    def read(self, key: str, version_id: str | None) -> bytes:
        return read_version(self._client, self._bucket, key, version_id)

    def hold(self, key: str, version_id: str | None) -> None:
        self._client.put_object_legal_hold(
            Bucket=self._bucket,
            Key=key,
            LegalHold={"Status": "ON"},
            **({"VersionId": version_id} if version_id else {}),
        )

    def held(self, key: str, version_id: str | None) -> bool:
        found = self._client.get_object_legal_hold(
            Bucket=self._bucket, Key=key, **({"VersionId": version_id} if version_id else {})
        )
        return found.get("LegalHold", {}).get("Status") == "ON"

    def put_package(self, key: str, data: bytes) -> None:
        if not key.startswith("packages/"):
            raise ValueError("packages live under packages/")
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType="application/zip",
            ChecksumAlgorithm="SHA256",
        )

    def read_package(self, key: str) -> bytes:
        return self.read(key, None)
