"""`homeward evidence`: build, hand over and check prosecutors' packages.

    homeward evidence package --recipient "…" --by SUBJECT --agency UA-NIB HW-XXXX-XXXX …
    homeward evidence hand-over P-… --by SUBJECT --agency UA-NIB --out package.zip
    homeward evidence verify package.zip [--tsa-cert tsa.pem] [--signer signer.pem]

`package` and `hand-over` run as the stage's evidence role (the AWS credentials of a
coordinator who assumed it, with MFA: nothing else reads the evidence bucket), with the
stage's settings in the environment as its functions have them (HOMEWARD_TABLE,
HOMEWARD_EVIDENCE_BUCKET, …); they write the custody entries in the coordinator's name.

`verify` needs nothing but the package:
Everything is recomputed from the package itself, with no network and no access to
Homeward: each original's (and each sealed witness statement's) SHA-256 and size
against the manifest, each chain of custody
entry by entry (every hash, every link to the entry before, nothing missing), that each
chain begins with the hash of its own original, every RFC 3161 time stamp against the
TSA's certificate (the package's, or one the recipient trusts: --tsa-cert) and over its
day's Merkle root and count, that each chain's leaf climbs its audit path to that root
(RFC 6962) and names an entry of its chain, and Homeward's signature over the manifest. It
prints what holds, names each failure, and exits 1 if anything fails.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.domain.evidence import (
    Anchor,
    CustodyAction,
    CustodyEntry,
    Stamp,
    chain_problems,
)


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
                changed = (
                    "the statement was changed after it was sealed"
                    if item.get("kind") == "statement"
                    else "the file was changed"
                )
                found.check(
                    digest == item["sha256"] and len(original) == item["size"],
                    f"{item['file']}: SHA-256 {digest} as in the manifest",
                    f"{item['file']}: its SHA-256 is not the manifest's ({changed})",
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
                "; ".join(map(str, problems)),
            )
            hashed = [e for e in chain if e.action == CustodyAction.HASHED]
            found.check(
                bool(hashed) and hashed[0].detail == f"sha256 {item['sha256']}",
                f"{item['custody']}: begins with the original's own hash",
                f"{item['custody']}: does not record the manifest's hash on receipt",
            )
        tsa = tsa_pem or read("tsa.pem")
        for stamp in manifest["timestamps"]:
            if "proofs" not in stamp:  # a package made before the anchor was a tree
                found.failed.append(
                    f"{stamp.get('token')}: in the form of packages made before December "
                    "2026 (every chain's head named): check it with the verifier of then"
                )
                continue
            _stamped(found, read(stamp["proofs"]), read(stamp["token"]), tsa, stamp, heads)
    return found


def _stamped(found: Findings, proofs, token, tsa, stamp: dict, heads) -> None:
    """One day's time stamp: the token over that day's root and count, and each chain's
    leaf climbing its audit path to that root, the entry it names one of the chain's."""
    from chalicelib.adapters.timestamps import problem, time_of

    if proofs is None or token is None or tsa is None:
        return
    try:
        day = json.loads(proofs)
        anchor = Anchor(str(day["day"]), str(day["root"]), int(day["leaves"]), token)
        stamps = [Stamp.from_record(anchor.day, n, r) for n, r in day["stamps"].items()]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        found.failed.append(f"{stamp['proofs']}: cannot be read ({exc})")
        return
    why = problem(token, anchor.message(), tsa)
    if not found.check(
        why is None,
        f"{stamp['token']}: RFC 3161 time stamp of {anchor.day} holds "
        f"(stamped {_when(time_of, token)}, over {anchor.leaves} chains' heads)",
        f"{stamp['token']}: {why}",
    ):
        return
    for proven in stamps:
        chain = heads.get(proven.item)
        name, seq = proven.item, proven.seq
        if not proven.under(anchor):
            found.failed.append(
                f"custody of {name}: its proof in {stamp['proofs']} does not lead to the root "
                f"stamped on {anchor.day} (the leaf or its path was changed)"
            )
        elif chain is not None:
            found.check(
                seq < len(chain) and chain[seq].hash == proven.head,
                f"custody of {name}: entry {seq} is the one stamped on {anchor.day} "
                "(its proof leads to the stamped root)",
                f"custody of {name}: entry {seq} is not the one stamped on {anchor.day} "
                "(the chain was rewritten)",
            )


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


def _keeper(args):
    from chalicelib.domain.staff import StaffMember

    return StaffMember(args.by, "coordinator", args.agency, evidence=True)


def _package(args) -> int:
    import datetime as dt

    from chalicelib import wiring
    from chalicelib.services import evidence_packages

    try:
        package, left_out = evidence_packages.build(
            _keeper(args),
            args.recipient,
            args.references,
            stores=wiring.stores(),
            files=wiring.evidence_files(),
            now=dt.datetime.now(dt.UTC),
        )
    except evidence_packages.PackageRefused as refused:
        print(f"no package: {refused}", file=sys.stderr)
        return 1
    for reference in left_out:
        print(f"left out {reference}: no consent to its use as evidence", file=sys.stderr)
    files = sum(len(items) for items in package.items.values())
    print(f"{package.package_id}: {files} file(s) of {len(package.items)} case(s)")
    return 0


def _hand_over(args) -> int:
    import datetime as dt

    from chalicelib import wiring
    from chalicelib.adapters.signatures import package_signer
    from chalicelib.services import evidence_packages

    settings = wiring.settings()
    tsa = (settings.tsa_certificate or "").encode() or wiring.local_tsa.certificate_pem
    try:
        package, data = evidence_packages.hand_over(
            _keeper(args),
            args.package_id,
            stores=wiring.stores(),
            files=wiring.evidence_files(),
            tsa_pem=tsa,
            signer=package_signer(settings.signing_key),
            now=dt.datetime.now(dt.UTC),
        )
    except evidence_packages.PackageRefused as refused:
        print(f"not handed over: {refused}", file=sys.stderr)
        return 1
    args.out.write_bytes(data)
    print(f"{package.package_id} for {package.recipient}: {args.out} (sha256 {package.sha256})")
    return 0


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
    build = actions.add_parser("package", help="build a package (as the evidence role)")
    build.add_argument("--recipient", required=True, help="e.g. the ICC Office of the Prosecutor")
    build.add_argument("references", nargs="+", help="the cases' references")
    build.set_defaults(run=_package)
    give = actions.add_parser("hand-over", help="hand a package over (as the evidence role)")
    give.add_argument("package_id")
    give.add_argument("--out", type=Path, required=True, help="where to write the package")
    give.set_defaults(run=_hand_over)
    for command in (build, give):
        command.add_argument("--by", required=True, help="your staff id (who the log names)")
        command.add_argument("--agency", default="UA-NIB", help="your agency")
