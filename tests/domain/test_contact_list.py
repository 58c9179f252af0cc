import pytest

from chalicelib.domain.contacts import (
    ContactListError,
    read_contact_list,
    write_contact_list,
)
from infra.local.emulator import DEMO_CONTACTS

HEADER = "contact_id,organisation,agency,kind,member_state,name,email,phone,languages,channels\n"


def test_a_spreadsheet_export_is_read_with_lists_flags_and_a_byte_order_mark():
    text = (
        "\ufeffcontact_id,organisation,agency,kind,intake_desk,member_state,name,email,phone,"
        "languages,channels,coordinator,active\n"
        'kyiv-desk,"Desk, Kyiv",UA-NIB,national_authority,так,UA,Олена,olena@example.org,'
        "+380 44 123 4567,uk;en,email sms,так,\n"
        "\n"
        "ca-desk,GAC,CA-GAC,coalition_member,,CA,Jane,jane@example.org,,en,email,no,no\n"
    )
    contacts, errors = read_contact_list(text)
    assert errors == []
    kyiv, canada = contacts
    assert kyiv.languages == ["uk", "en"] and kyiv.channels == ["email", "sms"]
    assert kyiv.phone == "+380441234567" and kyiv.coordinator and kyiv.active
    assert kyiv.kind == "national_authority" and kyiv.intake_desk
    assert canada.phone is None and not canada.active and not canada.intake_desk


def test_every_bad_row_is_reported_by_line_and_field_and_good_rows_are_kept():
    text = HEADER + (
        "good-one,Org,UA-NIB,ngo,UA,A,a@example.org,+380501112233,uk,email sms\n"
        "bad-phone,Org,UA-NIB,ngo,UA,B,b@example.org,0501112233,uk,sms\n"
        "bad-mail,Org,UA-NIB,ngo,UA,C,not-an-address,,uk,email\n"
        "no-phone,Org,UA-NIB,ngo,UA,D,d@example.org,,uk,sms\n"
        "good-one,Org,UA-NIB,ngo,UA,E,e@example.org,,uk,email\n"
        "Bad Id,Org,UA-NIB,ngo,UA,F,f@example.org,,uk,email\n"
    )
    contacts, errors = read_contact_list(text)
    assert [c.contact_id for c in contacts] == ["good-one"]
    by_line = {e.line: e for e in errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert by_line[3].field == "phone" and "E.164" in by_line[3].message
    assert by_line[4].field == "email"
    assert "SMS channel needs a phone" in by_line[5].message
    assert "already given on line 2" in by_line[6].message
    assert by_line[7].field == "contact_id"
    assert str(by_line[3]).startswith("line 3 (bad-phone): phone:")


def test_a_file_with_wrong_columns_is_refused_as_a_whole():
    with pytest.raises(ContactListError, match=r"unknown column.*mobile.*missing column.*name"):
        read_contact_list("contact_id,organisation,agency,kind,member_state,mobile\n")
    with pytest.raises(ContactListError, match="empty"):
        read_contact_list("")


def test_a_written_list_reads_back_the_same():
    contacts, _ = read_contact_list(DEMO_CONTACTS.read_text())
    again, errors = read_contact_list(write_contact_list(contacts))
    assert errors == [] and again == contacts


def test_a_value_of_the_wrong_form_is_explained_in_words_not_as_a_pattern():
    from chalicelib.domain.contacts import CSV_COLUMNS, read_contact_list

    header = ",".join(CSV_COLUMNS)
    row = (
        "South Desk,Org,ua nib,national_authority,no,Ukraine,Name,a@example.org,,uk,email,no,no,yes"
    )
    _, errors = read_contact_list(f"{header}\n{row}\n")
    said = {e.field: e.message for e in errors}
    assert set(said) == {"contact_id", "agency", "member_state"}
    assert "e.g. south-ua-ombudsman" in said["contact_id"]
    assert "e.g. UA-NIB" in said["agency"] and "e.g. UA" in said["member_state"]
    assert not any(c in "".join(said.values()) for c in "^$[]{}\\")


def test_a_service_provider_lists_its_services_and_oblasts_and_nobody_else_may():
    from chalicelib.domain.contacts import read_contact_list

    header = "contact_id,organisation,agency,kind,member_state,name,email,languages,channels,"
    header += "services,oblasts\n"
    rows = (
        "clinic,Clinic,UA-CLINIC,service_provider,UA,Reception,r@c.example.org,uk,email,"
        "health;psychosocial,UA-30 UA-32\n"
        "desk,Desk,UA-NIB,national_authority,UA,Desk,d@n.example.org,uk,email,health,\n"
        "odd,Odd,UA-ODD,service_provider,UA,Odd,o@o.example.org,uk,email,astrology,UA-99\n"
    )
    (clinic,), errors = read_contact_list(header + rows)
    assert clinic.services == ["health", "psychosocial"] and clinic.oblasts == ["UA-30", "UA-32"]
    assert clinic.serves("health", "UA-30") and not clinic.serves("health", "UA-65")
    assert not clinic.serves("legal", "UA-30")
    assert (errors[0].line, errors[0].field) == (3, None)
    assert "only a service provider" in str(errors[0])
    # A service or an oblast the coalition does not know is an error in words, per column.
    assert [(e.line, e.field) for e in errors[1:]] == [(4, "services"), (4, "oblasts")]
    assert "psychosocial" in errors[1].message and "UA-65" in errors[2].message
