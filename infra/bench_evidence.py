"""`python -m infra.bench anchor`: the daily evidence anchor at a registry's scale, on moto.

Tens of thousands of reported children means tens of thousands of evidence items. The
anchor once kept every chain's head in one DynamoDB item, which stops at 400 KB (about
4,000 items); it now time-stamps a Merkle root and keeps each new head's proof with its
case (services/evidence.py). The figures: the anchor's seconds against the bare read of
every head in the same run (which any daily anchor must do), the anchor item's size
against the single item the former design would have needed, the largest stamp record,
and a package's proof for one file.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

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


def bench_anchor(items: int = 20_000) -> None:
    command = f"{sys.executable} -m infra.bench anchor={items}"
    print(
        f"\n== the daily evidence anchor over {items:,} evidence items (moto, in process): "
        f"seconds against the bare read of every head, item sizes against DynamoDB's "
        f"400 KB\n   $ {command}"
    )
    from infra.local import emulator

    with emulator.in_process("bench", seed_contacts=False, HOMEWARD_SIGNING_KEY="bench"):
        from chalicelib import wiring
        from chalicelib.adapters.dynamo import keys
        from chalicelib.adapters.timestamps import stamp
        from chalicelib.domain.evidence import (
            EvidenceItem,
            Step,
            canonical,
            extend,
            intake_steps,
        )
        from chalicelib.services import evidence
        from infra.local.tsa import authority

        stores, client = wiring.stores(), wiring.client("dynamodb")
        table = wiring.settings().table_name
        now = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
        collected, kept = _Collected(), []
        n = 0
        while n < items:  # cases of one to three files
            reference = f"HW-{n:06d}-BENC"
            for slot in range(1, min(1 + n % 3, items - n) + 1):
                name = f"{reference}-{slot}"
                entries = extend(name, None, intake_steps(f"{n:064x}", 10, f"{n:064x}"), now)
                item = EvidenceItem(
                    name, reference, slot, f"originals/{name}", None, f"{n:064x}", 10,
                    "image/jpeg", now, entries[-1].seq, entries[-1].hash, f"{n:064x}",
                )  # fmt: skip
                stores.evidence.keep(collected, item, entries)
                kept.append(item)
                n += 1
            stores.evidence.register(collected, reference)
        for start in range(0, len(collected.items), 25):
            batch = [{"PutRequest": {"Item": i}} for i in collected.items[start : start + 25]]
            client.batch_write_item(RequestItems={table: batch})
        cases = len(stores.evidence.references())

        began = time.perf_counter()
        heads = {
            i.item: i.head
            for reference in stores.evidence.references()
            for i in stores.evidence.items_of(reference)
        }
        read = time.perf_counter() - began
        tsa = authority()

        def anchored(day: str) -> float:
            began = time.perf_counter()
            made = evidence.anchor(stores, lambda m: stamp(tsa, m), day)
            seconds = time.perf_counter() - began
            assert made is not None and made.leaves == len(heads), made
            return seconds

        first = anchored("2026-12-01")
        # A day on: one chain in a hundred had a custody step (viewed, exported).
        moved = kept[::100]
        evidence.record(stores, moved[:1], Step("viewed", "c-1", "opened"), now)
        for item in moved[1:]:
            uow = stores.unit_of_work()
            stores.evidence.append(
                uow, item, extend(item.item, item.head, [Step("viewed", "c-1", "opened")], now)
            )
            uow.commit()
        second = anchored("2026-12-02")

        anchor_item = client.get_item(
            TableName=table, Key=keys.evidence_index("ANCHOR", "2026-12-01")
        )["Item"]
        token = len(stores.evidence.anchor("2026-12-01").token)
        former = len(
            canonical({"day": "2026-12-01", "heads": {k: list(v) for k, v in heads.items()}})
        )
        former += token * 4 // 3  # and the token, base64 as it was kept
        biggest = max(
            _size(i)
            for reference in list(stores.evidence.references())[:300]
            for i in client.query(
                TableName=table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues={
                    ":pk": {"S": keys.evidence_partition(reference)},
                    ":s": {"S": "STAMP#"},
                },
            )["Items"]
        )
        _, stamps = stores.evidence.items_and_stamps(kept[0].reference)
        proof = len(json.dumps(stamps[-1].as_record()))
        print(
            f"   {items:,} items in {cases:,} cases; reading every head (the baseline any "
            f"anchor pays): {read:.1f} s"
        )
        print(
            f"   first anchor (every head new, {items:,} stamps written): {first:.1f} s -> "
            f"{first / read:.2f} of the baseline; next day ({len(moved)} heads moved): "
            f"{second:.1f} s -> {second / read:.2f}"
        )
        print(
            f"   the day's anchor item: {_size(anchor_item):,} bytes (root, count, token); "
            f"the former single item would need {former:,} bytes = {former / LIMIT:.1f} x "
            f"DynamoDB's 400 KB limit ({'REFUSED' if former > LIMIT else 'fits'})"
        )
        print(
            f"   largest stamp record of 300 cases: {biggest:,} bytes; one file's proof in a "
            f"package: {proof} bytes ({len(stamps[-1].path)} hashes)"
        )
        print(
            "   target: the anchor item and every stamp record far under 400 KB at any scale; "
            "a day's anchor within a few times the bare read of the heads"
        )
