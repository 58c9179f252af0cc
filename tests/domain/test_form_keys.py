"""Form keys: issued by the server, checked without being stored, valid for a day."""

import datetime as dt
import re

import pytest

from chalicelib.domain import form_keys
from chalicelib.domain.attachments import SUBMISSION_KEY
from chalicelib.domain.form_keys import KeyState
from chalicelib.domain.references import REFERENCE_PATTERN

KEY = b"signing-key"
T0 = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def test_a_key_is_one_url_safe_word_that_names_upload_slots():
    key = form_keys.issue(KEY, T0)
    assert re.fullmatch(r"[A-Za-z0-9_-]{44}", key)
    assert SUBMISSION_KEY.match(key)
    assert form_keys.issue(KEY, T0) != key  # a new random part each time


def test_a_key_works_for_a_day_and_then_expires():
    key = form_keys.issue(KEY, T0)
    assert form_keys.check(KEY, key, T0) is KeyState.VALID
    almost = T0 + form_keys.LIFETIME - dt.timedelta(seconds=1)
    assert form_keys.check(KEY, key, almost) is KeyState.VALID
    assert form_keys.check(KEY, key, T0 + form_keys.LIFETIME) is KeyState.EXPIRED
    assert dt.timedelta(hours=24) <= form_keys.LIFETIME


def test_only_keys_this_server_signed_are_valid():
    key = form_keys.issue(KEY, T0)
    assert form_keys.check(b"another-deployment", key, T0) is KeyState.FORGED
    for position in (0, 3, 10, 30, 43):
        changed = key[:position] + ("A" if key[position] != "A" else "B") + key[position + 1 :]
        assert form_keys.check(KEY, changed, T0) is KeyState.FORGED, position


@pytest.mark.parametrize(
    "key", ["", "form-key-00000001", "x" * 44, "a" * 43, "a" * 45, "é" * 44, "=" * 44, None]
)
def test_garbage_is_forged(key):
    assert form_keys.check(KEY, key, T0) is KeyState.FORGED


def test_an_expiry_cannot_be_stretched():
    import base64

    key = form_keys.issue(KEY, T0)
    raw = bytearray(base64.urlsafe_b64decode(key))
    raw[1:5] = int((T0 + dt.timedelta(days=365)).timestamp()).to_bytes(4, "big")
    stretched = base64.urlsafe_b64encode(bytes(raw)).decode()
    assert form_keys.check(KEY, stretched, T0 + dt.timedelta(days=2)) is KeyState.FORGED


def test_a_forms_reference_follows_from_its_key():
    key = form_keys.issue(KEY, T0)
    first = form_keys.reference_for(KEY, key)
    assert re.match(REFERENCE_PATTERN, first)
    assert form_keys.reference_for(KEY, key) == first
    # Another attempt (the first reference was taken), another key, another deployment.
    others = {
        form_keys.reference_for(KEY, key, 1),
        form_keys.reference_for(KEY, form_keys.issue(KEY, T0)),
        form_keys.reference_for(b"another-deployment", key),
    }
    assert first not in others and len(others) == 3
