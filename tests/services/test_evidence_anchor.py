"""The daily anchor on the fakes: a stamp is kept only for a chain whose head moved, the
case page's "last time-stamped on DAY; N later entries wait" follows from them, a second
run the same day keeps the first, and a run that died after claiming its day leaves its
heads to the next day's anchor."""

import datetime as dt

import pytest
from evidence_fixtures import INTAKE, KEEPER, filed

from chalicelib.adapters.timestamps import stamp
from chalicelib.domain.evidence import CustodyAction, Step
from chalicelib.services import evidence
from chalicelib.services.access import Caller
from chalicelib.services.evidence_view import case_evidence
from infra.local.tsa import authority

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
TSA = authority()


def anchor(stores, day):
    return evidence.anchor(stores, lambda m: stamp(TSA, m), day)


def shown(stores, reference):
    (item,) = case_evidence(Caller(KEEPER, "req", INTAKE), reference, stores=stores).items
    return item.stamped_day, item.stamped_seq, len(item.chain)


def test_the_page_says_when_each_chain_was_last_stamped_and_what_waits(stores, settings):
    case, _, _ = filed(stores, settings, evidence_consent=True)
    reference = case.reference
    assert shown(stores, reference) == (None, None, 3)
    assert anchor(stores, "2026-12-01").leaves == 1
    assert shown(stores, reference) == ("2026-12-01", 2, 3)
    (item,) = stores.evidence.items_of(reference)
    evidence.record(stores, [item], Step(CustodyAction.VIEWED, "c-2", "opened"), NOW)
    assert shown(stores, reference) == ("2026-12-01", 2, 4)  # one entry waits
    assert anchor(stores, "2026-12-02")
    assert shown(stores, reference) == ("2026-12-02", 3, 4)
    # Nothing moved: the 3rd covers the same head, with no stamp of its own to keep.
    assert anchor(stores, "2026-12-03")
    assert anchor(stores, "2026-12-03") is None  # once a day
    assert shown(stores, reference) == ("2026-12-03", 3, 4)
    _, stamps = stores.evidence.items_and_stamps(reference)
    assert [(s.day, s.seq) for s in stamps] == [("2026-12-01", 2), ("2026-12-02", 3)]
    for day, kept in zip(("2026-12-01", "2026-12-02"), stamps, strict=True):
        assert kept.under(stores.evidence.anchor(day))


def test_a_run_that_died_after_claiming_its_day_leaves_its_heads_to_the_next(
    stores, settings, monkeypatch
):
    case, _, _ = filed(stores, settings, evidence_consent=True)

    def unreachable(stamps):
        raise ConnectionError("DynamoDB went away")

    with monkeypatch.context() as patched:
        patched.setattr(stores.evidence, "add_stamps", unreachable)
        with pytest.raises(ConnectionError):
            anchor(stores, "2026-12-01")
    assert anchor(stores, "2026-12-01") is None  # the day was claimed: kept as it is
    assert shown(stores, case.reference) == (None, None, 3)
    assert anchor(stores, "2026-12-02").leaves == 1
    _, (kept,) = stores.evidence.items_and_stamps(case.reference)
    assert kept.day == "2026-12-02" and kept.under(stores.evidence.anchor("2026-12-02"))
    assert shown(stores, case.reference) == ("2026-12-02", 2, 3)
