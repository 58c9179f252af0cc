"""The same child is found again among many children with common names, however old the
first report: a small run of `make bench` (matching-scale), which runs it at 100,000."""

import datetime as dt

import pytest
from fakes import fake_stores

from chalicelib.domain.matching import MAX_BLOCKING_KEYS
from chalicelib.services.matching import MAX_CANDIDATES
from infra.population import Population, fill, measure


@pytest.fixture(scope="module")
def registry():
    population = Population(seed=7)
    people = list(population.people(6_000, dt.datetime(2022, 3, 1, tzinfo=dt.UTC)))
    stores = fake_stores()
    fill(stores, people)
    return population, people, stores


def test_every_kind_of_second_report_finds_the_first_with_bounded_cost(registry):
    population, people, stores = registry
    results = measure(stores, population, people, probes=150)
    assert set(results) == {
        "latin",
        "year only",
        "surname typo",
        "new surname, same birth",
        "new surname, old one among others",
    }
    for name, result in results.items():
        assert result.recall >= 0.99, (name, result)
        assert result.max_queries <= MAX_BLOCKING_KEYS
        assert result.max_candidates <= MAX_CANDIDATES


def test_the_oldest_report_is_found_behind_hundreds_of_namesakes_born_that_year():
    """A child re-registered under a new surname, in Latin letters, after 600 other
    Oleksandrs born the same year were reported: the first report is still a candidate
    (it shares the narrow key of the given name and the date of birth)."""
    import random

    from chalicelib.domain.matching import ChildIdentity, blocking_keys
    from chalicelib.services.matching import PER_KEY, candidates

    rng = random.Random(14)
    start = dt.datetime(2022, 3, 1, tzinfo=dt.UTC)
    first = ChildIdentity("Коваленко", "Олександр", sex="male", date_of_birth=dt.date(2012, 3, 14))
    crowd = [
        ChildIdentity(
            f"{rng.choice('БВГДКЛМНПРСТ')}{rng.choice('аоеу')}{rng.choice('лнрс')}енко",
            "Олександр",
            sex="male",
            date_of_birth=dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(365)),
        )
        for _ in range(12 * PER_KEY)
    ]
    stores = fake_stores()
    for n, child in enumerate([first, *crowd]):
        uow = stores.unit_of_work()
        at = start + dt.timedelta(minutes=n)
        stores.match_index.add(uow, f"HW-{n:09d}", at, blocking_keys(child))
        uow.commit()
    again = ChildIdentity("Ivanov", "Oleksandr", sex="male", date_of_birth=dt.date(2012, 3, 14))
    found, queries = candidates(blocking_keys(again), exclude="HW-NEW", stores=stores)
    assert "HW-000000000" in found
    assert queries <= MAX_BLOCKING_KEYS and len(found) <= MAX_CANDIDATES
