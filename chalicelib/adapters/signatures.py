"""Homeward's signature on a prosecutor's package (Ed25519 over its manifest).

The key is derived from the stage's signing key (HMAC, its own label), so a stage needs
no further secret and signs alike in every function; its public half travels in each
package (signer.pem) and the coalition can publish it for recipients to compare.
"""

from __future__ import annotations

import hashlib
import hmac


class PackageSigner:
    """Signs bytes; `public_pem` checks them (services/evidence_packages.py Signer)."""

    def __init__(self, sign, public_pem: bytes) -> None:
        self.sign = sign
        self.public_pem = public_pem


def package_signer(signing_key: bytes) -> PackageSigner:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = hmac.new(signing_key, b"homeward evidence package signer", hashlib.sha256).digest()
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return PackageSigner(key.sign, public)


def signature_holds(public_pem: bytes, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_public_key(public_pem)
        key.verify(signature, message)  # type: ignore[union-attr]
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True
