import re

import pytest

from chalicelib.domain.case import fingerprint, status_token, status_token_valid
from chalicelib.domain.references import REFERENCE_ALPHABET, new_reference, normalised_reference


def test_references_are_short_readable_and_not_sequential():
    references = [new_reference() for _ in range(2000)]
    assert len(set(references)) == len(references)
    pattern = re.compile(rf"^HW-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")
    assert all(pattern.match(r) for r in references)
    # Nothing that reads like another character aloud.
    assert not set("01ILOU") & set("".join(references))
    assert sorted(references) != references


def test_status_token_is_bound_to_the_reference_and_the_key():
    token = status_token(b"key", "HW-AAAA-BBBB")
    assert status_token_valid(b"key", "HW-AAAA-BBBB", token)
    assert not status_token_valid(b"key", "HW-AAAA-BBBC", token)
    assert not status_token_valid(b"other", "HW-AAAA-BBBB", token)


def test_a_status_code_can_be_copied_by_hand():
    token = status_token(b"key", "HW-AAAA-BBBB")
    # 16 symbols of Crockford's base32 (80 bits) in four groups: no I, L, O or U.
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", token)
    assert len({status_token(str(i).encode(), "HW-AAAA-BBBB") for i in range(500)}) == 500


@pytest.mark.parametrize(
    "typed",
    [
        lambda t: t.lower(),
        lambda t: t[0].lower() + t[1:],  # a phone's automatic capital, the other way round
        lambda t: " ".join(t.split("-")),
        lambda t: t.replace("-", ""),
        lambda t: f"  {t.replace('-', ' - ')} ",
        lambda t: t.replace("0", "O").replace("1", "l"),
        # a Ukrainian keyboard: Cyrillic letters that look like the Latin ones
        lambda t: t.translate(str.maketrans("ABEKMHPCTX3", "АВЕКМНРСТХЗ")),
    ],
)
def test_a_status_code_is_accepted_however_it_is_typed(typed):
    for reference in ("HW-AAAA-BBBB", "HW-2345-6789", "HW-XKCD-MNPQ"):
        token = status_token(b"key", reference)
        assert status_token_valid(b"key", reference, typed(token)), typed(token)
    assert not status_token_valid(b"key", "HW-AAAA-BBBB", "токен")
    assert not status_token_valid(b"key", "HW-AAAA-BBBB", "")


def test_a_code_from_before_still_opens_its_status_page():
    import base64
    import hashlib
    import hmac

    mac = hmac.new(b"key", b"status:HW-AAAA-BBBB", hashlib.sha256).digest()
    assert status_token_valid(b"key", "HW-AAAA-BBBB", base64.urlsafe_b64encode(mac[:18]).decode())


@pytest.mark.parametrize(
    "typed", ["HW-7K3M-Q9TX", "hw-7k3m-q9tx", " hw 7k3m q9tx ", "7K3MQ9TX", "НW-7К3М-Q9ТХ"]
)
def test_a_reference_is_read_however_it_is_typed(typed):
    assert normalised_reference(typed) == "HW-7K3M-Q9TX"


def test_fingerprint_ignores_key_order_but_not_values():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
