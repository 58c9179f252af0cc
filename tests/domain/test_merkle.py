"""The daily anchor's Merkle tree: Certificate Transparency's own test vectors (RFC 6962,
as its reference implementations test it), and every leaf's proof of small trees, with
any change to a leaf, a step of its path, its place or the root named as not holding."""

import pytest

from chalicelib.domain import merkle
from chalicelib.domain.evidence import Anchor, Stamp, anchor_heads, anchor_message

# Certificate Transparency's test leaves and the roots of their first 1..8 (hex).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        *("", "00", "10", "2021", "3031", "40414243", "5051525354555657"),
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# Their published audit paths: (leaf, tree size, path).
CT_PATHS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def test_the_roots_and_audit_paths_are_certificate_transparencys():
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert merkle.root(CT_LEAVES[:size]).hex() == expected
    for index, size, path in CT_PATHS:
        built = merkle.levels(CT_LEAVES[:size])
        assert [s.hex() for s in merkle.audit_path(built, index)] == path
        steps = [bytes.fromhex(s) for s in path]
        assert (
            merkle.root_from_path(CT_LEAVES[index], index, size, steps).hex() == CT_ROOTS[size - 1]
        )


def heads(n: int) -> dict[str, tuple[int, str]]:
    return {f"HW-{i:04d}-1": (i % 4, f"{i:064x}") for i in range(n)}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_every_leafs_proof_leads_to_the_stamped_root_and_nothing_changed_does(size):
    given = heads(size)
    root, leaves, stamps = anchor_heads("2026-12-01", given, set(given))
    anchor = Anchor("2026-12-01", root, leaves)
    assert leaves == size and len(stamps) == size
    assert anchor.message() == anchor_message("2026-12-01", root, size)
    for stamp in stamps:
        assert stamp.under(anchor), stamp
        changed = [
            Stamp(stamp.day, stamp.item, stamp.seq + 1, stamp.head, stamp.index, stamp.path),
            Stamp(stamp.day, stamp.item, stamp.seq, "f" * 64, stamp.index, stamp.path),
            Stamp(stamp.day, "HW-9999-1", stamp.seq, stamp.head, stamp.index, stamp.path),
            Stamp(
                stamp.day, stamp.item, stamp.seq, stamp.head, stamp.index, (*stamp.path, "0" * 64)
            ),
        ]
        if size > 1:
            changed.append(
                Stamp(
                    stamp.day,
                    stamp.item,
                    stamp.seq,
                    stamp.head,
                    (stamp.index + 1) % size,
                    stamp.path,
                )
            )
            for at, step in enumerate(stamp.path):
                flipped = f"{int(step[0], 16) ^ 1:x}" + step[1:]
                path = (*stamp.path[:at], flipped, *stamp.path[at + 1 :])
                changed.append(
                    Stamp(stamp.day, stamp.item, stamp.seq, stamp.head, stamp.index, path)
                )
            changed.append(
                Stamp(stamp.day, stamp.item, stamp.seq, stamp.head, stamp.index, stamp.path[:-1])
            )
        for forged in changed:
            assert not forged.under(anchor), forged
        # Another root, or another day's anchor, does not hold either.
        assert not stamp.under(Anchor("2026-12-01", "0" * 64, leaves))
        assert not stamp.under(Anchor("2026-12-02", root, leaves))


def test_only_the_stamps_asked_for_are_made_and_the_root_is_over_every_head():
    given = heads(20)
    root, leaves, stamps = anchor_heads("2026-12-01", given, {"HW-0003-1", "HW-0017-1"})
    assert [s.item for s in stamps] == ["HW-0003-1", "HW-0017-1"] and leaves == 20
    every_root, _, _ = anchor_heads("2026-12-01", given, set())
    assert root == every_root
    one_head_moved = given | {"HW-0011-1": (5, "a" * 64)}
    assert anchor_heads("2026-12-01", one_head_moved, set())[0] != root
    with pytest.raises(ValueError):
        anchor_heads("2026-12-01", {}, set())
