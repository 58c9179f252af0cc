"""`homeward evidence verify PACKAGE`: check a prosecutor's package offline.

    homeward evidence verify package.zip [--tsa-cert tsa.pem] [--signer signer.pem]

Everything is recomputed from the package itself, with no network and no access to
Homeward: each original's SHA-256 and size against the manifest, each chain of custody
entry by entry (every hash, every link to the entry before, nothing missing), that each
chain begins with the hash of its own original, every RFC 3161 time stamp against the
TSA's certificate (the package's, or one the recipient trusts: --tsa-cert), that each
stamped head is an entry of its chain, and Homeward's signature over the manifest. It
prints what holds, names each failure, and exits 1 if anything fails.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.domain.evidence import CustodyAction, CustodyEntry, anchor_message, chain_problems


@dataclass
class Findings:
    held: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, ok: bool, holds: str, fails: str) -> bool:
        (self.held if ok else self.failed).append(holds if ok else fails)
        return ok


def verify(path: Path, tsa_pem: bytes | None = None, signer_pem: bytes | None = None):
    """What holds and what fails in the package at `path`."""
    from chalicelib.adapters.signatures import signature_holds
    from chalicelib.adapters.timestamps import problem, time_of

    found = Findings()
    try:
        zipped = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        found.failed.append(f"{path} is not a readable package ({exc})")
        return found
    with zipped:
        names = set(zipped.namelist())

        def read(name: str) -> bytes | None:
            if name not in names:
                found.failed.append(f"{name} is missing from the package")
                return None
            return zipped.read(name)

        body = read("manifest.json")
        if body is None:
            return found
        manifest = json.loads(body)
        signature, public = read("manifest.sig"), signer_pem or read("signer.pem")
        if signature is not None and public is not None:
            found.check(
                signature_holds(public, signature, body),
                "manifest.json: Homeward's signature holds",
                "manifest.json: Homeward's signature does not hold (changed after signing?)",
            )
        heads: dict[str, list[CustodyEntry]] = {}
        for item in manifest["items"]:
            name = item["item"]
            original = read(item["file"])
            if original is not None:
                digest = hashlib.sha256(original).hexdigest()
                found.check(
                    digest == item["sha256"] and len(original) == item["size"],
                    f"{item['file']}: SHA-256 {digest} as in the manifest",
                    f"{item['file']}: its SHA-256 is not the manifest's (the file was changed)",
                )
            lines = read(item["custody"])
            if lines is None:
                continue
            try:
                chain = [CustodyEntry.from_record(json.loads(x)) for x in lines.splitlines()]
            except (ValueError, KeyError) as exc:
                found.failed.append(f"{item['custody']}: an entry cannot be read ({exc})")
                continue
            heads[name] = chain
            problems = chain_problems(name, chain)
            found.check(
                not problems,
                f"{item['custody']}: {len(chain)} custody entries, each hash and link holds",
                "; ".join(problems),
            )
            hashed = [e for e in chain if e.action == CustodyAction.HASHED]
            found.check(
                bool(hashed) and hashed[0].detail == f"sha256 {item['sha256']}",
                f"{item['custody']}: begins with the original's own hash",
                f"{item['custody']}: does not record the manifest's hash on receipt",
            )
        tsa = tsa_pem or read("tsa.pem")
        for stamp in manifest["timestamps"]:
            message, token = read(stamp["heads"]), read(stamp["token"])
            if message is None or token is None or tsa is None:
                continue
            why = problem(token, message, tsa)
            if not found.check(
                why is None,
                f"{stamp['token']}: RFC 3161 time stamp of {stamp['day']} holds "
                f"(stamped {_when(time_of, token)})",
                f"{stamp['token']}: {why}",
            ):
                continue
            stamped = json.loads(message)
            if (
                anchor_message(stamped["day"], {k: tuple(v) for k, v in stamped["heads"].items()})
                != message
            ):
                found.failed.append(f"{stamp['heads']}: not in the form the time stamp covers")
                continue
            for name, (seq, digest) in stamped["heads"].items():
                if name in heads:
                    chain = heads[name]
                    found.check(
                        seq < len(chain) and chain[seq].hash == digest,
                        f"custody of {name}: entry {seq} is the one stamped on {stamped['day']}",
                        f"custody of {name}: entry {seq} is not the one stamped on "
                        f"{stamped['day']} (the chain was rewritten)",
                    )
    return found


def _when(time_of, token: bytes) -> str:
    return time_of(token).strftime("%d %B %Y, %H:%M:%S UTC")


def run(path: Path, tsa_cert: Path | None, signer: Path | None, out) -> int:
    found = verify(
        path,
        tsa_cert.read_bytes() if tsa_cert else None,
        signer.read_bytes() if signer else None,
    )
    for line in found.held:
        print(f"holds   {line}", file=out)
    for line in found.failed:
        print(f"FAILS   {line}", file=out)
    verdict = "every check holds" if not found.failed else f"{len(found.failed)} check(s) fail"
    print(f"{path}: {verdict}", file=out)
    return 1 if found.failed else 0


def register(commands) -> None:
    evidence = commands.add_parser("evidence", help="prosecutors' evidence packages")
    actions = evidence.add_subparsers(dest="evidence", required=True)
    check = actions.add_parser(
        "verify",
        help="check an evidence package offline",
        description="Recomputes every hash, walks every chain of custody, checks every RFC "
        "3161 time stamp and Homeward's signature; prints what holds and names each failure.",
    )
    check.add_argument("package", type=Path, help="the package (.zip)")
    check.add_argument("--tsa-cert", type=Path, help="the TSA certificate you trust (PEM)")
    check.add_argument("--signer", type=Path, help="Homeward's public key you trust (PEM)")
    check.set_defaults(run=lambda args: run(args.package, args.tsa_cert, args.signer, sys.stdout))
