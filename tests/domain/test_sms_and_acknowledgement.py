import datetime as dt

import pytest

from chalicelib.domain.acknowledgement import (
    InvalidAcknowledgement,
    ack_token,
    delivery_hash,
    read_ack_token,
)
from chalicelib.domain.sms import is_gsm7, segments

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def test_latin_text_is_gsm7_and_cyrillic_is_ucs2():
    assert is_gsm7("URGENT Homeward HW-7K3M-Q9TX: deported, UA-65.")
    assert not is_gsm7("Homeward: депортація")
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("д" * 70) == 1 and segments("д" * 71) == 2 and segments("д" * 135) == 3
    # GSM-7's extension characters take two septets.
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2


def test_a_token_names_its_delivery_and_nothing_else():
    token = ack_token(b"key", "HW-7K3M-Q9TX", "report-received/coord/sms", NOW)
    assert len(token) <= 40 and "coord" not in token
    claim = read_ack_token(b"key", token, NOW + dt.timedelta(days=6))
    assert claim.reference == "HW-7K3M-Q9TX"
    assert claim.delivery_hash == delivery_hash("report-received/coord/sms")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
        lambda t: "8" + t[1:] if t[0] != "8" else "9" + t[1:],  # reference
        lambda t: "",
        lambda t: t + "x",
    ],
)
def test_forged_tokens_are_refused(tamper):
    token = ack_token(b"key", "HW-7K3M-Q9TX", "report-received/coord/sms", NOW)
    with pytest.raises(InvalidAcknowledgement):
        read_ack_token(b"key", tamper(token), NOW)


def test_expired_or_foreign_tokens_are_refused():
    token = ack_token(b"key", "HW-7K3M-Q9TX", "report-received/coord/sms", NOW)
    with pytest.raises(InvalidAcknowledgement):
        read_ack_token(b"key", token, NOW + dt.timedelta(days=8))
    with pytest.raises(InvalidAcknowledgement):
        read_ack_token(b"another key", token, NOW)


def test_a_reply_is_its_code_alone():
    from chalicelib.domain.acknowledgement import new_reply_code, reply_code_in

    for text in ("04821", " 04821 ", "04821.", "\n04821\n"):
        assert reply_code_in(text) == "04821"
    for text in ("", "ok", "0482", "048211", "ok 04821", "04821 ok", "٠٤٨٢١", "STOP"):
        assert reply_code_in(text) is None
    codes = {new_reply_code() for _ in range(200)}
    assert all(len(c) == 5 and c.isascii() and c.isdigit() for c in codes) and len(codes) > 150
