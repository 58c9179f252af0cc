"""A local Time-Stamp Authority: real RFC 3161 tokens, for tests and `make run`.

No TSA is reachable from the machines Homeward is built and tested on, so this stands in
for one: a self-signed certificate whose only extended key usage (critical, as RFC 3161
asks) is time stamping, and a key that signs each request's message imprint and nonce
in a CMS SignedData over a TSTInfo, exactly as a public TSA does. The tokens verify with
the same client library and checks as a real TSA's (chalicelib/adapters/timestamps.py),
so a test that passes here fails on a forged or altered token for the same reasons.

Never in the Lambda package: asn1crypto is a development dependency.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
from functools import cache

# The stand-in's policy: an OID under the "example" arc of RFC 7229's documentation range.
POLICY = "1.3.6.1.4.1.32473.1.1"
# Valid from long before any test's fixed date to long after the clock run 400 days on.
VALID_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
VALID_UNTIL = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


class LocalTimeStampAuthority:
    """Signs time-stamp requests (DER) with its own key; `certificate_pem` to verify."""

    def __init__(self, now=lambda: dt.datetime.now(dt.UTC)) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        self._now = now
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "Homeward local TSA (not for evidence)"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Homeward development"),
            ]
        )
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(VALID_FROM)
            .not_valid_after(VALID_UNTIL)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.certificate_pem = self._cert.public_bytes(serialization.Encoding.PEM)
        self._cert_der = self._cert.public_bytes(serialization.Encoding.DER)

    def stamp(self, request: bytes) -> bytes:
        """A TimeStampResp (DER) granting the request, with the certificate attached when
        the request asks for it."""
        from asn1crypto import algos, cms, core, tsp
        from asn1crypto import x509 as asn1_x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        asked = tsp.TimeStampReq.load(request)
        with self._lock:
            serial = next(self._serials)
        now = self._now().astimezone(dt.UTC).replace(microsecond=0)
        info = {
            "version": "v1",
            "policy": POLICY,
            "message_imprint": asked["message_imprint"],
            "serial_number": serial,
            "gen_time": now,
        }
        if asked["nonce"].native is not None:
            info["nonce"] = asked["nonce"]
        content = tsp.TSTInfo(info)
        cert = asn1_x509.Certificate.load(self._cert_der)
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        attributes = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": now})]}),
                cms.CMSAttribute(
                    {
                        "type": "message_digest",
                        "values": [hashlib.sha256(content.dump()).digest()],
                    }
                ),
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [
                            {
                                "certs": [
                                    {
                                        "hash_algorithm": sha256,
                                        "cert_hash": hashlib.sha256(self._cert_der).digest(),
                                    }
                                ]
                            }
                        ],
                    }
                ),
            ]
        )
        signature = self._key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": cert.issuer,
                            "serial_number": cert.serial_number,
                        }
                    }
                ),
                "digest_algorithm": sha256,
                "signed_attrs": attributes,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        signed = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [sha256],
                "encap_content_info": {
                    "content_type": "tst_info",
                    "content": core.ParsableOctetString(content.dump()),
                },
                "certificates": [cert] if asked["cert_req"].native else [],
                "signer_infos": [signer],
            }
        )
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
        return tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": token}
        ).dump()


@cache
def authority() -> LocalTimeStampAuthority:
    """One stand-in per process: its certificate is what a local run's packages carry."""
    return LocalTimeStampAuthority()
