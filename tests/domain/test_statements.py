"""A witness statement: taken only from an adult, sealed over every field, never edited."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain import labels
from chalicelib.domain.statements import (
    ChildWitness,
    Statement,
    StatementLanguage,
    StatementRefused,
    TakenHow,
    TakerRole,
    WitnessRelation,
    seal,
    sealed_problem,
)

NOW = dt.datetime(2026, 12, 3, 14, 30, tzinfo=dt.UTC)


def taken(**changes) -> Statement:
    given = {
        "reference": "HW-ABCD-EFGH",
        "number": 1,
        "relation": WitnessRelation.NEIGHBOUR,
        "given_at": NOW - dt.timedelta(hours=1),
        "language": StatementLanguage.UK,
        "saw": "Бачила автобус біля школи",
        "heard": "Казали, що дітей везуть до Криму",
        "taken_by": "c-olena",
        "taker_name": "Olena",
        "taker_role": TakerRole.HOTLINE,
        "taken_how": TakenHow.BY_PHONE,
        "adult_confirmed": True,
        "evidence_consent": True,
        "now": NOW,
        "witness_name": "Марія Коваль",
    }
    return seal(**(given | changes))


def test_a_statement_from_a_child_is_refused_with_words_that_say_why():
    with pytest.raises(ChildWitness) as refused:
        taken(adult_confirmed=False)
    assert "never asks a child to testify" in str(refused.value)
    assert "18" in str(refused.value)


def test_what_was_seen_and_what_was_heard_are_kept_apart_and_one_is_needed():
    statement = taken(saw="  I saw the bus  ", heard="")
    assert (statement.saw, statement.heard) == ("I saw the bus", "")
    assert statement.body()["account"] == {"saw": "I saw the bus", "heard": ""}
    with pytest.raises(StatementRefused, match="what the witness saw"):
        taken(saw=" ", heard="")


def test_another_language_is_named():
    with pytest.raises(StatementRefused, match="name the language"):
        taken(language=StatementLanguage.OTHER)
    assert taken(language=StatementLanguage.OTHER, other_language="Crimean Tatar").other_language
    assert taken(other_language="Crimean Tatar").other_language is None


def test_a_statement_cannot_be_given_in_the_future():
    with pytest.raises(StatementRefused, match="future"):
        taken(given_at=NOW + dt.timedelta(days=1))


CHANGES = [
    ("witness_name", "Інша Особа"),
    ("saw", "something else"),
    ("heard", "something else"),
    ("relation", WitnessRelation.TEACHER),
    ("given_at", NOW - dt.timedelta(days=2)),
    ("language", StatementLanguage.RU),
    ("taken_by", "c-other"),
    ("taker_name", "Iryna"),
    ("taker_role", TakerRole.STAFF),
    ("taken_how", TakenHow.IN_PERSON),
    ("evidence_consent", False),
    ("adds_to", "HW-ABCD-EFGH-S9"),
    ("recorded_at", NOW - dt.timedelta(minutes=1)),
    ("reference", "HW-ABCD-EFGJ"),
    ("number", 2),
    ("statement_id", "HW-ABCD-EFGH-S2"),
    ("other_language", "Crimean Tatar"),
    ("adult_confirmed", False),
]


def test_every_field_is_tried():
    fields = {f.name for f in dataclasses.fields(Statement)} - {"sha256"}
    assert {name for name, _ in CHANGES} == fields


@pytest.mark.parametrize("field, other", CHANGES)
def test_the_seal_covers_every_field(field, other):
    statement = taken()
    assert sealed_problem(statement) is None
    changed = dataclasses.replace(statement, **{field: other})
    assert (
        sealed_problem(changed)
        == f"statement {changed.statement_id} was changed after it was sealed"
    )


def test_the_sealed_record_reads_back_as_it_was():
    statement = taken(adds_to="HW-ABCD-EFGH-S0")
    again = Statement.from_sealed(statement.sealed(), statement.sha256)
    assert again == statement and sealed_problem(again) is None


def test_every_witness_and_way_of_taking_has_words_in_every_language():
    for catalog, codes in (
        (labels.WITNESS, WitnessRelation),
        (labels.TAKEN_HOW, TakenHow),
        (labels.TAKER, TakerRole),
        (labels.STATEMENT_LANGUAGE, StatementLanguage),
    ):
        for code in codes:
            assert all(catalog[code][language] for language in ("uk", "ru", "en"))
    assert labels.word(labels.WITNESS, WitnessRelation.NEIGHBOUR, "en") == "a neighbour"


def test_a_moment_before_the_calendar_begins_is_refused_not_an_error():
    with pytest.raises(StatementRefused, match="when the statement was given"):
        taken(given_at=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
