"""The webhook post: a name that resolves inside a network is never connected to, and the
connection goes to the address that was checked, within the timeout."""

import pytest

from chalicelib.adapters.webhooks import HttpsPoster
from chalicelib.domain.webhooks import TIMEOUT_SECONDS, UnsafeWebhookTarget, WebhookSendError


class Connector:
    def __init__(self, error=None):
        self.calls = []
        self.error = error or ConnectionRefusedError()

    def __call__(self, address, timeout):
        self.calls.append((address, timeout))
        raise self.error


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.0.0.5"], ["169.254.169.254"], ["93.184.216.34", "192.168.0.2"], ["::1"]],
)
def test_a_name_resolving_to_any_private_address_is_refused_before_connecting(addresses):
    connector = Connector()
    poster = HttpsPoster(resolver=lambda host, port: addresses, connector=connector)
    with pytest.raises(UnsafeWebhookTarget):
        poster.post("https://hooks.ngo.example/in", b"{}", {})
    assert connector.calls == []


def test_the_checked_address_is_the_one_connected_to_within_the_timeout():
    connector = Connector()
    poster = HttpsPoster(resolver=lambda host, port: ["93.184.216.34"], connector=connector)
    with pytest.raises(WebhookSendError) as failed:
        poster.post("https://hooks.ngo.example:8443/in", b"{}", {})
    assert failed.value.kind == "connection"
    assert connector.calls == [(("93.184.216.34", 8443), TIMEOUT_SECONDS)]


def test_a_timeout_is_said_as_such():
    connector = Connector(TimeoutError("timed out"))
    poster = HttpsPoster(resolver=lambda host, port: ["93.184.216.34"], connector=connector)
    with pytest.raises(WebhookSendError) as failed:
        poster.post("https://hooks.ngo.example/in", b"{}", {})
    assert failed.value.kind == "timeout"


def test_plain_http_is_refused_without_resolving():
    def resolver(host, port):
        raise AssertionError("resolved")

    with pytest.raises(UnsafeWebhookTarget):
        HttpsPoster(resolver=resolver).post("http://hooks.ngo.example/in", b"{}", {})


class _Plain:
    """A TLS context that leaves the socket as it is (the test endpoint speaks plain)."""

    verify_mode = None
    check_hostname = False
    post_handshake_auth = None

    def wrap_socket(self, sock, server_hostname):
        return sock


def test_a_slow_drip_endpoint_cannot_hold_the_sender_past_the_deadline():
    """The attack: an endpoint that answered a byte every few seconds held the sender
    32 s despite the 5 s limit (each byte restarted the timeout)."""
    import socket
    import threading
    import time

    ours, theirs = socket.socketpair()

    def drip():
        theirs.recv(65536)
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
                theirs.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            pass

    threading.Thread(target=drip, daemon=True).start()
    poster = HttpsPoster(
        resolver=lambda host, port: ["93.184.216.34"],
        connector=lambda address, timeout: ours,
        context=_Plain(),
        timeout=1,
        deadline=1,
    )
    started = time.monotonic()
    with pytest.raises(WebhookSendError) as failed:
        poster.post("https://hooks.ngo.example/in", b"{}", {})
    assert failed.value.kind == "timeout"
    assert time.monotonic() - started < 4
    theirs.close()
