"""Sealing the most sensitive fields of a report before they are stored (envelope encryption).

Each case gets its own data key from KMS (GenerateDataKey under the stage's customer
managed key, with the case's reference as encryption context); each group of fields
(domain/report.py's SEALED_GROUPS: the reporter's, the child's) is encrypted apart with
AES-256-GCM (the `cryptography` package, already in the Lambda for tokens) under that
one key, each with its own nonce and with the reference and the group bound in as
associated data, and only the KMS-encrypted data key is stored beside them. A group is
erased by removing its ciphertext: no KMS call, and nothing left that a key could open.
So the table, its stream and its backups hold ciphertext; opening a case's fields needs
kms:Decrypt, which only the functions that show them are granted (the public intake
function can seal but never open: infra/package.py).

Why not the AWS Encryption SDK: it would bring its own dependencies and message format
for what is one data key and one AES-GCM call here, and `cryptography` is already there.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from typing import Any

FORMAT = b"\x01"  # the first byte says how the rest is laid out
NONCE_BYTES = 12


class SealBroken(Exception):
    """The sealed fields could not be opened: wrong case, tampered, or the key refused."""


class FieldSealer:
    def __init__(
        self, kms: Any, key_id: str, *, cache_seconds: float = 300, cache_size: int = 512
    ) -> None:
        self._kms = kms
        self._key_id = key_id
        # Data keys a warm Lambda opened lately: reading one case twice costs one KMS call.
        self._keys: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()
        self._cache_seconds = cache_seconds
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @staticmethod
    def _context(reference: str) -> dict[str, str]:
        return {"homeward:case": reference}

    @staticmethod
    def _associated(reference: str, group: str | None) -> bytes:
        # A group's ciphertext opens only as that group of that case: moved to another
        # case, or to the other group's attribute, its tag fails. (None: the one group of
        # cases sealed before there were groups.)
        return (reference if group is None else f"{reference}#{group}").encode()

    def seal(self, reference: str, groups: dict[str, dict]) -> tuple[dict[str, bytes], bytes]:
        """Each group of fields encrypted for this case under one new data key (one KMS
        call), and the encrypted data key to store beside them."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        response = self._kms.generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=self._context(reference)
        )
        cipher = AESGCM(response["Plaintext"])
        sealed = {}
        for group, fields in groups.items():
            # A fresh random nonce for each group: two messages under one key must never
            # share one (96 random bits: no collision in a handful per key).
            nonce = os.urandom(NONCE_BYTES)
            plaintext = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
            body = cipher.encrypt(nonce, plaintext, self._associated(reference, group))
            sealed[group] = FORMAT + nonce + body
        return sealed, response["CiphertextBlob"]

    def open(self, reference: str, group: str | None, sealed: bytes, key_blob: bytes) -> dict:
        """One group's fields (None: a case sealed before there were groups)."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not sealed.startswith(FORMAT):
            raise SealBroken("format")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            plaintext = AESGCM(self._data_key(reference, key_blob)).decrypt(
                nonce, body, self._associated(reference, group)
            )
        except InvalidTag:
            raise SealBroken("tag") from None
        return json.loads(plaintext)

    def _data_key(self, reference: str, key_blob: bytes) -> bytes:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(key_blob)
            if cached and cached[0] > now:
                return cached[1]
        from botocore.exceptions import ClientError

        try:
            key = self._kms.decrypt(
                CiphertextBlob=key_blob, EncryptionContext=self._context(reference)
            )["Plaintext"]
        except ClientError as exc:
            raise SealBroken(exc.response.get("Error", {}).get("Code", "kms")) from None
        with self._lock:
            self._keys[key_blob] = (now + self._cache_seconds, key)
            while len(self._keys) > self._cache_size:
                self._keys.popitem(last=False)
        return key
