"""Places a report can name: Ukraine's oblasts (ISO 3166-2:UA) and countries (ISO 3166-1)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# ISO 3166-2:UA codes with the names people use, in the three languages of the form.
OBLASTS: dict[str, dict[str, str]] = {
    "UA-05": {"uk": "Вінницька область", "en": "Vinnytsia Oblast", "ru": "Винницкая область"},
    "UA-07": {"uk": "Волинська область", "en": "Volyn Oblast", "ru": "Волынская область"},
    "UA-09": {"uk": "Луганська область", "en": "Luhansk Oblast", "ru": "Луганская область"},
    "UA-12": {
        "uk": "Дніпропетровська область",
        "en": "Dnipropetrovsk Oblast",
        "ru": "Днепропетровская область",
    },
    "UA-14": {"uk": "Донецька область", "en": "Donetsk Oblast", "ru": "Донецкая область"},
    "UA-18": {"uk": "Житомирська область", "en": "Zhytomyr Oblast", "ru": "Житомирская область"},
    "UA-21": {
        "uk": "Закарпатська область",
        "en": "Zakarpattia Oblast",
        "ru": "Закарпатская область",
    },
    "UA-23": {
        "uk": "Запорізька область",
        "en": "Zaporizhzhia Oblast",
        "ru": "Запорожская область",
    },
    "UA-26": {
        "uk": "Івано-Франківська область",
        "en": "Ivano-Frankivsk Oblast",
        "ru": "Ивано-Франковская область",
    },
    "UA-30": {"uk": "місто Київ", "en": "Kyiv City", "ru": "город Киев"},
    "UA-32": {"uk": "Київська область", "en": "Kyiv Oblast", "ru": "Киевская область"},
    "UA-35": {
        "uk": "Кіровоградська область",
        "en": "Kirovohrad Oblast",
        "ru": "Кировоградская область",
    },
    "UA-40": {"uk": "місто Севастополь", "en": "Sevastopol", "ru": "город Севастополь"},
    "UA-43": {
        "uk": "Автономна Республіка Крим",
        "en": "Autonomous Republic of Crimea",
        "ru": "Автономная Республика Крым",
    },
    "UA-46": {"uk": "Львівська область", "en": "Lviv Oblast", "ru": "Львовская область"},
    "UA-48": {"uk": "Миколаївська область", "en": "Mykolaiv Oblast", "ru": "Николаевская область"},
    "UA-51": {"uk": "Одеська область", "en": "Odesa Oblast", "ru": "Одесская область"},
    "UA-53": {"uk": "Полтавська область", "en": "Poltava Oblast", "ru": "Полтавская область"},
    "UA-56": {"uk": "Рівненська область", "en": "Rivne Oblast", "ru": "Ровненская область"},
    "UA-59": {"uk": "Сумська область", "en": "Sumy Oblast", "ru": "Сумская область"},
    "UA-61": {
        "uk": "Тернопільська область",
        "en": "Ternopil Oblast",
        "ru": "Тернопольская область",
    },
    "UA-63": {"uk": "Харківська область", "en": "Kharkiv Oblast", "ru": "Харьковская область"},
    "UA-65": {"uk": "Херсонська область", "en": "Kherson Oblast", "ru": "Херсонская область"},
    "UA-68": {
        "uk": "Хмельницька область",
        "en": "Khmelnytskyi Oblast",
        "ru": "Хмельницкая область",
    },
    "UA-71": {"uk": "Черкаська область", "en": "Cherkasy Oblast", "ru": "Черкасская область"},
    "UA-74": {"uk": "Чернігівська область", "en": "Chernihiv Oblast", "ru": "Черниговская область"},
    "UA-77": {"uk": "Чернівецька область", "en": "Chernivtsi Oblast", "ru": "Черновицкая область"},
}

# ISO 3166-1 alpha-2, officially assigned codes (a test checks this list against Babel's).
COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - a table is easier to read than 249 quoted strings
)


def oblast_name(code: str, language: str = "en") -> str:
    names = OBLASTS.get(code)
    if names is None:
        return code
    return names.get(language) or names["en"]


@cache
def country_names() -> dict[str, dict[str, str]]:
    """Each country's name in uk, en and ru (CLDR's, written by `make translations`)."""
    return json.loads((DATA / "countries.json").read_text("utf-8"))


def country_name(code: str, language: str = "en") -> str:
    names = country_names().get(code)
    if names is None:
        return code
    return names.get(language) or names["en"]


@cache
def _collated() -> dict[str, dict[str, list[str]]]:
    return json.loads((DATA / "collation.json").read_text("utf-8"))


def in_order(kind: str, language: str) -> list[str]:
    """The codes of "oblasts" or "countries" in the alphabetical order of the language.

    The order is the Unicode collation of the language (ICU, at build time: `make
    translations` writes data/collation.json, and a test holds it to ICU's): in
    Ukrainian "Австралія" before "Єгипет", and "Ґ", "Є", "І", "Ї" where the alphabet has
    them, not where their code points fall. The Lambda reads the file; ICU stays out.
    """
    return _collated()[kind][language]


def oblast_short_name(code: str, language: str = "en") -> str:
    """The oblast's name as a short message says it: "Херсонська обл.", "АР Крим",
    "м. Київ"; English names are short already."""
    name = oblast_name(code, language)
    if language == "uk":
        name = name.replace(" область", " обл.").replace("місто ", "м. ")
        name = name.replace("Автономна Республіка Крим", "АР Крим")
    elif language == "ru":
        name = name.replace(" область", " обл.").replace("город ", "г. ")
        name = name.replace("Автономная Республика Крым", "АР Крым")
    return name
