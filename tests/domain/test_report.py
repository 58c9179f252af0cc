"""The report contract: what is accepted, and how each mistake is named."""

import datetime as dt

import pytest
from helpers import EXAMPLE_REPORT
from pydantic import ValidationError

from chalicelib.domain.report import Report


def errors_for(body: dict) -> dict[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        Report.model_validate(body)
    return {tuple(e["loc"]): e["msg"] for e in caught.value.errors()}


def changed(path: str, value) -> dict:
    import copy

    body = copy.deepcopy(EXAMPLE_REPORT)
    *parents, leaf = path.split(".")
    target = body
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[leaf]
    else:
        target[leaf] = value
    return body


def test_the_contract_example_is_a_valid_report():
    report = Report.model_validate(EXAMPLE_REPORT)
    assert report.child.date_of_birth == dt.date(2012, 3, 14)
    assert report.residence.oblast == "UA-65"
    assert report.reporter.phone == "+380501234567"


def test_unknown_fields_are_rejected_where_they_are():
    errors = errors_for(changed("child.nickname", "Sasha"))
    assert ("child", "nickname") in errors


def test_invalid_phone_is_named():
    errors = errors_for(changed("reporter.phone", "0501234567"))
    assert ("reporter", "phone") in errors
    assert "E.164" in errors[("reporter", "phone")]
    assert ("reporter", "phone") in errors_for(changed("reporter.phone", "+38050123"))


def test_invalid_oblast_is_named():
    errors = errors_for(changed("residence.oblast", "UA-99"))
    assert "ISO 3166-2:UA" in errors[("residence", "oblast")]


def test_lowercase_oblast_and_country_are_normalised():
    body = changed("residence.oblast", "ua-14")
    body["last_known_location"]["country"] = "ru"
    report = Report.model_validate(body)
    assert (report.residence.oblast, report.last_known_location.country) == ("UA-14", "RU")


def test_missing_date_of_birth_and_birth_year_is_an_error_on_the_child():
    body = changed("child.date_of_birth", None)
    errors = errors_for(body)
    assert errors[("child",)].startswith("Value error, give the date of birth")


def test_birth_year_alone_is_enough():
    body = changed("child.date_of_birth", None)
    body["child"]["birth_year"] = 2013
    assert Report.model_validate(body).child.birth_year == 2013


def test_dates_in_the_future_are_refused():
    tomorrow_plus = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert ("event", "date") in errors_for(changed("event.date", tomorrow_plus))
    assert ("child", "date_of_birth") in errors_for(changed("child.date_of_birth", tomorrow_plus))


def test_a_reporter_who_may_be_contacted_needs_a_way_to_be_reached():
    body = changed("reporter.email", None)
    body["reporter"]["phone"] = None
    assert ("reporter",) in errors_for(body)
    body["reporter"]["may_contact"] = False
    assert Report.model_validate(body).reporter.may_contact is False


def test_invalid_email_and_country_and_category():
    assert ("reporter", "email") in errors_for(changed("reporter.email", "iryna@"))
    assert ("last_known_location", "country") in errors_for(
        changed("last_known_location.country", "XX")
    )
    assert ("event", "category") in errors_for(changed("event.category", "kidnapped"))


def test_blank_names_and_over_long_text_are_refused():
    assert ("child", "family_name") in errors_for(changed("child.family_name", "   "))
    assert ("event", "circumstances") in errors_for(changed("event.circumstances", "x" * 5001))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("urgent", "true"),
        ("urgent", 1),
        ("consent.tracing", "yes"),
        ("consent.share_with_coalition", "false"),
        ("consent.share_with_authorities", "1"),
        ("reporter.may_contact", "true"),
        ("child.birth_year", "2012"),
        ("child.birth_year", 2012.0),
        ("child.birth_year", True),
    ],
)
def test_booleans_and_the_year_of_birth_take_their_json_types_only(path, value):
    # Lax coercion would read "yes" as consent; the contract says booleans and an integer.
    errors = errors_for(changed(path, value))
    assert tuple(path.split(".")) in errors
    assert str(value) not in errors[tuple(path.split("."))]


def test_hostile_text_is_kept_as_text():
    # Markup and a bidi override are text a reporter could mean; alerts make them inert.
    hostile = "<script>alert(1)</script>\u202e gnp.exe"
    report = Report.model_validate(changed("event.circumstances", hostile))
    assert report.event.circumstances == hostile


LONG_TEXTS = ("event.circumstances", "child.medical_needs", "child.distinguishing_marks")
SHORT_TEXTS = ("event.place", "residence.settlement", "reporter.name", "last_known_location.region")
NAMES = ("child.family_name", "child.given_name", "child.patronymic")


def refused(path: str, value: str) -> str:
    """The message for a refused value, which must not quote it."""
    errors = errors_for(changed(path, value))
    message = errors[tuple(path.split("."))]
    assert value.strip() not in message
    return message


@pytest.mark.parametrize("path", LONG_TEXTS)
@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x0b", "\x0c", "\x7f", "\x85", "\x9b"])
def test_control_characters_in_free_text_are_refused(path, control):
    message = refused(path, f"Taken at night.{control}Acknowledge: https://evil.example/x")
    assert message == "Value error, contains a control character other than a line break or a tab"


@pytest.mark.parametrize("path", LONG_TEXTS)
def test_free_text_keeps_its_lines_and_tabs(path):
    text = "Taken at night.\r\nBy soldiers:\n\tthree of them.\rNot returned."
    report = Report.model_validate(changed(path, text))
    part, field = path.split(".")
    assert getattr(getattr(report, part), field) == text


@pytest.mark.parametrize("path", SHORT_TEXTS + NAMES)
@pytest.mark.parametrize("control", ["\n", "\r", "\t", "\x00", "\x1b", "\x85", "\u2028", "\u2029"])
def test_a_name_or_short_text_is_one_line_without_controls(path, control):
    message = refused(path, f"Олешки{control}Acknowledge")
    assert message == "Value error, contains a control character or a line break"


@pytest.mark.parametrize("path", [*NAMES, "child.other_names"])
@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u202e", "\u00ad", "\ufeff"],
)
def test_invisible_formatting_characters_in_names_are_refused(path, invisible):
    value = f"Ков{invisible}альчук"
    body = changed(path, [value] if path == "child.other_names" else value)
    errors = errors_for(body)
    loc = (*path.split("."), 0) if path == "child.other_names" else tuple(path.split("."))
    assert errors[loc] == "Value error, contains an invisible formatting character"


@pytest.mark.parametrize(
    "name", ["\u200b", "\u200b\u200b\u200d", "—", "-", "...", "?", "123", "' -"]
)
def test_a_name_needs_a_letter(name):
    # A zero-width-only name looked filled in and matched nothing; punctuation is no name.
    errors = errors_for(changed("child.family_name", name))
    assert ("child", "family_name") in errors
    assert errors[("child", "family_name")].startswith(
        (
            "Value error, a name must contain at least one letter",
            "Value error, contains an invisible",
        )
    )


@pytest.mark.parametrize(
    "name", ["Мар'яна", "Анна-Марія", "O'Neil", "Ковальчук-Петренко", "Ілля", "Ёж"]
)
def test_names_with_apostrophes_and_hyphens_are_names(name):
    assert Report.model_validate(changed("child.given_name", name)).child.given_name == name


def test_a_short_text_may_hold_a_bidi_character_for_the_alerts_to_drop():
    # Short texts are not matched on, and an Arabic or Hebrew place name may carry marks.
    place = "\u200fمدرسة\u200f No. 2"
    assert Report.model_validate(changed("event.place", place)).event.place == place
