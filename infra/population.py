"""A registry-sized population of reported children, with the names Ukraine really has.

For the matching-at-scale bench (`python -m infra.bench matching-scale`) and its small
twin in the suite: common surnames are very common (a few per cent of all children carry
one of the top dozen), given names follow their real popularity, dates of birth span the
years of the deportations, and some reports give only the year. A second report of a
child can then be made the ways the issue names: in Latin letters, with the year only,
with a one-letter typo in the surname, under a new surname with the same date of birth,
and under a new surname with the old one among its other names.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from chalicelib.domain.matching import ChildIdentity
from chalicelib.domain.names import name_groups

# The most common Ukrainian surnames (each several per cent of a large list together).
COMMON_SURNAMES = [
    "Мельник",
    "Шевченко",
    "Коваленко",
    "Бондаренко",
    "Бойко",
    "Ткаченко",
    "Кравченко",
    "Ковальчук",
    "Коваль",
    "Олійник",
    "Шевчук",
    "Поліщук",
    "Бондар",
    "Ткачук",
    "Марченко",
    "Лисенко",
    "Руденко",
    "Савченко",
    "Петренко",
    "Кравчук",
    "Клименко",
    "Павленко",
    "Мороз",
    "Карпенко",
    "Кузьменко",
    "Гончаренко",
    "Левченко",
    "Вакуленко",
    "Романенко",
    "Харченко",
    "Семенко",
    "Мазур",
    "Тимошенко",
    "Яковенко",
    "Литвиненко",
    "Гаврилюк",
]
# Together the common surnames are carried by about one child in twelve (each of them by a
# fraction of a per cent, as in Ukraine's registers); the rest by a long tail of rarer
# ones, made from real roots, endings and a few hundred first syllables.
COMMON_SHARE = 0.08
ROOTS = [
    "Гриц",
    "Дем",
    "Ярош",
    "Остап",
    "Сидор",
    "Тарас",
    "Федор",
    "Хом",
    "Юрч",
    "Гнат",
    "Зінч",
    "Кирил",
    "Лук",
    "Мартин",
    "Назар",
    "Охрім",
    "Прокоп",
    "Степан",
    "Тимош",
    "Устим",
    "Ничип",
    "Онищ",
    "Пилип",
    "Роман",
    "Савк",
    "Трохим",
    "Филип",
    "Яцк",
    "Бабич",
    "Білик",
    "Вовк",
    "Голуб",
    "Гуцал",
    "Дзюб",
    "Жук",
    "Заїк",
    "Калин",
    "Козак",
    "Лозин",
    "Марущ",
    "Нестер",
    "Осадч",
    "Панас",
    "Рибак",
    "Сокол",
    "Тесл",
    "Ус",
    "Чорн",
    "Шаповал",
]
ENDINGS = ["енко", "ук", "юк", "чук", "ишин", "ович", "ів", "ець", "ак", "ський", "ко", "ій"]
FATHERS = {
    "Андрій": ("Андрійович", "Андріївна"),
    "Олександр": ("Олександрович", "Олександрівна"),
    "Сергій": ("Сергійович", "Сергіївна"),
    "Іван": ("Іванович", "Іванівна"),
    "Володимир": ("Володимирович", "Володимирівна"),
    "Петро": ("Петрович", "Петрівна"),
    "Василь": ("Васильович", "Василівна"),
    "Михайло": ("Михайлович", "Михайлівна"),
    "Юрій": ("Юрійович", "Юріївна"),
    "Олег": ("Олегович", "Олегівна"),
    "Віктор": ("Вікторович", "Вікторівна"),
    "Дмитро": ("Дмитрович", "Дмитрівна"),
}
# Surnames a child may be re-registered under in Russia.
NEW_SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов"]
OBLASTS = ["UA-65", "UA-14", "UA-09", "UA-23", "UA-43", "UA-63", "UA-48", "UA-59"]

# The official transliteration of Ukrainian (Cabinet of Ministers resolution 55, 2010).
_KMU = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "є": "ie",
    "ж": "zh",
    "з": "z",
    "и": "y",
    "і": "i",
    "ї": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ь": "",
    "ю": "iu",
    "я": "ia",
    "'": "",
    "’": "",
}
_KMU_FIRST = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def kmu(text: str) -> str:
    """A Ukrainian name in Latin letters, as Ukrainian passports write it."""
    out = []
    for i, char in enumerate(text):
        lower = char.lower()
        first = i == 0 or not text[i - 1].isalpha()
        latin = (_KMU_FIRST.get(lower) if first else None) or _KMU.get(lower, lower)
        if lower == "г" and i > 0 and text[i - 1].lower() == "з":
            latin = "gh"
        out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def _zipf(items: list, rng: random.Random, exponent: float = 1.0) -> list:
    weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
    return rng.choices(items, weights=weights, k=1)[0]


@dataclass(frozen=True)
class Person:
    identity: ChildIdentity
    received_at: dt.datetime


class Population:
    def __init__(self, seed: int = 2022) -> None:
        self._rng = random.Random(seed)
        groups = [g for g in name_groups().values() if g.sex in ("male", "female")]
        self._given = {
            sex: [g.forms[0] for g in groups if g.sex == sex] for sex in ("male", "female")
        }
        syllables = [c + v for c in "БВГДЗКЛМНПРСТХЦЧШ" for v in "аеиоуі"]
        tail = [
            syllable + root.lower() + ending
            for syllable in ("", *syllables[:40])
            for root in ROOTS
            for ending in ENDINGS
        ]
        self._rng.shuffle(tail)
        self._tail = tail

    def _surname(self) -> str:
        if self._rng.random() < COMMON_SHARE:
            return _zipf(COMMON_SURNAMES, self._rng, 1.0)
        return self._rng.choice(self._tail)

    def people(self, count: int, start: dt.datetime) -> Iterator[Person]:
        rng = self._rng
        for n in range(count):
            sex = rng.choice(("male", "female"))
            born = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(18 * 365))
            father = rng.choice(list(FATHERS)) if rng.random() < 0.7 else None
            exact = rng.random() < 0.9
            yield Person(
                ChildIdentity(
                    family_name=self._surname(),
                    given_name=_zipf(self._given[sex], rng, 0.7),
                    patronymic=FATHERS[father][sex == "female"] if father else None,
                    sex=sex,
                    date_of_birth=born if exact else None,
                    birth_year=None if exact else born.year,
                    oblast=rng.choice(OBLASTS),
                ),
                start + dt.timedelta(minutes=n),
            )

    # -- second reports of the same child ----------------------------------------------

    def latin(self, child: ChildIdentity) -> ChildIdentity:
        return replace(
            child,
            family_name=kmu(child.family_name),
            given_name=kmu(child.given_name),
            patronymic=kmu(child.patronymic) if child.patronymic else None,
        )

    def year_only(self, child: ChildIdentity) -> ChildIdentity:
        return replace(child, date_of_birth=None, birth_year=child.year)

    def surname_typo(self, child: ChildIdentity) -> ChildIdentity:
        name = child.family_name
        i = self._rng.randrange(1, len(name))
        letter = self._rng.choice("аеиіоуклмнрст")
        typo = self._rng.choice(
            [
                name[:i] + name[i + 1 :],
                name[:i] + letter + name[i:],
                name[:i] + letter + name[i + 1 :],
            ]
        )
        return replace(child, family_name=typo)

    def new_surname(self, child: ChildIdentity) -> ChildIdentity:
        return replace(child, family_name=self._rng.choice(NEW_SURNAMES), patronymic=None)

    def new_surname_old_among_others(self, child: ChildIdentity) -> ChildIdentity:
        """Re-registered, the old surname kept among other names; the year only."""
        renamed = self.new_surname(child)
        return replace(
            renamed,
            other_names=(child.family_name,),
            date_of_birth=None,
            birth_year=child.year,
        )

    def variants(self) -> dict[str, tuple[object, bool]]:
        """Name -> (how the second report is made, whether the first must give the full
        date of birth: a typo or a new surname "with the same date of birth")."""
        return {
            "latin": (self.latin, False),
            "year only": (self.year_only, False),
            "surname typo": (self.surname_typo, True),
            "new surname, same birth": (self.new_surname, True),
            "new surname, old one among others": (self.new_surname_old_among_others, False),
        }

    def probes(self, people: list[Person], count: int, *, with_birthday: bool) -> list[Person]:
        """Reports to look for again, spread over the whole population's age."""
        pool = [p for p in people if p.identity.date_of_birth] if with_birthday else people
        return self._rng.sample(pool, min(count, len(pool)))


@dataclass
class Recall:
    found: int = 0
    probes: int = 0
    max_queries: int = 0
    max_candidates: int = 0
    candidates: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.probes if self.probes else 1.0


def fill(stores, people: list[Person]) -> None:
    """The blocking keys of each person's report, as intake writes them."""
    from chalicelib.domain.matching import blocking_keys

    for n, person in enumerate(people):
        uow = stores.unit_of_work()
        stores.match_index.add(
            uow, reference_of(n), person.received_at, blocking_keys(person.identity)
        )
        uow.commit()


def reference_of(n: int) -> str:
    return f"HW-{n:09d}"


def measure(stores, population: Population, people: list[Person], probes: int) -> dict:
    """Candidate recall of each kind of second report, and what each lookup cost."""
    from chalicelib.domain.matching import blocking_keys
    from chalicelib.services.matching import candidates

    index = {id(p): n for n, p in enumerate(people)}
    results: dict[str, Recall] = {}
    for name, (make, with_birthday) in population.variants().items():
        recall = results[name] = Recall()
        for first in population.probes(people, probes, with_birthday=with_birthday):
            second = make(first.identity)
            found, queries = candidates(blocking_keys(second), exclude="HW-NEW", stores=stores)
            recall.probes += 1
            recall.found += reference_of(index[id(first)]) in found
            recall.max_queries = max(recall.max_queries, queries)
            recall.max_candidates = max(recall.max_candidates, len(found))
            recall.candidates += len(found)
    return results


# -- an import file, as a national registry might send one ---------------------------

CATEGORIES = ["deported", "forcibly_transferred", "missing", "held_in_facility"]


def import_records(population: Population, count: int, *, duplicates: float = 0.02) -> list[dict]:
    """Rows of an import file (infra/../chalicelib/domain/imports.py's CSV columns): the
    registry's own ids, a few urgent, some without consent to share, and a share of second
    reports of a child already in the file (in Latin letters), for matching to find."""
    rng = random.Random(count)
    start = dt.datetime(2022, 3, 1, tzinfo=dt.UTC)
    people = list(population.people(count, start))
    records = []
    for n, person in enumerate(people):
        child = person.identity
        if n > 10 and rng.random() < duplicates:
            child = population.latin(people[rng.randrange(n)].identity)
        coalition = rng.random() < 0.9
        records.append(
            {
                "external_id": f"REG-{n + 1:06d}",
                "family_name": child.family_name,
                "given_name": child.given_name,
                "patronymic": child.patronymic or "",
                "sex": child.sex,
                "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else "",
                "birth_year": "" if child.date_of_birth else str(child.birth_year),
                "oblast": child.oblast,
                "category": rng.choice(CATEGORIES),
                "event_date": f"2022-{rng.randint(3, 12):02d}-{rng.randint(1, 28):02d}",
                "last_country": "RU",
                "reporter_relationship": "official",
                "may_contact": "no",
                "tracing": "yes",
                "share_with_coalition": "yes" if coalition else "no",
                "share_with_authorities": "yes" if rng.random() < 0.8 else "no",
                "urgent": "yes" if rng.random() < 0.03 else "no",
            }
        )
    return records


def as_csv(records: list[dict]) -> str:
    import csv
    import io

    from chalicelib.domain.imports import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()
