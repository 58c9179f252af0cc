"""RFC 3161 time stamps: asking a Time-Stamp Authority, and checking what it answered.

The requests and the checks are rfc3161-client's (maintained by Trail of Bits for
sigstore): a request carries the SHA-256 of the message and a nonce, and a response is
accepted only when its CMS signature verifies against the TSA's certificate, that
certificate is marked for time stamping only, and the imprint (and nonce) are the ones
asked for. The library is imported when used: only the daily anchor and the command
line's verification need it.
"""

from __future__ import annotations

import urllib.request
from typing import Protocol


class TimeStampAuthority(Protocol):
    certificate_pem: bytes

    def stamp(self, request: bytes) -> bytes:
        """The TSA's TimeStampResp (DER) to a TimeStampReq (DER)."""
        ...


class HttpTimeStampAuthority:
    """A TSA reached over HTTP(S) (RFC 3161 section 3.4), whose certificate is configured."""

    def __init__(self, url: str, certificate_pem: bytes, timeout: float = 10.0) -> None:
        self._url = url
        self.certificate_pem = certificate_pem
        self._timeout = timeout

    def stamp(self, request: bytes) -> bytes:
        asked = urllib.request.Request(  # noqa: S310 - the stage's configured TSA, http(s)
            self._url,
            data=request,
            method="POST",
            headers={"Content-Type": "application/timestamp-query"},
        )
        with urllib.request.urlopen(asked, timeout=self._timeout) as answer:  # noqa: S310
            return answer.read()


class TimeStampRefused(Exception):
    """The TSA's answer does not hold: named in words."""


def stamp(authority: TimeStampAuthority, message: bytes) -> bytes:
    """A verified TimeStampResp over `message`'s SHA-256; TimeStampRefused otherwise."""
    from rfc3161_client import (
        HashAlgorithm,
        TimestampRequestBuilder,
        VerifierBuilder,
        decode_timestamp_response,
    )

    request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
    answer = authority.stamp(request.as_bytes())
    try:
        response = decode_timestamp_response(answer)
        certificate = _certificate(authority.certificate_pem)
        verifier = (
            VerifierBuilder.from_request(request)
            .tsa_certificate(certificate)
            .add_root_certificate(certificate)
            .build()
        )
        verifier.verify_message(response, message)
    except Exception as exc:  # the library raises several kinds; all mean "not valid"
        raise TimeStampRefused(f"the TSA's answer does not verify: {exc}") from None
    return answer


def problem(response: bytes, message: bytes, certificate_pem: bytes) -> str | None:
    """Why a stored TimeStampResp does not prove `message` existed at its time (None: it
    does): checked against the TSA certificate alone, offline."""
    from rfc3161_client import VerifierBuilder, decode_timestamp_response

    try:
        decoded = decode_timestamp_response(response)
    except Exception:  # a changed byte usually makes it unreadable
        return "is not a readable RFC 3161 time-stamp response"
    try:
        certificate = _certificate(certificate_pem)
        verifier = (
            VerifierBuilder().tsa_certificate(certificate).add_root_certificate(certificate).build()
        )
        verifier.verify_message(decoded, message)
    except Exception as exc:
        return f"does not verify against the TSA certificate ({exc})"
    return None


def time_of(response: bytes):
    """When the TSA says it stamped the message (its genTime)."""
    from rfc3161_client import decode_timestamp_response

    return decode_timestamp_response(response).tst_info.gen_time


def _certificate(pem: bytes):
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)
