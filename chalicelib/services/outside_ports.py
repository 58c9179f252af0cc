"""What the services need from the outside world, as protocols: the queues, the e-mail
and SMS senders, a partner's endpoint, metrics, and the uploads bucket.

Beside services/ports.py (the stores); their fakes are in tests/fakes.py, and
tests/adapters runs the same contract tests on the fakes and the real backends
(tests/adapters/test_port_coverage.py reads every *ports.py module of services).
"""

from __future__ import annotations

from typing import Protocol


class DeliveryQueue(Protocol):
    def enqueue(self, deliveries: list[tuple[str, str]]) -> None: ...


class WebhookQueue(Protocol):
    def enqueue(self, events: list[tuple[str, str]]) -> None:
        """Queue (client id, event id) pairs."""
        ...


class WebhookPoster(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST to a partner's endpoint; its status code, or WebhookSendError."""
        ...


class EmailSender(Protocol):
    def send(
        self,
        to: str,
        subject: str,
        text: str,
        *,
        html: str | None = None,
        about: tuple[str, str] | None = None,
    ) -> str:
        """`about` (reference, delivery id): which delivery a bounce will be about."""
        ...


class SmsSender(Protocol):
    def send(self, to: str, text: str) -> str: ...


class Metrics(Protocol):
    """Counts and timings of what happened, flushed once per invocation (adapters/metrics.py).
    Names and the channel only: never anything about a person or a case."""

    def add(
        self, name: str, value: float = 1, *, unit: str = "Count", channel: str | None = None
    ) -> None: ...


class NoMetrics:
    """Where nobody counts (tests of other things, the command line)."""

    def add(
        self, name: str, value: float = 1, *, unit: str = "Count", channel: str | None = None
    ) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()


class StoredFile(Protocol):
    size: int
    content_type: str
    sha256: str
    head: bytes
    # The version that was measured and read (None in a bucket without versioning).
    version_id: str | None


class FileStore(Protocol):
    """The private uploads bucket (adapters/files.py)."""

    def presigned_upload(self, key: str, content_type: str, max_bytes: int) -> dict: ...
    def inspect(self, key: str, max_bytes: int, head_bytes: int) -> StoredFile | None: ...
    def read(self, key: str, version_id: str | None) -> bytes: ...
    def put(self, key: str, data: bytes, content_type: str) -> str | None:
        """Write a file the server itself received (the form without JavaScript); its
        version."""
        ...

    def put_once(self, target: str, data: bytes, content_type: str) -> str | None: ...
    def copy_once(self, key: str, version_id: str | None, target: str) -> str | None:
        """Copy one version to `target` unless something is there already; either way,
        the version now at `target`."""
        ...

    def versions(self, prefix: str) -> list[tuple[str, str | None]]: ...
    def delete(self, key: str, version_id: str | None) -> None:
        """Delete one version for good (the object, in a bucket without versioning)."""
        ...

    def upload_origin(self) -> str: ...
    def download_link(
        self,
        key: str,
        version_id: str | None,
        seconds: int,
        content_type: str,
        *,
        download: bool = False,
    ) -> str: ...

    def put_export(self, key: str, data: bytes, content_type: str, filename: str) -> None:
        """Write a staff export (under `exports/`, kept a day: infra/template.yaml)."""
        ...

    def export_link(self, key: str, seconds: int) -> str:
        """A presigned GET of one object, valid `seconds`."""
        ...
