"""Webhooks: where they may go, what they say, how they are signed and how often tried."""

import datetime as dt
import itertools
import json

import pytest

from chalicelib.domain.partners import sign_webhook, verify_webhook, webhook_secret
from chalicelib.domain.webhooks import (
    BACKOFF_CAP_SECONDS,
    MAX_ATTEMPTS,
    UnsafeWebhookTarget,
    WebhookEvent,
    backoff_seconds,
    check_address,
    check_target,
)

EVENT = WebhookEvent(
    "ngo-one", "HW-2222-2222.2", "HW-2222-2222", "CASE-17", "in_review", dt.datetime(2026, 1, 2)
)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.ngo.example/homeward",
        "https://hooks.ngo.example:8443/in?source=homeward",
        "https://93.184.216.34/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
    ],
)
def test_a_public_https_address_is_a_webhook_target(url):
    assert check_target(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.ngo.example/homeward",  # not https
        "ftp://hooks.ngo.example/",
        "https://localhost/hook",
        "https://db.internal/hook",
        "https://printer.local/hook",
        "https://intranet/hook",  # a bare name resolves inside a network
        "https://127.0.0.1/hook",
        "https://127.1/hook",
        "https://10.0.0.8/hook",
        "https://172.16.3.4/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",  # the instance metadata service
        "https://100.64.0.1/hook",  # shared address space
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",  # an IPv4-mapped private address
        "https://user:secret@hooks.ngo.example/hook",
        "https://hooks.ngo.example:99999/hook",
        "https://hooks.ngo.example/#fragment",
        "https:///nohost",
    ],
)
def test_anything_else_is_refused(url):
    with pytest.raises(UnsafeWebhookTarget):
        check_target(url)


def test_resolved_addresses_are_checked_the_same_way():
    check_address("93.184.216.34")
    for address in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fe80::1%eth0", "224.0.0.1"):
        with pytest.raises(UnsafeWebhookTarget):
            check_address(address)


def test_the_body_says_only_what_the_partner_filed_and_the_coarse_stage():
    body = json.loads(EVENT.body())
    assert body == {
        "event": "report.stage_changed",
        "id": "HW-2222-2222.2",
        "reference": "HW-2222-2222",
        "external_id": "CASE-17",
        "stage": "in_review",
        "occurred_at": "2026-01-02T00:00:00+00:00",
    }
    # The same bytes on every attempt: what was signed is what is sent.
    assert EVENT.body() == EVENT.body()


def test_a_signature_verifies_for_its_body_and_time_only():
    secret = webhook_secret(b"k" * 32, "ngo-one")
    body = EVENT.body()
    header = sign_webhook(secret, 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify_webhook(secret, header, body, now=1_700_000_100)
    assert not verify_webhook(secret, header, body + b" ", now=1_700_000_100)
    assert not verify_webhook(secret, header, body, now=1_700_000_000 + 301)  # replayed later
    other = webhook_secret(b"k" * 32, "ngo-two")
    assert not verify_webhook(other, header, body, now=1_700_000_100)
    assert not verify_webhook(secret, "t=x,v1=00", body, now=1_700_000_100)


def test_backoff_doubles_with_jitter_and_is_capped():
    waits = [backoff_seconds(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:3] == [30, 60, 120]
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert max(waits) <= BACKOFF_CAP_SECONDS
    assert backoff_seconds(3, jitter=0.8) == 96
    # Every try fits in SQS's longest visibility timeout (12 hours).
    assert backoff_seconds(50, jitter=1.2) <= 12 * 3600


def test_the_readmes_verification_snippet_accepts_ours_and_refuses_a_forgery():
    import re
    import time
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (snippet,) = re.findall(r"```python\n(import hashlib, hmac, time\n.*?)```", readme, re.S)
    scope = {}
    exec(snippet, scope)  # our own README's code
    secret = webhook_secret(b"k" * 32, "ngo-one")
    body = EVENT.body()
    header = sign_webhook(secret, int(time.time()), body)
    assert scope["verify"](secret.hex(), header, body)
    assert not scope["verify"](secret.hex(), header, body.replace(b"in_review", b"closed"))
    assert not scope["verify"](secret.hex(), sign_webhook(secret, 1_000, body), body)
    # While a secret is rotated, both the old and the new verify the one webhook.
    new = webhook_secret(b"k" * 32, "ngo-one", 1)
    both = sign_webhook([new, secret], int(time.time()), body)
    assert scope["verify"](secret.hex(), both, body)
    assert scope["verify"](new.hex(), both, body)
    assert not scope["verify"](webhook_secret(b"k" * 32, "ngo-two").hex(), both, body)


@pytest.mark.parametrize(
    "address",
    [
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254: the attack that passed
        "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata service
        "64:ff9b:1::7f00:1",  # NAT64, local-use prefix
        "::ffff:169.254.169.254",  # IPv4-mapped
        "::7f00:1",  # IPv4-compatible
        "::ffff:0:a9fe:a9fe",  # SIIT IPv4-translated
    ],
)
def test_every_ipv6_range_that_carries_an_ipv4_address_is_refused(address):
    with pytest.raises(UnsafeWebhookTarget):
        check_address(address)
    with pytest.raises(UnsafeWebhookTarget):
        check_target(f"https://[{address}]/hook")
