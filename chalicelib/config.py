"""Settings, read from the environment when first asked for, never at import time.

moto must be active before any AWS client exists and the local runner sets the
environment after importing the app, so nothing here runs on import. The composition
root (wiring.py) loads them once, handing in how to read a deployed stage's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from chalicelib.domain import retention as retention_rules
from chalicelib.domain.keyring import KEYRING_SECONDS, Keyring, Purpose, derived

# The environment variable naming each purpose's secret (with _SECRET: its Secrets
# Manager id, deployed; without: the ring itself, for runs on one machine).
KEY_VARIABLES = {
    Purpose.CONSOLE_SESSIONS: "HOMEWARD_SESSION_KEY",
    Purpose.FORM_KEYS: "HOMEWARD_FORM_KEY",
    Purpose.ACK_LINKS: "HOMEWARD_ACK_KEY",
    Purpose.STATUS_CODES: "HOMEWARD_STATUS_KEY",
    Purpose.WEBHOOKS: "HOMEWARD_WEBHOOK_KEY",
}

# Where `homeward dev-token` and the local runner keep the local signing key.
DEV_KEY_FILE = Path(__file__).resolve().parent.parent / ".homeward" / "dev-signing-key.pem"


@dataclass(frozen=True)
class HelpLine:
    """Whom a reporter can call, in one language: shown on the receipt."""

    name: str
    phone: str  # E.164, for the tel: link
    shown: str  # as people read it: +380 44 123 45 67
    hours: str
    email: str


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    audit_table_name: str
    delivery_queue_url: str
    alert_sender: str
    # Read on first use (Secrets Manager in a deployed stage): only the functions that
    # sign or check something read it, and only they may (infra/package.py). The signing
    # key keys the blind indexes (reporters' contact details, sources): stable, so what
    # was indexed under it stays searchable. Everything else has a secret of its own.
    signing_key_source: Callable[[], str] = field(repr=False, compare=False)
    # One source per purpose (domain/keyring.py): a key that signed two kinds of thing
    # would let whoever holds one function forge what another one checks (issue 23).
    key_sources: Mapping[Purpose, Callable[[], str]] = field(repr=False, compare=False)
    # Reports accepted from one source (a hashed client address) per window.
    rate_limit: int
    rate_window_seconds: int
    idempotency_ttl_seconds: int
    # How long the dispatcher trusts its cached copy of the contact directory.
    directory_cache_seconds: int
    # Staff tokens: Cognito's issuer and app client when deployed, local values otherwise.
    token_issuer: str
    token_audience: str
    # Only ever set in local runs: deployed stages accept Cognito's keys alone.
    dev_key_file: Path | None
    # Where people open links from alerts (acknowledgement); no trailing slash.
    public_url: str
    # How long an alert may stay unacknowledged before it goes one rung up, unless its
    # routing rules' escalation policy says otherwise.
    escalate_urgent_after: int
    escalate_normal_after: int
    # Seconds before a transiently failed delivery is tried again, doubled each attempt.
    retry_base_seconds: int
    # The customer managed KMS key that seals reports' most sensitive fields.
    fields_key: str = ""
    # The private bucket of the report form's photos and documents; None: uploads are off.
    uploads_bucket: str | None = None
    # The evidence bucket (S3 Object Lock) where originals are kept when the reporter
    # agreed to their use as evidence; None: no originals are kept.
    evidence_bucket: str | None = None
    # The Time-Stamp Authority that anchors the custody chains daily (RFC 3161 over
    # HTTP), and its certificate (PEM) that every token is verified against.
    tsa_url: str | None = None
    tsa_certificate: str | None = None
    # The stage's managed login (Cognito's hosted UI), where staff sign in; None locally.
    sign_in_url: str | None = None
    # The SES configuration set whose event destination reports bounces and complaints
    # (deployed only: infra/operations.py).
    ses_configuration_set: str | None = None
    # Which alerts also go by SMS (domain/sms.py, SmsPolicy): "all", or "urgent" (urgent
    # reports and escalations only; a contact reachable by SMS alone still gets every
    # alert); and whether an SMS is one GSM-7 part in Latin letters (KMU 2010). A deployed stage
    # takes both from its stack parameters (infra/operations.py: urgent, one part).
    sms_for: str = "all"
    sms_one_part: bool = False
    # The most one SMS may cost (USD), or None: no ceiling.
    sms_max_price: str | None = None
    # The stage's two-way number (AWS End User Messaging SMS, E.164): alerts' SMS are sent
    # from it and carry a code the contact may reply with (`sms_replies`). None: neither,
    # except locally, where a reply is played into its handler (there is no number).
    sms_reply_number: str | None = None
    sms_replies: bool = False
    # The console's session ends after this long without a request (and at the latest
    # when the sign-in's refresh token does).
    console_idle_seconds: int = 30 * 60
    # The queue of webhooks owed to partners (domain/webhooks.py).
    webhook_queue_url: str = ""

    @cached_property
    def signing_key(self) -> bytes:
        key = self.signing_key_source()
        if not key:
            raise RuntimeError("no signing key: set HOMEWARD_SIGNING_KEY_SECRET")
        return key.encode()

    @cached_property
    def _keyrings(self) -> dict[Purpose, tuple[Keyring, float]]:
        return {}

    def keyring(self, purpose: Purpose) -> Keyring:
        """The purpose's keys, newest first; read again after KEYRING_SECONDS, so that a
        rotation's new key reaches every running function (domain/keyring.py)."""
        import time

        found = self._keyrings.get(purpose)
        if found is not None and time.monotonic() - found[1] < KEYRING_SECONDS:
            return found[0]
        text = self.key_sources[purpose]()
        if not text.strip():
            raise RuntimeError(f"no {purpose.value} key: set {KEY_VARIABLES[purpose]}_SECRET")
        ring = Keyring.parse(text)
        if purpose is Purpose.STATUS_CODES:
            # Codes handed out before the secrets were split were made with the signing
            # key, and reporters keep theirs for as long as the case lasts: they still
            # open their status pages (checked only; nothing new is signed with it).
            ring = ring.also(self.signing_key)
        self._keyrings[purpose] = (ring, time.monotonic())
        return ring

    @property
    def session_key(self) -> bytes:
        return self.keyring(Purpose.CONSOLE_SESSIONS).signer

    @property
    def cursor_key(self) -> bytes:
        """The staff lists' continuation tokens: only the staff function pages lists, so
        under the console's secret (a label apart from the cookies')."""
        return hmac.new(self.session_key, b"homeward list cursors", hashlib.sha256).digest()

    # Days after its last change when a case of each status is anonymised
    # (domain/retention.py), and how many cases one run of the schedule anonymises.
    retention: retention_rules.Retention = ()
    retention_batch: int = 25
    # Whom reporters can call (HOMEWARD_HELP_LINE, JSON): {"phone": "+380...", "email":
    # "...", "name": {"uk": ..., "en": ..., "ru": ...}, "hours": {...}}. Each deployment
    # has its own; without one, the receipt names none rather than a wrong number.
    help_line: dict = field(default_factory=dict)
    # Follow-ups after a child's return (domain/aftercare.py): the first within so many
    # days of it, then at most so many days apart (the guidelines: three months).
    follow_up_first_days: int = 14
    follow_up_every_days: int = 90

    @property
    def escalate_after(self) -> tuple[int, int]:
        """How long an alert may wait unacknowledged (urgent, otherwise), in seconds."""
        return self.escalate_urgent_after, self.escalate_normal_after

    @property
    def follow_ups(self):
        from chalicelib.domain.aftercare import FollowUpPolicy

        return FollowUpPolicy(
            first_within_days=self.follow_up_first_days, every_days=self.follow_up_every_days
        )

    def help_line_in(self, language: str) -> HelpLine | None:
        if not self.help_line.get("phone"):
            return None
        import phonenumbers

        line = self.help_line

        def words(key: str) -> str:
            value = line.get(key) or {}
            return value.get(language) or value.get("en", "") if isinstance(value, dict) else value

        number = phonenumbers.parse(line["phone"], None)
        return HelpLine(
            name=words("name"),
            phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            shown=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
            hours=words("hours"),
            email=line.get("email", ""),
        )

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


def is_https_origin(url: str) -> bool:
    """https://host, perhaps with a path (API Gateway's /api); no query, fragment or login."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and not (parts.query or parts.fragment or parts.username or parts.password)
        and not any(c.isspace() for c in url)
    )


def load(
    env: Mapping[str, str] | None = None, *, read_secret: Callable[[str], str] | None = None
) -> Settings:
    """The settings of this process; `read_secret` reads a deployed stage's signing key."""
    # Looked up at each call: tests' clients replace os.environ itself for a stage.
    env = os.environ if env is None else env

    def _int(name: str, default: int) -> int:
        return int(env.get(name, default))

    stage = env.get("HOMEWARD_STAGE", "dev")
    local = stage == "local"
    if local and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        # The local stage accepts development tokens and answers /dev/outbox: a Lambda
        # that was deployed with it refuses to start rather than open either.
        raise RuntimeError("the local stage never runs in AWS Lambda")
    secret_id = env.get("HOMEWARD_SIGNING_KEY_SECRET")
    given = env.get("HOMEWARD_SIGNING_KEY")
    if not (given or secret_id or local):
        raise RuntimeError("no signing key: set HOMEWARD_SIGNING_KEY_SECRET")

    def signing_key_source() -> str:
        if given:
            return given
        if secret_id and read_secret:
            return read_secret(secret_id)
        return "local-only-signing-key" if local else ""

    def key_source(purpose: Purpose) -> Callable[[], str]:
        variable = KEY_VARIABLES[purpose]
        purpose_given, purpose_secret = env.get(variable), env.get(f"{variable}_SECRET")

        def source() -> str:
            if purpose_given:
                return purpose_given
            if purpose_secret and read_secret:
                return read_secret(purpose_secret)
            if local or given:
                # A run on one machine (one key given): each purpose's key derived from it,
                # apart from each other. A deployed stage reads each purpose's own secret.
                return derived(signing_key_source().encode(), purpose)
            return ""

        return source

    public_url = env.get("HOMEWARD_PUBLIC_URL", "").rstrip("/")
    if not local and not is_https_origin(public_url):
        # Acknowledgement links and staff sign-in come back to this address: a deployed
        # stage that does not know its own would send people to localhost, or over http.
        raise RuntimeError("no public URL: set HOMEWARD_PUBLIC_URL to the stage's https address")
    return Settings(
        stage=stage,
        table_name=env.get("HOMEWARD_TABLE", f"homeward-{stage}-cases"),
        audit_table_name=env.get("HOMEWARD_AUDIT_TABLE", f"homeward-{stage}-audit"),
        delivery_queue_url=env.get("HOMEWARD_DELIVERY_QUEUE_URL", ""),
        webhook_queue_url=env.get("HOMEWARD_WEBHOOK_QUEUE_URL", ""),
        alert_sender=env.get("HOMEWARD_ALERT_SENDER", "alerts@homeward.example"),
        signing_key_source=signing_key_source,
        key_sources={purpose: key_source(purpose) for purpose in Purpose},
        rate_limit=_int("HOMEWARD_RATE_LIMIT", 20),
        rate_window_seconds=_int("HOMEWARD_RATE_WINDOW_SECONDS", 600),
        idempotency_ttl_seconds=_int("HOMEWARD_IDEMPOTENCY_TTL_SECONDS", 7 * 24 * 3600),
        directory_cache_seconds=_int("HOMEWARD_DIRECTORY_CACHE_SECONDS", 60),
        token_issuer=env.get("HOMEWARD_TOKEN_ISSUER", "homeward-local" if local else ""),
        token_audience=env.get("HOMEWARD_TOKEN_AUDIENCE", "homeward-local" if local else ""),
        dev_key_file=Path(env.get("HOMEWARD_DEV_KEY_FILE", DEV_KEY_FILE)) if local else None,
        public_url=public_url or "http://127.0.0.1:8000",
        escalate_urgent_after=_int("HOMEWARD_ESCALATE_URGENT_SECONDS", 15 * 60),
        escalate_normal_after=_int("HOMEWARD_ESCALATE_NORMAL_SECONDS", 24 * 3600),
        retry_base_seconds=_int("HOMEWARD_RETRY_BASE_SECONDS", 10),
        uploads_bucket=env.get("HOMEWARD_UPLOADS_BUCKET") or None,
        evidence_bucket=env.get("HOMEWARD_EVIDENCE_BUCKET") or None,
        tsa_url=env.get("HOMEWARD_TSA_URL") or None,
        tsa_certificate=env.get("HOMEWARD_TSA_CERTIFICATE") or None,
        fields_key=env.get("HOMEWARD_FIELDS_KEY", ""),
        sign_in_url=env.get("HOMEWARD_SIGN_IN_URL", "").rstrip("/") or None,
        console_idle_seconds=_int("HOMEWARD_CONSOLE_IDLE_SECONDS", 30 * 60),
        retention=retention_rules.parse(env.get("HOMEWARD_RETENTION", retention_rules.DEFAULT)),
        retention_batch=_int("HOMEWARD_RETENTION_BATCH", 25),
        ses_configuration_set=env.get("HOMEWARD_SES_CONFIGURATION_SET") or None,
        sms_for=env.get("HOMEWARD_SMS_FOR", "all"),
        sms_one_part=env.get("HOMEWARD_SMS_ONE_PART", "false") == "true",
        sms_max_price=env.get("HOMEWARD_SMS_MAX_PRICE") or None,
        sms_reply_number=env.get("HOMEWARD_SMS_REPLY_NUMBER") or None,
        sms_replies=bool(env.get("HOMEWARD_SMS_REPLY_NUMBER")) or local,
        help_line=json.loads(env.get("HOMEWARD_HELP_LINE") or "{}"),
        follow_up_first_days=_int("HOMEWARD_FOLLOW_UP_FIRST_DAYS", 14),
        follow_up_every_days=_int("HOMEWARD_FOLLOW_UP_EVERY_DAYS", 90),
    )


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bot's settings (README "Telegram"), apart from `Settings`: only the
    bot's functions read them. The token and the webhook's secret are one Secrets Manager
    secret in a deployed stage (JSON: {"bot_token": ..., "webhook_secret": ...}), read on
    first use; given directly in a local run."""

    api_url: str
    queue_url: str
    credentials_source: Callable[[], dict] = field(repr=False, compare=False)
    # How long after the receipt the bot deletes the conversation, unless told not to.
    tidy_after_seconds: int = 600

    @property
    def bot_token(self) -> str:
        return str(self.credentials_source().get("bot_token", ""))

    @property
    def webhook_secret(self) -> str:
        return str(self.credentials_source().get("webhook_secret", ""))


def load_telegram(
    env: Mapping[str, str] | None = None, *, read_secret: Callable[[str], str] | None = None
) -> TelegramSettings:
    env = os.environ if env is None else env
    secret_id = env.get("HOMEWARD_TELEGRAM_SECRET")
    given = {
        "bot_token": env.get("HOMEWARD_TELEGRAM_BOT_TOKEN", ""),
        "webhook_secret": env.get("HOMEWARD_TELEGRAM_WEBHOOK_SECRET", ""),
    }

    read: list[dict] = []

    def credentials() -> dict:
        # Read once per container, as the signing key is.
        if not read:
            read.append(json.loads(read_secret(secret_id)) if secret_id and read_secret else given)
        return read[0]

    return TelegramSettings(
        api_url=env.get("HOMEWARD_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        queue_url=env.get("HOMEWARD_TELEGRAM_QUEUE_URL", ""),
        credentials_source=credentials,
        tidy_after_seconds=int(env.get("HOMEWARD_TELEGRAM_TIDY_SECONDS", "600")),
    )
