"""The words of a comparison of two reports (domain/match_review.py): each row's verdict
and the reason for it, in every language read, as domain/labels.py words its enums."""

from __future__ import annotations

from chalicelib.domain.labels import Words

# The verdict on a row: matching's field statuses, and "compare" for a person's eyes.
VERDICT: dict[str, Words] = {
    "match": {"uk": "однаково", "en": "the same", "ru": "одинаково"},
    "close": {"uk": "схоже", "en": "close", "ru": "похоже"},
    "mismatch": {"uk": "різниться", "en": "different", "ru": "различается"},
    "missing": {
        "uk": "нема з чим порівняти",
        "en": "nothing to compare",
        "ru": "не с чем сравнить",
    },
    "year_only": {"uk": "той самий рік", "en": "the same year", "ru": "тот же год"},
    "day_month_swapped": {
        "uk": "та сама дата",
        "en": "the same date",
        "ru": "та же дата",
    },
    "other_settlement": {"uk": "різниться", "en": "different", "ru": "различается"},
    "compare": {
        "uk": "порівняйте самі",
        "en": "compare them yourself",
        "ru": "сравните сами",
    },
    "withheld": {"uk": "приховано", "en": "withheld", "ru": "скрыто"},
}

# Why: one sentence a caseworker can check against the two values.
REASON: dict[str, Words] = {
    "written_alike": {
        "uk": "написано однаково",
        "en": "written alike",
        "ru": "написано одинаково",
    },
    "same_name_written_otherwise": {
        "uk": "те саме ім’я іншим письмом, правописом чи формою",
        "en": "the same name in another script, spelling or form",
        "ru": "то же имя другим письмом, написанием или формой",
    },
    "nearly_alike": {
        "uk": "написано майже однаково: можливо, описка чи інша транслітерація",
        "en": "written nearly alike: perhaps a slip or another transliteration",
        "ru": "написано почти одинаково: возможно, опечатка или другая транслитерация",
    },
    "different_family_names": {
        "uk": "різні прізвища (у Росії дитину могли записати під новим)",
        "en": "different family names (a child registered in Russia may carry a new one)",
        "ru": "разные фамилии (в России ребёнка могли записать под новой)",
    },
    "different_given_names": {
        "uk": "різні імена: так різняться брати, сестри й близнюки",
        "en": "different given names: how brothers, sisters and twins differ",
        "ru": "разные имена: так различаются братья, сёстры и близнецы",
    },
    "different_fathers": {
        "uk": "різні імена батька",
        "en": "different fathers' names",
        "ru": "разные отчества",
    },
    "shares_a_name": {
        "uk": "одне з імен спільне",
        "en": "one of the names is shared",
        "ru": "одно из имён общее",
    },
    "no_name_shared": {
        "uk": "спільного імені немає",
        "en": "no name in common",
        "ru": "общего имени нет",
    },
    "same_day": {"uk": "той самий день", "en": "the same day", "ru": "тот же день"},
    "day_month_swapped": {
        "uk": "той самий день, день і місяць записано навпаки",
        "en": "the same day, with day and month written the other way round",
        "ru": "тот же день, день и месяц записаны наоборот",
    },
    "days_apart": {
        "uk": "близькі дати: день-два різниці чи той самий день іншого року",
        "en": "close dates: a day or two apart, or the same day a year apart",
        "ru": "близкие даты: день-два разницы или тот же день другого года",
    },
    "year_apart": {
        "uk": "рік різниці: вік, названий свідком, часто відрізняється на рік",
        "en": "a year apart: an age a witness guessed is often a year off",
        "ru": "год разницы: возраст, названный свидетелем, часто отличается на год",
    },
    "same_year_only": {
        "uk": "той самий рік; в одному з повідомлень лише рік",
        "en": "the same year; one report gives only the year",
        "ru": "тот же год; в одном из сообщений только год",
    },
    "different_birthdays": {
        "uk": "різні дати народження",
        "en": "different dates of birth",
        "ru": "разные даты рождения",
    },
    "within_a_week": {
        "uk": "у межах тижня одна від одної",
        "en": "within a week of each other",
        "ru": "в пределах недели друг от друга",
    },
    "different_dates": {"uk": "різні дати", "en": "different dates", "ru": "разные даты"},
    "same_sex": {"uk": "та сама стать", "en": "the same sex", "ru": "тот же пол"},
    "different_sex": {
        "uk": "хлопчик і дівчинка",
        "en": "a boy and a girl",
        "ru": "мальчик и девочка",
    },
    "same_town": {
        "uk": "та сама область і населений пункт",
        "en": "the same oblast and town",
        "ru": "та же область и населённый пункт",
    },
    "other_town_same_oblast": {
        "uk": "інший населений пункт тієї самої області",
        "en": "another town of the same oblast",
        "ru": "другой населённый пункт той же области",
    },
    "same_oblast_no_town": {
        "uk": "та сама область; населений пункт названо лише в одному",
        "en": "the same oblast; only one report names the town",
        "ru": "та же область; населённый пункт назван только в одном",
    },
    "different_oblasts": {
        "uk": "різні області",
        "en": "different oblasts",
        "ru": "разные области",
    },
    "same_place": {"uk": "те саме місце", "en": "the same place", "ru": "то же место"},
    "shares_a_place_name": {
        "uk": "спільна назва місця",
        "en": "a place name in common",
        "ru": "общее название места",
    },
    "different_places": {"uk": "різні місця", "en": "different places", "ru": "разные места"},
    "different_countries": {
        "uk": "різні країни",
        "en": "different countries",
        "ru": "разные страны",
    },
    "same_country_only": {
        "uk": "та сама країна; регіону чи населеного пункту для порівняння немає",
        "en": "the same country; no region or town to compare",
        "ru": "та же страна; региона или населённого пункта для сравнения нет",
    },
    "same_region": {"uk": "той самий регіон", "en": "the same region", "ru": "тот же регион"},
    "other_town_same_region": {
        "uk": "інший населений пункт того самого регіону",
        "en": "another town of the same region",
        "ru": "другой населённый пункт того же региона",
    },
    "different_regions": {
        "uk": "різні регіони",
        "en": "different regions",
        "ru": "разные регионы",
    },
    "same_institution": {
        "uk": "той самий заклад",
        "en": "the same institution",
        "ru": "то же учреждение",
    },
    "different_institutions": {
        "uk": "різні заклади",
        "en": "different institutions",
        "ru": "разные учреждения",
    },
    "read_both": {
        "uk": "описано словами: прочитайте обидва описи",
        "en": "described in words: read both",
        "ru": "описано словами: прочитайте оба описания",
    },
    "look_at_both": {
        "uk": "подивіться на фото обох повідомлень",
        "en": "look at the photos of both reports",
        "ru": "посмотрите на фото обоих сообщений",
    },
    "given_in_one": {
        "uk": "є лише в одному з повідомлень",
        "en": "only one report gives it",
        "ru": "есть только в одном из сообщений",
    },
    "given_in_neither": {
        "uk": "немає в жодному з повідомлень",
        "en": "neither report gives it",
        "ru": "нет ни в одном из сообщений",
    },
    "withheld": {
        "uk": "подробиці одного з повідомлень вашій організації не показуються",
        "en": "your organisation may not see the details of one of the reports",
        "ru": "подробности одного из сообщений вашей организации не показываются",
    },
}
