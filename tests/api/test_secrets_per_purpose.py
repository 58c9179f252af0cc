"""One secret per purpose (issue 23): a key that signs one kind of thing opens no other.

The attack that worked: one signing key sealed the console's cookies, signed the form's
keys, the acknowledgement links and the status codes, and the public function (and three
background ones) held it. Each purpose now has its own ring of keys (domain/keyring.py);
here each thing is forged with another purpose's key, as whoever took one function's
credentials would, and refused; and a rotated ring still opens what it signed yesterday.
"""

import base64
import dataclasses
import datetime as dt
import json
import secrets

import pytest
from api.test_form import field_value, reference_of, status_page, text, token_of
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from formdata import form_fields, form_key, post_form
from helpers import Console, post_report

from chalicelib import config, wiring
from chalicelib.domain import form_keys
from chalicelib.domain.acknowledgement import ack_token, read_ack_token
from chalicelib.domain.case import status_token
from chalicelib.domain.keyring import Keyring, Purpose, rotated
from chalicelib.web.console import session

DELIVERY = "report-received/south-ua-ombudsman/email"


def key_of(purpose: Purpose) -> bytes:
    return wiring.settings().keyring(purpose).signer


def other_keys(purpose: Purpose) -> list[bytes]:
    """Every other purpose's key, and the blind indexes' (the old signing key)."""
    others = [key_of(p) for p in Purpose if p is not purpose]
    return [*others, wiring.settings().signing_key]


def sealed_as_a_session(key: bytes, payload: dict) -> str:
    """A cookie sealed as the console seals one, under a key derived from `key`."""
    import hashlib
    import hmac

    derived = hmac.new(key, f"homeward console {session.SESSION}".encode(), hashlib.sha256)
    nonce = secrets.token_bytes(12)
    data = json.dumps(payload, separators=(",", ":")).encode()
    sealed = AESGCM(derived.digest()).encrypt(nonce, data, session.SESSION.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


@pytest.fixture
def reference(client, pump, report_body):
    """A Kherson report, dispatched: the south desk was sent an acknowledgement link."""
    found = post_report(client, report_body).json_body["reference"]
    pump.run_until_idle()
    return found


def test_every_purpose_has_a_key_of_its_own(client):
    keys = [key_of(p) for p in Purpose] + [wiring.settings().signing_key]
    assert len(set(keys)) == len(keys)


def test_a_cookie_sealed_with_another_purposes_key_is_no_session(client):
    desk = Console(client, "demo-taras-bondar")
    assert desk.get("/staff").status_code == 200
    genuine = session.read_session(desk.cookies[session.SESSION])
    coordinator = dataclasses.asdict(genuine) | {"role": "coordinator"}
    # The genuine key seals a session the console accepts (the forgery below is sound).
    accepted = sealed_as_a_session(key_of(Purpose.CONSOLE_SESSIONS), coordinator)
    opened = client.http.get("/staff", headers={"Cookie": f"{session.SESSION}={accepted}"})
    assert opened.status_code == 200
    for key in other_keys(Purpose.CONSOLE_SESSIONS):
        forged = sealed_as_a_session(key, coordinator)
        answer = client.http.get("/staff", headers={"Cookie": f"{session.SESSION}={forged}"})
        assert answer.status_code == 303 and "sign-in" in answer.headers["Location"]


def test_an_acknowledgement_link_signed_with_another_purposes_key_is_refused(client, reference):
    now = dt.datetime.now(dt.UTC)
    for key in other_keys(Purpose.ACK_LINKS):
        forged = ack_token(key, reference, DELIVERY, now)
        assert client.http.post(f"/ack/{forged}", body=b"").status_code == 404
    genuine = ack_token(key_of(Purpose.ACK_LINKS), reference, DELIVERY, now)
    assert client.http.post(f"/ack/{genuine}", body=b"").status_code == 200


def test_a_form_key_signed_with_another_purposes_key_files_nothing(client, aws):
    for number, key in enumerate(other_keys(Purpose.FORM_KEYS)):
        forged = form_key(f"forged-{number}", signing_key=key)
        answer = post_form(client, form_fields(submission_key=forged))
        assert answer.status_code == 400
        assert field_value(text(answer), "child-family_name") == "Ковальчук"
    assert post_form(client, form_fields()).status_code == 201


def test_a_status_code_made_with_another_purposes_key_opens_nothing(client, aws):
    receipt = text(post_form(client, form_fields()))
    reference, given = reference_of(receipt), token_of(receipt)
    assert status_page(client, reference, given) != status_page(client, reference, "wrong")
    not_found = status_page(client, reference, "wrong")
    for key in other_keys(Purpose.STATUS_CODES)[:-1]:
        assert status_page(client, reference, status_token(key, reference)) == not_found
    # The receipt's code is the status codes' own, not the old signing key's...
    old = status_token(wiring.settings().signing_key, reference)
    assert given != old
    # ...but a code handed out before the split (made with the signing key, kept by the
    # reporter for as long as the case lasts) still opens its page.
    assert status_page(client, reference, old) == status_page(client, reference, given)


def test_a_rotated_ring_signs_with_the_new_key_and_still_opens_yesterdays(monkeypatch):
    yesterday = "old-ack-key"
    env = {"HOMEWARD_STAGE": "local", "HOMEWARD_ACK_KEY": yesterday}
    before = config.load(env).keyring(Purpose.ACK_LINKS)
    now = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    link = ack_token(before.signer, "HW-2345-6789", DELIVERY, now)
    form = form_keys.issue(
        config.load({"HOMEWARD_STAGE": "local", "HOMEWARD_FORM_KEY": "old-form-key"})
        .keyring(Purpose.FORM_KEYS)
        .signer,
        now,
    )
    # The first step adds the new key: it checks, but the old one still signs (a
    # function that has not read the ring again could not check the new key's links).
    added = rotated(yesterday, new_key="new-ack-key")
    ring = config.load(env | {"HOMEWARD_ACK_KEY": added}).keyring(Purpose.ACK_LINKS)
    assert ring.signer == b"old-ack-key"
    assert read_ack_token(ring, ack_token(b"new-ack-key", "HW-2345-6789", DELIVERY, now), now)
    # The second, once every function has read it again, makes it sign.
    promoted = rotated(added)
    after = config.load(env | {"HOMEWARD_ACK_KEY": promoted}).keyring(Purpose.ACK_LINKS)
    assert after.signer == b"new-ack-key"
    assert read_ack_token(after, link, now).reference == "HW-2345-6789"
    assert ack_token(after.signer, "HW-2345-6789", DELIVERY, now) != link
    forms = Keyring.parse(rotated(rotated("old-form-key", new_key="new-form-key")))
    assert forms.signer == b"new-form-key"
    assert form_keys.check(forms, form, now) is form_keys.KeyState.VALID
    # The reference a retried form is filed under stays the one its first attempt used.
    assert form_keys.reference_for(forms, form) == form_keys.reference_for(b"old-form-key", form)
    # Past the kept keys, the oldest is gone.
    for key in ("third", "fourth"):
        promoted = rotated(rotated(promoted, new_key=key))
    assert promoted.split() == ["fourth", "third", "new-ack-key"]
    # Status codes' rings keep every key (a code is kept for as long as its case).
    assert len(rotated(rotated("a b c d"), keep=None).split()) == 5


def test_a_function_reads_its_ring_again_after_a_while(monkeypatch):
    import time

    from chalicelib.domain.keyring import KEYRING_SECONDS

    values = iter(["first", "first next:second"])
    settings = config.load({"HOMEWARD_STAGE": "local"}, read_secret=lambda _: next(values))
    settings = dataclasses.replace(
        settings, key_sources={**settings.key_sources, Purpose.ACK_LINKS: lambda: next(values)}
    )
    assert list(settings.keyring(Purpose.ACK_LINKS)) == [b"first"]
    assert list(settings.keyring(Purpose.ACK_LINKS)) == [b"first"]
    later = time.monotonic() + KEYRING_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert list(settings.keyring(Purpose.ACK_LINKS)) == [b"first", b"second"]


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_deployed_stage_reads_each_purpose_from_its_own_secret_only(purpose):
    read = []

    def read_secret(secret_id):
        read.append(secret_id)
        return f"value-of-{secret_id}"

    variable = config.KEY_VARIABLES[purpose]
    env = {
        "HOMEWARD_STAGE": "prod",
        "HOMEWARD_PUBLIC_URL": "https://homeward.example.org",
        "HOMEWARD_SIGNING_KEY_SECRET": "arn:signing",
        f"{variable}_SECRET": f"arn:{purpose.name}",
    }
    settings = config.load(env, read_secret=read_secret)
    assert settings.keyring(purpose).signer == f"value-of-arn:{purpose.name}".encode()
    assert read[0] == f"arn:{purpose.name}"
    # A function not given the purpose's secret has no key for it at all: it cannot
    # derive one from the signing key it may hold.
    without = config.load(
        {k: v for k, v in env.items() if k != f"{variable}_SECRET"}, read_secret=read_secret
    )
    with pytest.raises(RuntimeError, match=f"{variable}_SECRET"):
        without.keyring(purpose)
    assert without.signing_key == b"value-of-arn:signing"


def test_rotate_key_takes_two_steps_and_yesterdays_links_still_open(monkeypatch, capsys):
    import boto3
    from moto import mock_aws

    from chalicelib import cli

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        manager = boto3.client("secretsmanager")
        arn = manager.create_secret(Name="ack", SecretString="generated-by-the-stack")["ARN"]

        def ring() -> Keyring:
            env = {
                "HOMEWARD_STAGE": "prod",
                "HOMEWARD_PUBLIC_URL": "https://homeward.example.org",
                "HOMEWARD_SIGNING_KEY": "blind-index-key",
                "HOMEWARD_ACK_KEY_SECRET": arn,
            }
            read = config.load(
                env, read_secret=lambda i: manager.get_secret_value(SecretId=i)["SecretString"]
            )
            return read.keyring(Purpose.ACK_LINKS)

        now = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
        yesterdays = ack_token(ring().signer, "HW-2345-6789", DELIVERY, now)
        command = ["rotate-key", "ack-links", "--secret-id", arn]
        assert cli.main(command) == 0
        assert ring().signer == b"generated-by-the-stack"
        assert "run the same command again" in capsys.readouterr().out
        assert cli.main(command) == 0
        rotated_ring = ring()
        assert rotated_ring.signer != b"generated-by-the-stack"
        assert read_ack_token(rotated_ring, yesterdays, now).reference == "HW-2345-6789"
        out = capsys.readouterr().out
        assert "signs from now on" in out and rotated_ring.signer.decode() not in out
