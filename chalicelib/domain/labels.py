"""The words for each of the domain's codes, one catalog per enum, in every language read.

A page, an e-mail, a correction and the audit trail say "депортація", "дівчинка" or
"Перевірено" from these catalogs; nothing restates them. Each catalog is keyed by its
enum (report.Category, report.Sex, report.Relationship, workflow.Status, staff.Role), and
tests/domain/test_labels.py checks that every code has words in every language. Words
are as they read inside a sentence ("депортація"); a list or a heading capitalises them
(`heading`). A code without words (a stored value from an older version) stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from chalicelib.domain.contacts import Channel
from chalicelib.domain.disclosure import BreakGlassReason, OrganisationKind
from chalicelib.domain.report import Category, Language, Relationship, Sex
from chalicelib.domain.staff import Role
from chalicelib.domain.statements import (
    StatementLanguage,
    TakenHow,
    TakerRole,
    WitnessRelation,
)
from chalicelib.domain.workflow import Status

LANGUAGES: tuple[str, ...] = get_args(Language)

Words = Mapping[str, str]

CATEGORY: dict[str, Words] = {
    "deported": {"uk": "депортація", "en": "deported", "ru": "депортация"},
    "forcibly_transferred": {
        "uk": "примусове переміщення",
        "en": "forcibly transferred",
        "ru": "принудительное перемещение",
    },
    "missing": {"uk": "зникнення", "en": "missing", "ru": "исчезновение"},
    "held_in_facility": {
        "uk": "утримання в закладі",
        "en": "held in a facility",
        "ru": "содержание в учреждении",
    },
    "adopted_or_placed": {
        "uk": "усиновлення чи влаштування",
        "en": "adopted or placed",
        "ru": "усыновление или устройство в семью",
    },
    "other": {"uk": "інше", "en": "other", "ru": "другое"},
}
SEX: dict[str, Words] = {
    "female": {"uk": "дівчинка", "en": "girl", "ru": "девочка"},
    "male": {"uk": "хлопчик", "en": "boy", "ru": "мальчик"},
    "unknown": {"uk": "невідомо", "en": "not known", "ru": "неизвестно"},
}
RELATIONSHIP: dict[str, Words] = {
    "parent": {"uk": "батько чи мати дитини", "en": "a parent of the child", "ru": "родитель"},
    "guardian": {"uk": "опікун дитини", "en": "the child's guardian", "ru": "опекун ребёнка"},
    "relative": {"uk": "родич дитини", "en": "a relative of the child", "ru": "родственник"},
    "witness": {
        "uk": "свідок, сусід чи знайомий",
        "en": "a witness, neighbour or friend",
        "ru": "свидетель, сосед или знакомый",
    },
    "ngo": {
        "uk": "організація, що допомагає сім'ям",
        "en": "an organisation helping families",
        "ru": "организация, помогающая семьям",
    },
    "official": {"uk": "посадова особа", "en": "an official", "ru": "должностное лицо"},
    "self": {"uk": "сама дитина", "en": "the child themself", "ru": "сам ребёнок"},
    "other": {"uk": "інша особа", "en": "someone else", "ru": "другое лицо"},
}
LANGUAGE: dict[str, Words] = {
    "uk": {"uk": "українською", "en": "in Ukrainian", "ru": "на украинском"},
    "en": {"uk": "англійською", "en": "in English", "ru": "на английском"},
    "ru": {"uk": "російською", "en": "in Russian", "ru": "на русском"},
}
STATUS: dict[str, Words] = {
    Status.RECEIVED: {"uk": "отримано", "en": "received", "ru": "получено"},
    Status.TRIAGED: {"uk": "первинно розглянуто", "en": "triaged", "ru": "первично рассмотрено"},
    Status.VERIFIED: {"uk": "перевірено", "en": "verified", "ru": "проверено"},
    Status.LOCATED: {
        "uk": "місцеперебування встановлено",
        "en": "located",
        "ru": "местонахождение установлено",
    },
    Status.RETURN_IN_PROGRESS: {
        "uk": "триває повернення",
        "en": "return in progress",
        "ru": "идёт возвращение",
    },
    Status.RETURNED: {"uk": "повернуто", "en": "returned", "ru": "возвращён"},
    Status.CLOSED: {"uk": "закрито", "en": "closed", "ru": "закрыто"},
    Status.DUPLICATE: {"uk": "дублікат", "en": "duplicate", "ru": "дубликат"},
    Status.UNFOUNDED: {"uk": "необґрунтоване", "en": "unfounded", "ru": "необоснованное"},
}
ROLE: dict[str, Words] = {
    Role.CASEWORKER: {"uk": "фахівець зі справ", "en": "caseworker", "ru": "специалист по делам"},
    Role.COORDINATOR: {"uk": "координатор", "en": "coordinator", "ru": "координатор"},
    Role.AUDITOR: {"uk": "аудитор", "en": "auditor", "ru": "аудитор"},
    Role.PROVIDER: {
        "uk": "надавач послуг",
        "en": "service provider",
        "ru": "поставщик услуг",
    },
    # Not a console role: someone alerted who acknowledged through an alert's link.
    "contact": {"uk": "сповіщений контакт", "en": "alerted contact", "ru": "оповещённый контакт"},
}
# A report's fields as a correction, a comparison or the audit trail names them.
FIELD: dict[str, Words] = {
    "child.family_name": {"uk": "прізвище", "en": "family name", "ru": "фамилия"},
    "child.given_name": {"uk": "ім’я", "en": "given name", "ru": "имя"},
    "child.patronymic": {"uk": "по батькові", "en": "patronymic", "ru": "отчество"},
    "child.other_names": {"uk": "інші імена", "en": "other names", "ru": "другие имена"},
    "child.sex": {"uk": "стать", "en": "sex", "ru": "пол"},
    "child.date_of_birth": {"uk": "дата народження", "en": "date of birth", "ru": "дата рождения"},
    "child.birth_year": {"uk": "рік народження", "en": "year of birth", "ru": "год рождения"},
    "child.distinguishing_marks": {"uk": "прикмети", "en": "marks", "ru": "приметы"},
    "residence.settlement": {
        "uk": "населений пункт проживання",
        "en": "home settlement",
        "ru": "населённый пункт проживания",
    },
    "residence.oblast": {"uk": "область проживання", "en": "home oblast", "ru": "область"},
    "event.date": {"uk": "дата події", "en": "date of the event", "ru": "дата события"},
    "event.place": {"uk": "місце події", "en": "place of the event", "ru": "место события"},
    "last_known_location.region": {
        "uk": "останній відомий регіон",
        "en": "last known region",
        "ru": "последний известный регион",
    },
    "last_known_location.settlement": {
        "uk": "останній відомий населений пункт",
        "en": "last known settlement",
        "ru": "последний известный населённый пункт",
    },
    "last_known_location.institution": {
        "uk": "останній відомий заклад",
        "en": "last known institution",
        "ru": "последнее известное учреждение",
    },
}
# What an organisation in the directory is (disclosure.OrganisationKind): the contact form.
ORGANISATION_KIND: dict[str, Words] = {
    OrganisationKind.COALITION_MEMBER: {
        "uk": "член коаліції",
        "en": "coalition member",
        "ru": "член коалиции",
    },
    OrganisationKind.NATIONAL_AUTHORITY: {
        "uk": "національний орган влади",
        "en": "national authority",
        "ru": "национальный орган власти",
    },
    OrganisationKind.LAW_ENFORCEMENT: {
        "uk": "поліція чи прокуратура",
        "en": "police or prosecutor",
        "ru": "полиция или прокуратура",
    },
    OrganisationKind.NGO: {"uk": "громадська організація", "en": "NGO", "ru": "НКО"},
    OrganisationKind.SERVICE_PROVIDER: {
        "uk": "надавач послуг (лікарня, психолог, правнича допомога)",
        "en": "service provider (clinic, psychologist, legal aid)",
        "ru": "поставщик услуг (больница, психолог, юридическая помощь)",
    },
}
CHANNEL: dict[str, Words] = {
    Channel.EMAIL: {"uk": "e-mail", "en": "e-mail", "ru": "e-mail"},
    Channel.SMS: {"uk": "SMS", "en": "SMS", "ru": "SMS"},
}
# Why a coordinator broke the glass (disclosure.BreakGlassReason): what the auditors,
# the audit trail and the console's form say.
BREAK_GLASS_REASON: dict[str, Words] = {
    BreakGlassReason.CHILD_AT_RISK: {
        "uk": "життю чи здоров'ю дитини загрожує небезпека",
        "en": "the child's life or health is in danger",
        "ru": "жизни или здоровью ребёнка угрожает опасность",
    },
    BreakGlassReason.CHILD_LOCATED: {
        "uk": "дитину знайдено, треба перевірити, хто вона",
        "en": "the child was found and must be identified",
        "ru": "ребёнок найден, нужно установить, кто он",
    },
    BreakGlassReason.DATA_REQUEST: {
        "uk": "заявник звернувся щодо своїх даних",
        "en": "the reporter asked about their own data",
        "ru": "заявитель обратился по поводу своих данных",
    },
    BreakGlassReason.LEGAL_ORDER: {
        "uk": "рішення суду чи вимога прокурора",
        "en": "a court's or a prosecutor's order",
        "ru": "решение суда или требование прокурора",
    },
    BreakGlassReason.OTHER: {"uk": "інша причина", "en": "another reason", "ru": "другая причина"},
}
# Who gave a witness statement (statements.WitnessRelation): "given by a neighbour".
WITNESS: dict[str, Words] = {
    WitnessRelation.PARENT: {"uk": "батько чи мати", "en": "a parent", "ru": "родитель"},
    WitnessRelation.RELATIVE: {"uk": "родич", "en": "a relative", "ru": "родственник"},
    WitnessRelation.NEIGHBOUR: {"uk": "сусід", "en": "a neighbour", "ru": "сосед"},
    WitnessRelation.TEACHER: {"uk": "вчитель", "en": "a teacher", "ru": "учитель"},
    WitnessRelation.CAREGIVER: {
        "uk": "вихователь закладу",
        "en": "a carer of an institution",
        "ru": "воспитатель учреждения",
    },
    WitnessRelation.OTHER_ADULT: {
        "uk": "інша доросла особа",
        "en": "another adult",
        "ru": "другой взрослый",
    },
}
# How a statement was taken (statements.TakenHow): "taken by phone".
TAKEN_HOW: dict[str, Words] = {
    TakenHow.IN_PERSON: {"uk": "особисто", "en": "in person", "ru": "лично"},
    TakenHow.BY_PHONE: {"uk": "телефоном", "en": "by phone", "ru": "по телефону"},
    TakenHow.IN_WRITING: {"uk": "письмово", "en": "in writing", "ru": "письменно"},
}
# Who took it (statements.TakerRole).
TAKER: dict[str, Words] = {
    TakerRole.STAFF: {"uk": "працівник коаліції", "en": "a staff member", "ru": "сотрудник"},
    TakerRole.HOTLINE: {
        "uk": "оператор гарячої лінії",
        "en": "a hotline operator",
        "ru": "оператор горячей линии",
    },
}
# A statement's language: the report's three, or another one the taker names.
STATEMENT_LANGUAGE: dict[str, Words] = {
    **LANGUAGE,
    "other": {"uk": "іншою мовою", "en": "in another language", "ru": "на другом языке"},
}
# Each enum and its catalog, for the completeness check.
CATALOGS: dict[str, tuple[tuple[str, ...], dict[str, Words]]] = {
    "category": (get_args(Category), CATEGORY),
    "sex": (get_args(Sex), SEX),
    "relationship": (get_args(Relationship), RELATIONSHIP),
    "language": (LANGUAGES, LANGUAGE),
    "status": (tuple(Status), STATUS),
    "role": (tuple(Role), ROLE),
    "channel": (tuple(Channel), CHANNEL),
    "break_glass_reason": (tuple(BreakGlassReason), BREAK_GLASS_REASON),
    "witness": (tuple(WitnessRelation), WITNESS),
    "taken_how": (tuple(TakenHow), TAKEN_HOW),
    "taker": (tuple(TakerRole), TAKER),
    "statement_language": (tuple(StatementLanguage), STATEMENT_LANGUAGE),
}


def word(catalog: Mapping[str, Words], code: object, language: str) -> str:
    """The words for `code` in `language` (English where a language lacks them)."""
    if code is None:
        return ""
    found = catalog.get(str(code))
    if not found:
        return str(code)
    return found.get(language) or found["en"]


def heading(text: str) -> str:
    """Words as a list or a label starts them: the first letter capitalised."""
    return text[:1].upper() + text[1:]
