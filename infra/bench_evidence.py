"""`python -m infra.bench anchor`: the daily evidence anchor at a registry's scale, on moto.

Tens of thousands of reported children means tens of thousands of evidence items. The
anchor once kept every chain's head in one DynamoDB item, which stops at 400 KB (about
4,000 items); it now time-stamps a Merkle root and keeps each new head's proof with its
case (services/evidence.py). The figures, on the in-process fakes (tests/fakes.py: a
store that answers by key, as DynamoDB does): the anchor's seconds against the bare read
of every head in the same run (which any daily anchor must do), the single item the
former design would have needed against DynamoDB's limit, a package's proof for one file;
on moto, with fewer items (moto's query looks at every item of the table, so its seconds
grow with the square of the table and say nothing of DynamoDB's): the DynamoDB calls of
the anchor against those of the bare read, and the sizes of the items really written.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LIMIT = 400 * 1024  # DynamoDB's largest item


def _size(item: dict) -> int:
    """An item's size roughly as DynamoDB counts it: names and values, in bytes."""
    from chalicelib.adapters.dynamo.items import from_item

    return sum(len(k) + len(str(v).encode()) for k, v in from_item(item).items())


class _Collected:
    """A unit of work that only gathers the items to put (seeding through the store's
    own layout, then written in batches: moto's transactions are slow in the thousands)."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, name: str, operation: dict) -> None:
        if name in ("evidence", "evidence-case"):
            self.items.append(operation["Put"]["Item"])


def _seed(stores, items: int, now: dt.datetime, collected: _Collected | None = None) -> list:
    """`items` evidence items in cases of one to three files, through the store's own
    layout (on moto, gathered and written in batches)."""
    from chalicelib.domain.evidence import EvidenceItem, extend, intake_steps

    kept, n = [], 0
    while n < items:
        reference = f"HW-{n:06d}-BENC"
        uow = collected or stores.unit_of_work()
        for slot in range(1, min(1 + n % 3, items - n) + 1):
            name = f"{reference}-{slot}"
            entries = extend(name, None, intake_steps(f"{n:064x}", 10, f"{n:064x}"), now)
            item = EvidenceItem(
                name, reference, slot, f"originals/{name}", None, f"{n:064x}", 10,
                "image/jpeg", now, entries[-1].seq, entries[-1].hash, f"{n:064x}",
            )  # fmt: skip
            stores.evidence.keep(uow, item, entries)
            kept.append(item)
            n += 1
        stores.evidence.register(uow, reference)
        if collected is None:
            uow.commit()
    return kept


def _move(stores, items: list, now: dt.datetime) -> None:
    """A custody step on each of `items` (staff opened it): their heads move."""
    from chalicelib.domain.evidence import CustodyAction, Step, extend

    step = Step(CustodyAction.VIEWED, "c-1", "opened in the console")
    for item in items:
        uow = stores.unit_of_work()
        stores.evidence.append(uow, item, extend(item.item, item.head, [step], now))
        uow.commit()


def _heads(stores) -> dict:
    return {
        i.item: i.head
        for reference in stores.evidence.references()
        for i in stores.evidence.items_of(reference)
    }


def bench_anchor(items: int = 20_000, on_moto: int = 600) -> None:
    command = f"{sys.executable} -m infra.bench anchor={items}"
    print(
        f"\n== the daily evidence anchor over {items:,} evidence items on the fakes, and over "
        f"{on_moto:,} on moto (its calls and the items written)\n   $ {command}"
    )
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes import fake_stores

    from chalicelib.adapters.timestamps import stamp
    from chalicelib.domain.evidence import canonical
    from chalicelib.services import evidence
    from infra.local.tsa import authority

    tsa = authority()
    now = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    stores = fake_stores()
    kept = _seed(stores, items, now)
    cases = len(stores.evidence.references())
    began = time.perf_counter()
    _heads(stores)
    read = time.perf_counter() - began

    def anchored(stores, day: str) -> float:
        began = time.perf_counter()
        made = evidence.anchor(stores, lambda m: stamp(tsa, m), day)
        assert made is not None, day
        return time.perf_counter() - began

    # The baseline: the former anchor over the same heads (read them all, one message
    # naming every head, one token), in the same run.
    began = time.perf_counter()
    message = canonical(
        {"day": "2026-12-01", "heads": {k: list(v) for k, v in _heads(stores).items()}}
    )
    token = stamp(tsa, message)
    former_seconds = time.perf_counter() - began
    first = anchored(stores, "2026-12-01")
    moved = kept[::100]  # a day on, one chain in a hundred had a custody step
    _move(stores, moved, now)
    second = anchored(stores, "2026-12-02")
    former = len(message) + len(token) * 4 // 3  # the token in base64, as it was kept
    _, stamps = stores.evidence.items_and_stamps(kept[0].reference)
    proof = len(canonical(stamps[-1].as_record()))
    print(
        f"   {items:,} items in {cases:,} cases; the former anchor (every head read, one "
        f"message naming them all, its token): {former_seconds:.2f} s (the read alone "
        f"{read:.2f} s)"
    )
    print(
        f"   this anchor, every head new (the read, the tree, the token, {items:,} proofs "
        f"kept): {first:.2f} s = {first / former_seconds:.2f} x the former; next day "
        f"({len(moved)} heads moved, {len(moved)} proofs): {second:.2f} s = "
        f"{second / former_seconds:.2f} x"
    )
    print(
        f"   the former single anchor item would need {former:,} bytes = "
        f"{former / LIMIT:.1f} x DynamoDB's 400 KB item limit "
        f"({'REFUSED: never stamped again' if former > LIMIT else 'fits'}); one file's "
        f"proof in a package: {proof} bytes ({len(stamps[-1].path)} hashes)"
    )
    _on_moto(on_moto, now, anchored)
    print(
        "   target: the anchor item and every stamp record far under 400 KB at any scale; "
        "the anchor's DynamoDB reads no more than the bare read's, its writes about one "
        "per 25 cases whose chains moved"
    )


def _on_moto(items: int, now: dt.datetime, anchored) -> None:
    from infra.local import emulator

    with emulator.in_process("bench", seed_contacts=False, HOMEWARD_SIGNING_KEY="bench"):
        from chalicelib import wiring
        from chalicelib.adapters.dynamo import keys

        stores, client = wiring.stores(), wiring.client("dynamodb")
        table = wiring.settings().table_name
        collected = _Collected()
        kept = _seed(stores, items, now, collected)
        for start in range(0, len(collected.items), 25):
            batch = [{"PutRequest": {"Item": i}} for i in collected.items[start : start + 25]]
            client.batch_write_item(RequestItems={table: batch})
        cases = len(stores.evidence.references())
        calls: list[str] = []

        def count(event_name: str, **_) -> None:
            calls.append(event_name.rsplit(".", 1)[-1])

        client.meta.events.register("before-call.dynamodb", count)
        _heads(stores)
        read = len(calls)
        calls.clear()
        anchored(stores, "2026-12-01")
        first = dict(sorted(Counter(calls).items()))
        _move(stores, kept[::100], now)
        calls.clear()
        anchored(stores, "2026-12-02")
        second = dict(sorted(Counter(calls).items()))
        client.meta.events.unregister("before-call.dynamodb", count)
        anchor_item = client.get_item(
            TableName=table, Key=keys.evidence_index("ANCHOR", "2026-12-01")
        )["Item"]
        biggest = max(
            _size(i)
            for reference in stores.evidence.references()
            for i in client.query(
                TableName=table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues={
                    ":pk": {"S": keys.evidence_partition(reference)},
                    ":s": {"S": "STAMP#"},
                },
            )["Items"]
        )
        print(
            f"   moto, {items:,} items in {cases:,} cases: the bare read of every head takes "
            f"{read:,} DynamoDB calls; the first anchor {sum(first.values()):,} {first}; "
            f"the next day's {sum(second.values()):,} {second}"
        )
        print(
            f"   the day's anchor item as written: {_size(anchor_item):,} bytes (root, count, "
            f"token: the same at any scale); the largest stamp record: {biggest:,} bytes"
        )
