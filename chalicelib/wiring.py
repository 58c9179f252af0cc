"""The one place that builds AWS clients and adapters, each on first use.

Nothing is created at import time: moto must be active before the first client exists,
and a Lambda should only pay for the clients its handler really uses.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from chalicelib import config


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Standard retry mode backs off on throttling and transient errors by itself.
    return boto3.session.Session().client(
        service, config=Config(retries={"mode": "standard", "max_attempts": 4})
    )


@lru_cache(maxsize=1)
def repository():
    from chalicelib.adapters.dynamo import Repository

    return Repository(client("dynamodb"), config.settings().table_name)


@lru_cache(maxsize=1)
def delivery_queue():
    from chalicelib.adapters.queue import DeliveryQueue

    return DeliveryQueue(client("sqs"), config.settings().delivery_queue_url)


@lru_cache(maxsize=1)
def email_channel():
    from chalicelib.adapters.channels import EmailChannel

    settings = config.settings()
    ses = client("ses")
    if settings.is_local:
        # The emulated SES keeps only one part of a text-and-HTML e-mail; /dev/outbox
        # shows both, as they were sent.
        from chalicelib.web.dev import keep_email_parts

        keep_email_parts(ses)
    return EmailChannel(ses, settings.alert_sender)


@lru_cache(maxsize=1)
def sms_channel():
    from chalicelib.adapters.channels import SmsChannel

    return SmsChannel(client("sns"))


@lru_cache(maxsize=1)
def directory_store():
    from chalicelib.adapters.directory import DirectoryStore

    return DirectoryStore(client("dynamodb"), config.settings().table_name)


@lru_cache(maxsize=1)
def directory():
    """The contacts and routing rules as alerting reads them: cached for a short while."""
    from chalicelib.services.directory import DirectoryCache

    return DirectoryCache(directory_store(), config.settings().directory_cache_seconds)


@lru_cache(maxsize=1)
def caseload():
    from chalicelib.adapters.caseload import Caseload

    settings = config.settings()
    return Caseload(
        client("dynamodb"), settings.table_name, settings.audit_table_name, settings.signing_key
    )


@lru_cache(maxsize=1)
def matchbook():
    from chalicelib.adapters.matchbook import Matchbook

    return Matchbook(client("dynamodb"), config.settings().table_name)


@lru_cache(maxsize=1)
def token_verifier():
    from chalicelib.adapters.tokens import TokenSettings, TokenVerifier

    settings = config.settings()
    jwks_url = None if settings.is_local else f"{settings.token_issuer}/.well-known/jwks.json"
    return TokenVerifier(
        TokenSettings(
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            jwks_url=jwks_url,
            dev_key_file=settings.dev_key_file,
        )
    )


def ack_link(reference: str, delivery_id: str, now) -> str:
    """The acknowledgement link a delivery carries (chalicelib/domain/acknowledgement.py)."""
    from chalicelib.domain.acknowledgement import ack_token

    settings = config.settings()
    token = ack_token(settings.signing_key, reference, delivery_id, now)
    return f"{settings.public_url}/ack/{token}"


def reset() -> None:
    """Forget every client and adapter (after the environment or the emulator changed)."""
    config.reset()
    for built in (
        client,
        repository,
        delivery_queue,
        email_channel,
        sms_channel,
        directory_store,
        directory,
        caseload,
        matchbook,
        token_verifier,
    ):
        built.cache_clear()
