"""Webhooks out: their queue (SQS) and the HTTPS post to a partner's endpoint.

The post resolves the host, refuses it unless every address it resolves to is a global
one (domain/webhooks.py), and connects to the address it checked (with the host's name
for TLS and in the Host header), so a name that resolves to something else a moment later
(DNS rebinding) still cannot make Homeward reach inside a network. Redirects are not
followed; the response body is not read beyond a little; it all takes at most
TIMEOUT_SECONDS per connection step, and the whole post at most TIMEOUT_SECONDS again
after connecting: an endpoint that answers a byte at a time cannot hold the sender.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.webhooks import (
    TIMEOUT_SECONDS,
    UnsafeWebhookTarget,
    WebhookSendError,
    check_address,
    check_target,
)


class WebhookQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def enqueue(self, events: list[tuple[str, str]]) -> None:
        for start in range(0, len(events), 10):
            chunk = events[start : start + 10]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "MessageBody": json.dumps({"partner": c, "event": e})}
                    for i, (c, e) in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                raise WebhookSendError("not queued")

    def retry_later(self, receipt_handle: str, seconds: int) -> None:
        self._client.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )


def parse_message(body: str) -> tuple[str, str]:
    message = json.loads(body)
    return message["partner"], message["event"]


Resolver = Callable[[str, int], list[str]]
Connector = Callable[[tuple[str, int], float], socket.socket]


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise WebhookSendError("dns") from None
    return sorted({info[4][0] for info in infos})


class _PinnedConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address, verified against the URL's host name."""

    def __init__(self, host, port, address, timeout, connector, context) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._connector = connector

    def connect(self) -> None:
        sock = self._connector((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class HttpsPoster:
    def __init__(
        self,
        *,
        resolver: Resolver = resolve,
        connector: Connector = socket.create_connection,
        timeout: float = TIMEOUT_SECONDS,
        context: Any = None,
        deadline: float = TIMEOUT_SECONDS,
    ) -> None:
        self._resolve = resolver
        self._connect = connector
        self._timeout = timeout
        self._deadline = deadline
        self._context = context or ssl.create_default_context()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(check_target(url))
        host, port = parts.hostname or "", parts.port or 443
        addresses = self._resolve(host, port)
        if not addresses:
            raise WebhookSendError("dns")
        for address in addresses:
            check_address(address)  # UnsafeWebhookTarget: not retried
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _PinnedConnection(
            host, port, addresses[0], self._timeout, self._connect, self._context
        )
        # The per-step timeout restarts with every byte; this cuts the connection when
        # the post as a whole has taken too long.
        cut = threading.Event()

        def cut_off() -> None:
            cut.set()
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self._timeout + self._deadline, cut_off)
        timer.daemon = True
        timer.start()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(1024)
            if cut.is_set():
                raise TimeoutError()
            return response.status
        except UnsafeWebhookTarget:
            raise
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set() or isinstance(exc, TimeoutError):
                raise WebhookSendError("timeout") from None
            if isinstance(exc, ssl.SSLError):
                raise WebhookSendError("tls") from None
            raise WebhookSendError("connection") from None
        finally:
            timer.cancel()
            connection.close()
