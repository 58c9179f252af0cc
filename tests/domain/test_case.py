import re

from chalicelib.domain.case import fingerprint, status_token, status_token_valid
from chalicelib.domain.references import REFERENCE_ALPHABET, new_reference


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
    assert len(token) >= 22


def test_fingerprint_ignores_key_order_but_not_values():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
