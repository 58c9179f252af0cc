import datetime as dt
import json

from helpers import EXAMPLE_REPORT

from chalicelib.domain.alerts import Alert
from chalicelib.domain.case import Case
from chalicelib.domain.contacts import Contact
from chalicelib.domain.messages import render_email, render_sms
from chalicelib.domain.report import Report
from chalicelib.domain.routing import route
from infra.local.emulator import DEMO_CONTACTS

DEMO = [Contact.model_validate(c) for c in json.loads(DEMO_CONTACTS.read_text())["contacts"]]


def case_for(**changes) -> Case:
    body = json.loads(json.dumps(EXAMPLE_REPORT))
    for section, values in changes.items():
        body[section].update(values) if isinstance(values, dict) else body.update({section: values})
    report = Report.model_validate(body)
    return Case("HW-7K3M-Q9TX", dt.datetime(2026, 11, 28, 9, 15, tzinfo=dt.UTC), report)


def contact(contact_id, **fields) -> Contact:
    base = {
        "contact_id": contact_id,
        "organisation": "Org",
        "agency": "UA-TEST",
        "member_state": "UA",
        "name": "Someone",
        "email": f"{contact_id}@example.org",
        "phone": "+380501112233",
        "languages": ["uk"],
        "channels": ["email", "sms"],
    }
    return Contact.model_validate(base | fields)


def test_an_alert_reaches_the_oblast_contacts_and_the_coordinators_only():
    alert = Alert.for_new_case(case_for())
    contacts = [
        contact("kherson", oblasts=["UA-65"]),
        contact("donetsk", oblasts=["UA-14"]),
        contact("coord", coordinator=True, channels=["email"]),
        contact("retired", oblasts=["UA-65"], active=False),
    ]
    got = {(d.contact_id, d.channel) for d in route(alert, contacts)}
    assert got == {("kherson", "email"), ("kherson", "sms"), ("coord", "email")}


def test_a_channel_without_an_address_is_skipped():
    alert = Alert.for_new_case(case_for())
    only_email = contact("kherson", oblasts=["UA-65"], phone=None)
    assert [d.channel for d in route(alert, [only_email])] == ["email"]


def test_every_oblast_reaches_an_email_and_an_sms_contact_in_the_demo_directory():
    from chalicelib.domain.places import OBLASTS

    for oblast in OBLASTS:
        alert = Alert.for_new_case(case_for(residence={"oblast": oblast}))
        channels = {d.channel for d in route(alert, DEMO)}
        assert channels == {"email", "sms"}, oblast


def test_an_sms_names_no_child_and_fits_two_segments():
    case = case_for(urgent=True)
    alert = Alert.for_new_case(case)
    for language in ("uk", "en"):
        sms = render_sms(alert, language)
        assert "HW-7K3M-Q9TX" in sms
        for name in ("Ковальчук", "Олександр", "Сашко", "Андрійович", "Олешки"):
            assert name not in sms
        # Cyrillic needs UCS-2: 67 characters per part of a two-part message.
        assert len(sms) <= 134
    assert render_sms(alert, "uk").startswith("ТЕРМІНОВО")
    assert "депортація" in render_sms(alert, "uk")
    assert "Kherson Oblast" in render_sms(alert, "en")


def test_an_email_carries_the_child_only_with_consent_to_share():
    shared = case_for()
    email = render_email(Alert.for_new_case(shared), shared, "en")
    assert "HW-7K3M-Q9TX" in email.subject
    assert "Ковальчук Олександр Андрійович" in email.text
    assert "asthma" in email.text

    withheld = case_for(consent={"share_with_coalition": False})
    email = render_email(Alert.for_new_case(withheld), withheld, "uk")
    assert "HW-7K3M-Q9TX" in email.text
    for detail in ("Ковальчук", "Олександр", "asthma", "Олешки", "recreation camp"):
        assert detail not in email.text


def test_the_reporters_contact_details_are_never_in_an_alert():
    case = case_for()
    email = render_email(Alert.for_new_case(case), case, "en")
    assert "iryna@example.org" not in email.text
    assert "+380501234567" not in email.text
    assert "Ірина" not in email.text
