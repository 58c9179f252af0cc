import datetime as dt

from helpers import case_for

from chalicelib.domain.alerts import Alert
from chalicelib.domain.disclosure import Disclosure
from chalicelib.domain.messages import render_email, render_sms

ACK = "http://127.0.0.1:8000/ack/7K3MQ9TXa1b2c3" + "2pmq4x" + "x" * 16


def test_an_sms_names_no_child_and_carries_its_acknowledgement_link():
    case = case_for(urgent=True)
    alert = Alert.for_new_case(case)
    for language in ("uk", "en"):
        sms = render_sms(alert, language, ACK)
        assert "HW-7K3M-Q9TX" in sms
        assert sms.endswith(ACK)
        for name in ("Ковальчук", "Олександр", "Сашко", "Андрійович", "Олешки"):
            assert name not in sms
    assert render_sms(alert, "uk", ACK).startswith("ТЕРМІНОВО")
    # In words, not codes: the category and the oblast by name.
    assert "депортація, Херсонська обл. Підтвердіть: " in render_sms(alert, "uk", ACK)
    assert "deported" in render_sms(alert, "en", ACK)
    assert "Kherson Oblast" in render_sms(alert, "en", ACK)
    for language in ("uk", "en"):
        assert "UA-65" not in render_sms(alert, language, ACK)


def test_every_sms_fits_two_parts_giving_up_detail_rather_than_the_link():
    from chalicelib.domain.messages import CATEGORY_LABELS
    from chalicelib.domain.places import OBLASTS
    from chalicelib.domain.sms import segments

    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    for category in CATEGORY_LABELS:
        for oblast in OBLASTS:
            case = case_for(event={"category": category}, residence={"oblast": oblast}, urgent=True)
            for alert in (Alert.for_new_case(case), Alert.for_new_case(case).escalated(2, now)):
                for language in ("uk", "en"):
                    sms = render_sms(alert, language, ACK)
                    assert segments(sms) <= 2, sms
                    assert ACK in sms and "HW-7K3M-Q9TX" in sms
    short = render_sms(Alert.for_new_case(case_for()), "en", ACK)
    assert "Kherson Oblast" in short  # when it fits, the whole story


def test_an_sms_tells_its_code_to_reply_with_in_two_parts_or_one_latin_part():
    """With a two-way number, every report's SMS offers its reply code next to the link,
    whatever the category, oblast and rung; giving up detail (the place) rather than
    either, and naming no child."""
    from chalicelib.domain.messages import CATEGORY_LABELS
    from chalicelib.domain.places import OBLASTS
    from chalicelib.domain.sms import is_gsm7, segments

    # A deployed stage's link is longer than the local one.
    link = "https://homeward.example.org/ack/7K3MQ9TXa1b2c32pmq4x" + "x" * 16
    now = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    for category in CATEGORY_LABELS:
        for oblast in OBLASTS:
            case = case_for(event={"category": category}, residence={"oblast": oblast}, urgent=True)
            for alert in (Alert.for_new_case(case), Alert.for_new_case(case).escalated(2, now)):
                for language in ("uk", "en"):
                    sms = render_sms(alert, language, link, reply="04821")
                    assert segments(sms) <= 2 and link in sms and "HW-7K3M-Q9TX" in sms, sms
                    latin = render_sms(alert, language, link, reply="04821", one_part=True)
                    assert is_gsm7(latin) and segments(latin) == 1, latin
                    assert link in latin
                    for text in (sms, latin):
                        assert text.endswith(" 04821")
                        assert "Ковальчук" not in text and "Kovalchuk" not in text
    case = case_for()
    assert render_sms(Alert.for_new_case(case), "en", ACK, reply="04821").endswith(
        f"Acknowledge: {ACK} or reply 04821"
    )
    assert render_sms(Alert.for_new_case(case), "uk", ACK, reply="04821").endswith(
        f"Підтвердіть: {ACK} або SMS 04821"
    )
    # Without a two-way number, no code is offered.
    assert render_sms(Alert.for_new_case(case), "en", ACK).endswith(ACK)


def test_an_email_carries_the_child_only_to_whom_the_consent_lets_learn_it():
    shared = case_for()
    email = render_email(
        Alert.for_new_case(shared), shared, "en", ACK, disclosure=Disclosure.DETAILS
    )
    assert "HW-7K3M-Q9TX" in email.subject
    assert "Ковальчук Олександр Андрійович" in email.text
    assert "asthma" in email.text

    withheld = case_for(consent={"share_with_coalition": False})
    email = render_email(
        Alert.for_new_case(withheld), withheld, "uk", ACK, disclosure=Disclosure.EXISTENCE
    )
    assert "HW-7K3M-Q9TX" in email.text
    for detail in ("Ковальчук", "Олександр", "asthma", "Олешки", "recreation camp"):
        assert detail not in email.text


def test_the_reporters_contact_details_are_never_in_an_alert():
    case = case_for()
    email = render_email(Alert.for_new_case(case), case, "en", ACK, disclosure=Disclosure.DETAILS)
    assert "iryna@example.org" not in email.text
    assert "+380501234567" not in email.text
    assert "Ірина" not in email.text


def test_the_digest_is_written_in_the_coordinators_language_as_text_and_html():
    from chalicelib.domain.messages import Waiting, render_digest

    since = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
    waiting = [Waiting("HW-7K3M-Q9TX", "deported", "UA-65", True, 1, since)]
    english = render_digest("2026-11-28", 3, waiting, 1, "en")
    assert english.subject == "Homeward daily digest 2026-11-28: 3 new, 1 unacknowledged"
    assert (
        "- HW-7K3M-Q9TX (deported, Kherson Oblast, urgent), escalation level 1, "
        "since 27 November 2026, 10:00 Kyiv time (08:00 UTC)" in english.text
    )
    assert '<html lang="en"' in english.html and "HW-7K3M-Q9TX" in english.html
    assert "/ack/" not in english.html  # a digest acknowledges nothing
    quiet = render_digest("2026-11-28", 0, [], 0, "uk")
    assert "- немає" in quiet.text and "Немає." in quiet.html


def test_an_email_says_the_reports_codes_in_words():
    case = case_for()
    english = render_email(Alert.for_new_case(case), case, "en", ACK, disclosure=Disclosure.DETAILS)
    ukrainian = render_email(
        Alert.for_new_case(case), case, "uk", ACK, disclosure=Disclosure.DETAILS
    )
    for email in (english, ukrainian):
        for code in ("UA-65", "(uk)", ": parent", " RU", "2012-03-14", "2022-10-20", " UTC\n"):
            assert code not in email.text, code
    assert "Oblast: Kherson Oblast" in english.text
    assert "Born: 14 March 2012" in english.text
    assert "Last known location: Russia" in english.text
    assert "Reported by: a parent of the child, who may be contacted in Ukrainian" in english.text
    assert "Received: 28 November 2026, 11:15 Kyiv time (09:15 UTC)" in english.text
    assert "Область: Херсонська область" in ukrainian.text
    assert "Дата народження: 14 березня 2012\u202fр." in ukrainian.text
    assert "Останнє відоме місце: Росія" in ukrainian.text
    assert "Хто повідомив: батько чи мати дитини; зв'язатися можна українською" in ukrainian.text
    assert "Стать: хлопчик" in ukrainian.text
    assert "Отримано: 28 листопада 2026\u202fр., 11:15 за київським часом" in ukrainian.text


def test_a_recipient_reading_english_gets_the_childs_name_in_latin_letters_too():
    case = case_for()
    english = render_email(Alert.for_new_case(case), case, "en", ACK, disclosure=Disclosure.DETAILS)
    # KMU 2010, as a Ukrainian passport writes it.
    assert "In Latin letters: Kovalchuk Oleksandr Andriiovych" in english.text
    assert "Kovalchuk Oleksandr Andriiovych" in english.html
    assert "Also known as, in Latin letters: Sashko" in english.text
    ukrainian = render_email(
        Alert.for_new_case(case), case, "uk", ACK, disclosure=Disclosure.DETAILS
    )
    assert "Kovalchuk" not in ukrainian.text
    # A name reported in Latin letters is not repeated.
    latin = case_for(
        child={
            "family_name": "Kovalchuk",
            "given_name": "Oleksandr",
            "patronymic": None,
            "other_names": [],
        }
    )
    email = render_email(Alert.for_new_case(latin), latin, "en", ACK, disclosure=Disclosure.DETAILS)
    assert "in Latin letters" not in email.text.lower()


def test_every_value_the_report_allows_has_its_words_in_the_alerts():
    """The labels name each value of the report's own types, no more and no fewer: a new
    category, relationship, sex or language cannot reach an alert as a bare code."""
    from typing import get_args

    from chalicelib.domain import labels, messages, report

    for name, (codes, catalog) in labels.CATALOGS.items():
        assert {str(c) for c in catalog} >= {str(c) for c in codes}, name
        assert all(set(words) >= {"uk", "en", "ru"} for words in catalog.values()), name
    assert messages.CATEGORY_LABELS is labels.CATEGORY
    assert set(labels.CATEGORY) == set(get_args(report.Category))
