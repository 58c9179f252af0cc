"""A report taken in a conversation, on the fakes: the form's questions one at a time, the
answers read back and corrected, the state kept across a pause, and the report filed
through the form's own intake (its alert reaches the same contacts)."""

import datetime as dt

import pytest
from fakes import FakeConversations, FakeFileStore
from helpers import photo_jpeg

from chalicelib.domain import conversation as talk
from chalicelib.domain.conversation import Phase, Problem, Reply, Words
from chalicelib.domain.words import date_in_words
from chalicelib.services import conversations
from chalicelib.web.i18n import error_message, gettext_for

T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
CHAT = "test:1001"
UK = gettext_for("uk")


class Talk:
    """A reporter talking to the engine, as a channel drives it."""

    def __init__(self, stores, settings, now=T0):
        self.store = FakeConversations()
        self.files = FakeFileStore()
        self.how = conversations.Intake(stores, settings, self.files, "test:1001")
        self.settings = settings
        self.now = now
        self.heard = conversations.begin(self.store, CHAT, "uk", now, settings=settings)

    @property
    def asking(self):
        return self.heard.conversation.asking

    def say(self, text=None, choice=None, *, after=dt.timedelta(minutes=1)):
        self.now += after
        self.heard = conversations.hear(
            self.store,
            CHAT,
            Reply(text=text, choice=choice),
            self.now,
            intake_with=self.how,
            words=UK,
        )
        return self.heard

    def send_photo(self, data, content_type="image/jpeg"):
        self.now += dt.timedelta(minutes=1)
        self.heard = conversations.add_file(
            self.store, CHAT, data, content_type, self.now, files=self.files
        )
        return self.heard

    def said(self) -> str:
        """Everything said in the last answer, in Ukrainian."""
        out = []
        for say in self.heard.says:
            for part in say.parts:
                out.append(words(part))
            for line in say.lines:
                out.append(f"{UK(line.label.msgid)}: {words(line.answer)}")
        return "\n".join(out)


def words(part) -> str:
    if isinstance(part, Words):
        return UK(part.msgid) % dict(part.params) if part.params else UK(part.msgid)
    if isinstance(part, Problem):
        return error_message(part.as_dict(), "uk")
    return part


# The answers, question by question (None: the button "I don't know").
ANSWERS = {
    "urgent": ("choice", "no"),
    "child.family_name": ("text", "Ковальчук"),
    "child.given_name": ("text", "Олексанлр"),  # a typo, corrected on the read-back
    "child.patronymic": ("text", "Андрійович"),
    "child.other_names": ("choice", talk.DONT_KNOW),
    "child.sex": ("text", "Хлопчик"),  # an option typed out in words
    "child.date_of_birth": ("text", "Не знаю"),
    "child.birth_year": ("text", "2012"),
    "child.distinguishing_marks": ("text", "Шрам над лівою бровою"),
    "child.medical_needs": ("choice", talk.DONT_KNOW),
    "residence.oblast": ("text", "Херсонська"),
    "residence.settlement": ("text", "Олешки"),
    "event.category": ("choice", "deported"),
    "event.date": ("text", "20.10.2022"),
    "event.place": ("text", "Школа №2"),
    "event.circumstances": ("text", "Забрали з класом до табору в Криму."),
    "last_known_location.country": ("choice", "RU"),
    "last_known_location.region": ("text", "Краснодарський край"),
    "last_known_location.settlement": ("choice", talk.DONT_KNOW),
    "last_known_location.institution": ("choice", talk.DONT_KNOW),
    "reporter.name": ("choice", talk.DONT_KNOW),
    "reporter.relationship": ("choice", "parent"),
    "reporter.may_contact": ("choice", "no"),
    "consent.tracing": ("choice", "yes"),
    "consent.share_with_coalition": ("choice", "yes"),
    "consent.share_with_authorities": ("choice", "yes"),
    "consent.evidence": ("choice", "yes"),
}


def answer_all(t: Talk, answers=ANSWERS, photo=True, until=None):
    for _ in range(60):
        if t.heard.conversation.phase is not Phase.ASKING or t.asking == until:
            return
        if t.asking == talk.FILES:
            if photo:
                t.send_photo(photo_jpeg())
            t.say(choice=talk.NO_MORE_FILES)
            continue
        kind, value = answers[t.asking]
        t.say(**{kind: value})
    raise AssertionError(f"still asking {t.asking}")


def test_a_report_in_ukrainian_is_asked_read_back_corrected_and_filed_as_a_form_report(
    stores, settings, pipeline, db
):
    t = Talk(stores, settings)
    assert "Homeward" in t.said() and UK("Is the child in danger now?") in t.said()
    answer_all(t)
    readback = t.said()
    assert t.heard.conversation.phase is Phase.REVIEW
    assert "Олексанлр" in readback and "Рік народження: 2012" in readback
    assert "Херсонська область" in readback
    assert date_in_words(dt.date(2022, 10, 20), "uk") in readback  # a date in words

    t.say(choice=talk.CHANGE)
    t.say(choice="child.given_name")
    assert t.asking == "child.given_name"
    t.say("Олександр")
    assert t.heard.conversation.phase is Phase.REVIEW  # straight back to the read-back
    assert "Олександр" in t.said() and "Олексанлр" not in t.said()

    heard = t.say(choice=talk.SEND)
    assert heard.receipt is not None
    case = db.cases[heard.receipt.reference].case
    child = case.report.child
    assert (child.given_name, child.birth_year, child.date_of_birth) == ("Олександр", 2012, None)
    assert case.report.residence.oblast == "UA-65"
    assert case.report.reporter.preferred_language == "uk"
    assert case.report.reporter.phone is None  # no phone asked of who may not be contacted
    assert len(db.cases[heard.receipt.reference].attachments) == 1
    # The alert goes the form's way: the same contacts as test_alerting's form report.
    pipeline.run_until_idle(t.now)
    assert {m["to"] for m in pipeline.email.sent} == {
        "south@ombudsman.example.org",
        "coordinator@nib.example.org",
        "liaison@coalition-ca.example.org",
    }
    # Filed: nothing of the answers stays in the conversation.
    assert t.store.get(CHAT, t.now).answers == {}


def test_every_answer_survives_a_pause_of_hours(stores, settings, db):
    t = Talk(stores, settings)
    t.say(choice="no")
    t.say("Ковальчук")
    t.say("Олександр", after=dt.timedelta(hours=30))  # the next evening
    assert t.asking == "child.patronymic"
    assert t.store.get(CHAT, t.now).answers["child.family_name"] == "Ковальчук"


def test_an_abandoned_conversation_files_nothing_and_expires(stores, settings, db):
    t = Talk(stores, settings)
    t.say(choice="yes")
    t.say("Ковальчук")
    later = t.now + talk.KEPT_FOR + dt.timedelta(seconds=1)
    assert t.store.get(CHAT, t.now) is not None
    assert t.store.get(CHAT, later) is None
    heard = t.say("Олександр", after=talk.KEPT_FOR + dt.timedelta(seconds=1))
    assert heard.conversation is None and "/start" in t.said()
    assert db.cases == {}


def test_a_replayed_confirmation_files_nothing_twice(stores, settings, db):
    t = Talk(stores, settings)
    answer_all(t, photo=False)
    first = t.say(choice=talk.SEND).receipt
    again = t.say(choice=talk.SEND)
    assert again.receipt is None and "/start" in t.said()
    assert list(db.cases) == [first.reference]


def test_answers_are_checked_with_the_forms_own_checks_and_asked_again(stores, settings):
    t = Talk(stores, settings)
    t.say(choice="no")
    t.say("Ковальчук")
    t.say("Олександр")
    t.say(choice=talk.DONT_KNOW)
    t.say(choice=talk.DONT_KNOW)
    t.say("кіт")  # not one of the options
    assert t.asking == "child.sex" and UK("Choose one of the options.") in t.said()
    t.say("2")  # the second button
    assert t.heard.conversation.answers["child.sex"] == "male"
    t.say("31.02.2012")  # no such day: the form's own message
    assert t.asking == "child.date_of_birth"
    assert UK("This date does not exist. Please check the day and the month.") in t.said()
    t.say("14.03.1985")  # before 1990: the contract's check, in the form's words
    assert UK("This date of birth is too early.") in t.said()
    t.say("14.03.2012")
    assert t.heard.conversation.answers["child.date_of_birth"] == "2012-03-14"
    assert t.asking == "child.distinguishing_marks"  # no year asked: the date is known


def test_a_date_of_birth_nobody_knows_needs_a_year_or_an_age(stores, settings):
    t = Talk(stores, settings)
    for answer in ("no", "Ковальчук", "Олександр", talk.DONT_KNOW, talk.DONT_KNOW, "male"):
        t.say(choice=answer) if answer in ("no", talk.DONT_KNOW, "male") else t.say(answer)
    t.say(choice=talk.DONT_KNOW)
    assert t.asking == talk.BIRTH_YEAR
    t.say(choice=talk.DONT_KNOW)  # the contract needs a year at least
    assert t.asking == talk.BIRTH_YEAR and "2012" in t.said()
    t.say("11")  # an age
    assert t.heard.conversation.answers[talk.BIRTH_YEAR] == T0.year - 11


def test_contact_allowed_needs_an_email_or_a_phone_and_a_phone_is_read_as_typed(
    stores, settings, db
):
    t = Talk(stores, settings)
    answers = dict(ANSWERS)
    answers["reporter.may_contact"] = ("choice", "yes")
    answers["reporter.email"] = ("choice", talk.DONT_KNOW)
    answers["reporter.phone"] = ("choice", talk.DONT_KNOW)
    answer_all(t, answers, photo=False, until="reporter.phone")
    t.say(choice=talk.DONT_KNOW)
    # Neither: the form's message, and the question of contact again.
    assert t.asking == "reporter.may_contact"
    assert (
        UK("Give an e-mail address or a phone number, or choose that we should not contact you.")
        in t.said()
    )
    answers["reporter.phone"] = ("text", "050 123 45 67")
    answer_all(t, answers, photo=False)
    receipt = t.say(choice=talk.SEND).receipt
    assert db.cases[receipt.reference].case.report.reporter.phone == "+380501234567"


def test_a_file_that_is_no_photo_is_refused_at_once_and_not_kept(stores, settings):
    t = Talk(stores, settings)
    t.send_photo(b"MZ\x90\x00 not a picture", "image/jpeg")
    assert UK("A file is not a photo (JPEG, PNG) or a PDF document and was removed.") in t.said()
    assert t.store.get(CHAT, t.now).files == []
    assert t.files.versions("") == []


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_every_question_has_its_words_in_each_language(language):
    """The conversation's own words are in the catalogs, as the form's are."""
    from chalicelib.domain import answers
    from chalicelib.web.i18n import translations

    catalog = translations(language)
    own = [
        v
        for module in (talk, answers)
        for k, v in vars(module).items()
        if k.isupper() and isinstance(v, str) and " " in v
    ]
    assert own
    if language != "en":
        assert all(catalog.gettext(m) != m for m in own), [
            m for m in own if catalog.gettext(m) == m
        ]
