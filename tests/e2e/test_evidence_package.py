"""Issue 27, end to end in one process (moto): a report with a photo and the evidence
consent, the photo opened by staff (a custody entry), the daily anchor, a package built
and handed over by a coordinator with the evidence role, `homeward evidence verify` on it
offline; then one byte of the photo, one custody entry and one time stamp changed, and
the verifier names each."""

import hashlib
import io
import re
import zipfile
from contextlib import redirect_stdout

from formdata import post_form, with_photo
from helpers import Console, photo_jpeg

from chalicelib.domain.evidence import CustodyAction


def homeward(argv: list[str]) -> tuple[int, str]:
    from chalicelib.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


def verify(path) -> tuple[int, str]:
    return homeward(["evidence", "verify", str(path)])


def changed(path, name, change):
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            target.writestr(member, change(data) if member == name else data)
    other = path.with_name(f"changed-{len(name)}-{name.rsplit('/', 1)[-1]}.zip")
    other.write_bytes(out.getvalue())
    return other


def test_a_photo_given_as_evidence_reaches_a_prosecutor_in_a_package_anyone_can_check(
    client, aws, pump, tmp_path
):
    from chalicelib import wiring

    # 1. A parent files a report with a photo, and agrees to its use as evidence.
    photo = photo_jpeg(b"camera GPS 46.63 32.61")
    fields = with_photo(client, "evidence-life", photo) | {"consent.evidence": "yes"}
    filed = post_form(client, fields)
    assert filed.status_code == 201
    reference = re.search(r'id="reference">(HW-[0-9A-Z-]+)<', filed.body.decode()).group(1)
    pump.run_until_idle()
    stores = wiring.stores()
    (item,) = stores.evidence.items_of(reference)
    assert wiring.evidence_files().read(item.key, item.version_id) == photo

    # 2. The intake desk opens it in the console: its custody records the viewing.
    digest = hashlib.sha256(photo).hexdigest()
    desk = Console(client, "demo-olena-koval")
    assert desk.get(f"/staff/cases/{reference}/files/{digest}").status_code == 303
    (item,) = stores.evidence.items_of(reference)
    assert stores.evidence.chain(item)[-1].action == CustodyAction.VIEWED

    # 3. The day's anchor; 4. a coordinator with the evidence role builds a package for
    # the Prosecutor General's Office and hands it over (`homeward evidence`).
    assert pump._schedule("anchor_custody") == 1
    me = ["--by", "demo-olena-koval", "--agency", "UA-NIB"]
    code, said = homeward(
        ["evidence", "package", "--recipient", "Office of the Prosecutor General", *me, reference]
    )
    assert code == 0 and "1 file(s) of 1 case(s)" in said, said
    package_id = said.split(":")[0]
    path = tmp_path / "package.zip"
    code, said = homeward(["evidence", "hand-over", package_id, "--out", str(path), *me])
    assert code == 0, said
    (item,) = stores.evidence.items_of(reference)
    assert [e.action for e in stores.evidence.chain(item)[-2:]] == ["exported", "handed_over"]
    assert wiring.evidence_files().held(item.key, item.version_id)

    # 5. Offline, everything holds.
    code, said = verify(path)
    assert code == 0 and "every check holds" in said, said
    assert "RFC 3161 time stamp" in said and "FAILS" not in said

    # 6. One byte of the photo, one custody entry, one time stamp: each is named.
    original = f"originals/{item.item}.jpg"
    custody = f"custody/{item.item}.jsonl"
    (token,) = [n for n in zipfile.ZipFile(path).namelist() if n.endswith(".tsr")]
    tampered = {
        original: (lambda d: d[:100] + bytes([d[100] ^ 1]) + d[101:], f"FAILS   {original}:"),
        custody: (
            lambda d: d.replace(b'"why": "on receipt"', b'"why": "on request"', 1),
            f"FAILS   custody entry 1 of {item.item} was changed",
        ),
        token: (lambda d: d[:-40] + bytes([d[-40] ^ 1]) + d[-39:], f"FAILS   {token}:"),
    }
    for name, (change, named) in tampered.items():
        code, said = verify(changed(path, name, change))
        assert code == 1 and named in said, said
        assert said.count("FAILS") == 1, said
