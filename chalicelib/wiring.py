"""The composition root: the one place that builds AWS clients, stores and channels.

Nothing is created at import time: moto must be active before the first client exists,
and a Lambda should only pay for the clients its handler really uses. Entry points (web
routes, event handlers, the command line) ask here; services are handed what they need.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from chalicelib import config

# Hooks run on every new client (the local runner records what the emulated SES was
# sent); and the local outbox reader. Both are set by infra/local, never in AWS.
client_hooks: list[Callable[[str, Any], None]] = []
local_outbox: Callable[[], list[dict]] | None = None
# The demo staff the local console offers at its sign-in (infra/demo/staff.csv), set by
# infra/local as well; in AWS there are none, and that sign-in page does not exist.
local_staff: list[dict[str, str]] | None = None


@cache
def _session() -> Any:
    """One session for every client: each service's model is read from disk once."""
    import boto3

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    from botocore.config import Config

    # Standard retry mode backs off on throttling and transient errors by itself.
    built = _session().client(
        service, config=Config(retries={"mode": "standard", "max_attempts": 4})
    )
    for hook in client_hooks:
        hook(service, built)
    return built


@cache
def settings() -> config.Settings:
    def read_secret(secret_id: str) -> str:
        # A deployed stage's signing key, read once per Lambda container.
        return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]

    return config.load(read_secret=read_secret)


@cache
def stores():
    from chalicelib.adapters.sealing import FieldSealer

    current = settings()
    return dynamo_stores(
        client("dynamodb"),
        table=current.table_name,
        audit_table=current.audit_table_name,
        cursor_key=lambda: current.cursor_key,
        sealer=FieldSealer(client("kms"), current.fields_key),
    )


def dynamo_stores(
    client: Any, *, table: str, audit_table: str, cursor_key: Any, sealer: Any = None
):
    """Every store on the two tables, as the services' ports (services/ports.py) name them.

    Without a sealer the stores can read the directory and lists, but not open or write a
    case's sealed fields (the command line's bootstrap and deploy checks need no more)."""
    from chalicelib.adapters.dynamo.aftercare import AftercareStore
    from chalicelib.adapters.dynamo.alerts import Alerts
    from chalicelib.adapters.dynamo.audit import AuditLog
    from chalicelib.adapters.dynamo.case_index import CaseIndex
    from chalicelib.adapters.dynamo.cases import CaseFiles
    from chalicelib.adapters.dynamo.deliveries import Deliveries
    from chalicelib.adapters.dynamo.directory import DirectoryStore
    from chalicelib.adapters.dynamo.evidence import CustodyStore
    from chalicelib.adapters.dynamo.guards import IntakeGuards
    from chalicelib.adapters.dynamo.history import CaseHistory
    from chalicelib.adapters.dynamo.lifecycle import CaseLifecycle
    from chalicelib.adapters.dynamo.mandates import Mandates
    from chalicelib.adapters.dynamo.matching import CandidatePairs, MatchIndex
    from chalicelib.adapters.dynamo.partners import PartnerStore
    from chalicelib.adapters.dynamo.people import ReporterIndex
    from chalicelib.adapters.dynamo.search import SearchIndex, StaffDirectory
    from chalicelib.adapters.dynamo.statistics import Statistics
    from chalicelib.adapters.dynamo.unit_of_work import DynamoUnitOfWork
    from chalicelib.adapters.dynamo.webhooks import WebhookStore
    from chalicelib.services.ports import Stores

    return Stores(
        unit_of_work=lambda: DynamoUnitOfWork(client),
        cases=CaseFiles(client, table, sealer),
        case_index=CaseIndex(client, table, cursor_key),
        mandates=Mandates(client, table),
        alerts=Alerts(client, table),
        deliveries=Deliveries(client, table),
        guards=IntakeGuards(client, table),
        statistics=Statistics(client, table),
        match_index=MatchIndex(client, table),
        pairs=CandidatePairs(client, table),
        audit=AuditLog(client, audit_table),
        directory=DirectoryStore(client, table),
        search=SearchIndex(client, table),
        staff=StaffDirectory(client, table),
        history=CaseHistory(client, table),
        partners=PartnerStore(client, table),
        webhooks=WebhookStore(client, table),
        reporters=ReporterIndex(client, table),
        lifecycle=CaseLifecycle(client, table),
        aftercare=AftercareStore(client, table),
        evidence=CustodyStore(client, table, sealer),
    )


@cache
def conversations():
    """Conversations taking a report (the Telegram bot's, the hotline's), sealed at rest."""
    from chalicelib.adapters.dynamo.conversations import ConversationStore
    from chalicelib.adapters.sealing import FieldSealer

    current = settings()
    return ConversationStore(
        client("dynamodb"), current.table_name, FieldSealer(client("kms"), current.fields_key)
    )


@cache
def telegram_settings() -> config.TelegramSettings:
    def read_secret(secret_id: str) -> str:
        return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]

    return config.load_telegram(read_secret=read_secret)


@cache
def telegram_bot():
    from chalicelib.adapters.telegram import TelegramBot

    current = telegram_settings()
    return TelegramBot(current.api_url, current.bot_token)


@cache
def telegram_queue():
    from chalicelib.adapters.telegram import TelegramQueue

    return TelegramQueue(client("sqs"), telegram_settings().queue_url)


@cache
def delivery_queue():
    from chalicelib.adapters.queue import DeliveryQueue

    return DeliveryQueue(client("sqs"), settings().delivery_queue_url)


@cache
def webhook_queue():
    from chalicelib.adapters.webhooks import WebhookQueue

    return WebhookQueue(client("sqs"), settings().webhook_queue_url)


@cache
def webhook_poster():
    from chalicelib.adapters.webhooks import HttpsPoster

    return HttpsPoster()


@cache
def channels():
    from chalicelib.adapters.channels import EmailChannel, SmsChannel
    from chalicelib.services.delivery import Channels

    current = settings()
    return Channels(
        email=EmailChannel(client("ses"), current.alert_sender, current.ses_configuration_set),
        sms=SmsChannel(client("sns"), current.sms_max_price, current.sms_reply_number),
        ack_link=ack_link,
        sms_one_part=current.sms_one_part,
        sms_replies=current.sms_replies,
    )


@cache
def metrics():
    """This container's metrics, written as EMF lines when an invocation ends (app.py)."""
    from chalicelib.adapters.metrics import EmfMetrics

    return EmfMetrics(settings().stage)


@cache
def directory():
    """The contacts and routing rules as alerting reads them: cached for a short while."""
    from chalicelib.services.directory import DirectoryCache

    return DirectoryCache(stores().directory, settings().directory_cache_seconds)


@cache
def token_verifier():
    from chalicelib.adapters.tokens import TokenSettings, TokenVerifier

    current = settings()
    jwks_url = None if current.is_local else f"{current.token_issuer}/.well-known/jwks.json"
    return TokenVerifier(
        TokenSettings(
            issuer=current.token_issuer,
            audience=current.token_audience,
            jwks_url=jwks_url,
            dev_key_file=current.dev_key_file,
        )
    )


@cache
def file_store():
    """The uploads bucket, or None where none is configured (uploads are then off)."""
    from chalicelib.adapters.files import FileStore

    bucket = settings().uploads_bucket
    return FileStore(client("s3"), bucket) if bucket else None


@cache
def evidence_files():
    """The evidence bucket (Object Lock), or None where none is configured."""
    from chalicelib.adapters.evidence_files import EvidenceFiles

    bucket = settings().evidence_bucket
    return EvidenceFiles(client("s3"), bucket) if bucket else None


# The local Time-Stamp Authority (infra/local/tsa.py), set by infra/local; never in AWS.
local_tsa: Any = None


@cache
def time_stamper():
    """Stamps a message with the stage's TSA (verified before it is kept), or None where
    no TSA is configured (the daily anchor then says so in the log)."""
    from chalicelib.adapters import timestamps

    current = settings()
    if current.tsa_url and current.tsa_certificate:
        authority = timestamps.HttpTimeStampAuthority(
            current.tsa_url, current.tsa_certificate.encode()
        )
    elif local_tsa is not None:
        authority = local_tsa
    else:
        return None
    return lambda message: timestamps.stamp(authority, message)


@cache
def staff_names():
    """Everyone's names, as the console shows them: cached like the directory."""
    from chalicelib.services.colleagues import StaffCache

    return StaffCache(stores().staff, settings().directory_cache_seconds)


@cache
def sign_in():
    """The stage's managed login (Cognito's token endpoint); None in a local run."""
    from chalicelib.adapters.signin import CognitoSignIn, Endpoints

    current = settings()
    if not current.sign_in_url:
        return None
    return CognitoSignIn(Endpoints(current.sign_in_url, current.token_audience))


def local_staff_token(person: dict[str, str]) -> str:
    """A demo staff member's ID token, signed with the local development key: only a
    local run has one (the token verifier refuses such tokens everywhere else)."""
    from chalicelib.adapters.tokens import mint_dev_token

    current = settings()
    if not current.is_local or current.dev_key_file is None:
        raise RuntimeError("demo staff sign in to local runs only")
    return mint_dev_token(
        current.dev_key_file,
        role=person["role"],
        agency=person["agency"],
        subject=person["subject"],
        name=person.get("name") or None,
        email=person.get("email") or None,
        evidence=person.get("evidence") == "yes",
        issuer=current.token_issuer,
        audience=current.token_audience,
    )


def ack_link(reference: str, delivery_id: str, now) -> str:
    """The acknowledgement link a delivery carries (chalicelib/domain/acknowledgement.py)."""
    from chalicelib.domain.acknowledgement import ack_token
    from chalicelib.domain.keyring import Purpose

    current = settings()
    token = ack_token(current.keyring(Purpose.ACK_LINKS).signer, reference, delivery_id, now)
    return f"{current.public_url}/ack/{token}"


def reset() -> None:
    """Forget every client and store (after the environment or the emulator changed)."""
    # The session stays: it holds only the services' models, read once per process.
    for built in (
        client,
        settings,
        stores,
        conversations,
        telegram_settings,
        telegram_bot,
        telegram_queue,
        delivery_queue,
        webhook_queue,
        webhook_poster,
        channels,
        directory,
        token_verifier,
        file_store,
        evidence_files,
        time_stamper,
        metrics,
        staff_names,
        sign_in,
    ):
        # A test may have put a stand-in in one's place (a webhook poster).
        getattr(built, "cache_clear", lambda: None)()
