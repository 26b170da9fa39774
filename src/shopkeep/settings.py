"""The one typed settings object: environment variables (SHOPKEEP_*) and an optional TOML file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from shopkeep.identity import IdentityMode
from shopkeep.keys import Purpose, derive
from shopkeep.llm.settings import LLMSettings
from shopkeep.store.policy import StorePolicy

if TYPE_CHECKING:
    from shopkeep.agent.tools import IdentityPolicy
    from shopkeep.store import Store


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("shopkeep", appauthor=False))


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("shopkeep", appauthor=False))


class AcpSettings(BaseModel):
    """`SHOPKEEP_ACP__*`, e.g. SHOPKEEP_ACP__API_KEY, SHOPKEEP_ACP__WEBHOOK_URL."""

    api_key: SecretStr | None = Field(
        default=None,
        description="the Bearer token agent platforms must send; unset: the checkout API "
        "answers 503 to every request",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="where the shop is reached from outside; order links start with it",
    )
    terms_of_use_url: str | None = None
    privacy_policy_url: str | None = None
    return_policy_url: str | None = None
    webhook_url: str | None = Field(
        default=None,
        description="the agent platform's order-events receiver; unset: no webhooks are sent",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="the HMAC-SHA256 key of the Merchant-Signature header; default: a key "
        "derived from the shop's secret key for webhooks only",
    )
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_seconds: float = Field(
        default=2.0, gt=0, description="the wait before the first retry; it doubles each time"
    )
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_poll_seconds: float = Field(
        default=5.0,
        ge=0,
        description="how often the server sends due webhooks and looks for order changes; 0: "
        "only right after each completed checkout",
    )
    key_retention_hours: float = Field(
        default=24.0, gt=0, description="how long an Idempotency-Key and its response are kept"
    )
    in_flight_seconds: float = Field(
        default=60.0,
        gt=0,
        description="a request still running after this is taken as dead: a repeat of its "
        "key runs it again instead of getting 409",
    )


class SandboxSettings(BaseModel):
    """`SHOPKEEP_SANDBOX__*`: the built-in sandbox payment gateway (no real money moves)."""

    charge_seconds: float = Field(
        default=0.0,
        ge=0,
        description="how long each charge takes, like a real gateway's round trip (for load "
        "and crash drills)",
    )


class WebSettings(BaseModel):
    """`SHOPKEEP_WEB__*`: the web chat, the console and their sessions."""

    demo_login: bool = Field(
        default=False,
        description="let a visitor of the web chat pick any customer to act as (a demo store "
        "only: `make demo` turns it on); off: visitors chat as guests who verify in chat",
    )
    secure_cookies: bool = Field(
        default=False, description="send the session cookie over HTTPS only (behind TLS)"
    )
    session_days: float = Field(default=14.0, gt=0, description="how long a sign-in lasts")
    turn_retries: int = Field(
        default=3,
        ge=0,
        description="a turn that finds its conversation written meanwhile by another worker "
        "or a staff member is read again and run again, this many times",
    )
    turn_concurrency: int = Field(
        default=1,
        ge=1,
        description="turns of the assistant one worker runs at once; the rest wait in line "
        "(1 suits a local model, which computes one reply at a time; raise it for a model "
        "server that answers several)",
    )
    queue_limit: int = Field(
        default=20,
        ge=0,
        description="messages that may wait in one worker's line for a turn; past it a message "
        "is refused (503 busy with Retry-After) and nothing is stored",
    )
    customer_messages_per_minute: int = Field(
        default=20,
        ge=0,
        description="messages one customer may send a minute, at one worker (a burst of this "
        "many, then evenly); more are refused (429 with Retry-After); 0: no limit",
    )
    max_body_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        description="the largest request body taken; a larger one is refused (413) unread",
    )
    live_streams_per_session: int = Field(
        default=4, ge=1, description="live streams (/live) one browser session may hold open"
    )
    live_streams_per_address: int = Field(
        default=32, ge=1, description="live streams one client address may hold open"
    )
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="the merchant's own origins (https://shop.example) that may show the "
        "chat page in a frame; every other page, and the chat for every other origin, may "
        "not be framed",
    )
    ip_messages_per_minute: int = Field(
        default=60,
        ge=0,
        description="messages one client address may send a minute, at one worker (the "
        "connection's address: X-Forwarded-For counts only from a proxy uvicorn trusts); more "
        "are refused (429 with Retry-After); 0: no limit",
    )


class IdentitySettings(BaseModel):
    """`SHOPKEEP_IDENTITY__*`: how a chat customer proves who they are (docs/security.md)."""

    mode: IdentityMode | None = Field(
        default=None,
        description="signed: the merchant's site passes its signed-in customer in a signed, "
        "short-lived token; code: a guest proves an email with a one-time code sent to it; "
        "tau2: knowing an email, or a name and zip, is enough (tau2-bench evaluation only, "
        "never a shop). Unset: signed, or code with `serve --demo-login`",
    )
    secret: SecretStr | None = Field(
        default=None,
        description="the HMAC-SHA256 key of the customer tokens the merchant's backend signs "
        "(give the same value to the site's backend); unset: a key derived from the shop's "
        "secret key, which no site knows, so no token is taken",
    )
    token_max_seconds: int = Field(
        default=600,
        gt=0,
        description="the longest lifetime a customer token may have (its expiry, at most "
        "this far ahead)",
    )
    code_minutes: float = Field(
        default=10.0, gt=0, description="how long a one-time code stays valid"
    )
    codes_per_hour: int = Field(
        default=5, ge=1, description="codes sent to one customer an hour, at most"
    )
    failures_per_hour: int = Field(
        default=10,
        ge=1,
        description="wrong codes an hour, per customer and per client address, before codes "
        "are refused until the hour is over",
    )
    smtp_host: str | None = Field(
        default=None, description="the mail server codes are sent through (code mode)"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = Field(default="shop@localhost", description="the sender of code mails")
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None

    def resolved_mode(self, *, demo_login: bool) -> IdentityMode:
        if self.mode is not None:
            return self.mode
        return "code" if demo_login else "signed"


class AgentSettings(BaseModel):
    """`SHOPKEEP_AGENT__*`, or an `[agent]` table in the settings file."""

    free_wording: bool = Field(
        default=False,
        description="let the model reword the template replies (for a strong model); a "
        "rewording that adds or changes any number, id, code or amount is discarded",
    )


class Settings(BaseSettings):
    """Every setting shopkeep reads. `SHOPKEEP_CONFIG` may name a TOML file with the same keys."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPKEEP_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; SQLite in the data directory when unset. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    )
    config: Path | None = Field(default=None, description="optional TOML settings file")
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs access tokens and webhooks; default: a random key kept in "
        "<data_dir>/secret_key (created on first use, readable by its owner only)",
    )
    store: StorePolicy = Field(default_factory=StorePolicy)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    acp: AcpSettings = Field(default_factory=AcpSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        import os

        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("SHOPKEEP_CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                # A named file that is missing is a mistake, not "no settings".
                raise FileNotFoundError(2, "SHOPKEEP_CONFIG names no such file", str(path))
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def resolved_secret_key(self) -> bytes:
        """The configured key, else the one kept in the data directory (made on first use)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        import secrets

        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes starting at once must not each write a different key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_hex(32))
        return path.read_text().strip().encode()

    def key_for(self, purpose: Purpose) -> bytes:
        """The key of one purpose: the one set for it (webhooks, identity tokens), else derived
        from the secret key with the purpose's own label."""
        if purpose == "webhook" and self.acp.webhook_secret is not None:
            return self.acp.webhook_secret.get_secret_value().encode()
        if purpose == "identity" and self.identity.secret is not None:
            return self.identity.secret.get_secret_value().encode()
        return derive(self.resolved_secret_key(), purpose)

    def identity_policy(self) -> IdentityPolicy:
        """How chat customers prove who they are here: the mode (code by default with demo
        login, else signed), the codes' own key, and how codes are mailed (SMTP; without it,
        on a demo store only, the server's log)."""
        from datetime import timedelta

        from shopkeep.agent.mail import DemoMailbox, Mailer, SmtpMailer
        from shopkeep.agent.tools import IdentityPolicy

        ident = self.identity
        mode = ident.resolved_mode(demo_login=self.web.demo_login)
        mailer: Mailer | None = None
        if ident.smtp_host:
            mailer = SmtpMailer(
                ident.smtp_host,
                ident.smtp_port,
                ident.smtp_from,
                starttls=ident.smtp_starttls,
                username=ident.smtp_username,
                password=(ident.smtp_password.get_secret_value() if ident.smtp_password else None),
            )
        elif self.web.demo_login:
            mailer = DemoMailbox()
        return IdentityPolicy(
            mode=mode,
            code_key=self.key_for("identity-code") if mode == "code" else b"",
            mailer=mailer,
            code_lifetime=timedelta(minutes=ident.code_minutes),
            codes_per_hour=ident.codes_per_hour,
            failures_per_hour=ident.failures_per_hour,
        )

    def secrets(self) -> list[str]:
        """Every secret these settings hold (the signing key, API keys, the webhook key, the
        database password), for the log redaction to hide wherever one appears."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        found = [
            s.get_secret_value()
            for s in (
                self.secret_key,
                self.acp.api_key,
                self.acp.webhook_secret,
                self.llm.api_key,
                self.identity.secret,
                self.identity.smtp_password,
            )
            if s is not None
        ]
        key_file = self.data_dir / "secret_key"
        if self.secret_key is None and key_file.is_file():
            found.append(key_file.read_text().strip())
        try:
            password = make_url(self.resolved_database_url()).password
        except ArgumentError:
            password = None
        if password:
            found.append(str(password))
        return found

    def open_store(self) -> Store:
        """The store at the configured database, with the configured policy and gateway."""
        from shopkeep.store import Database, Store
        from shopkeep.store.payments import SandboxGateway

        db = Database(self.resolved_database_url())
        gateway = SandboxGateway(db, charge_seconds=self.sandbox.charge_seconds)
        return Store(db, policy=self.store, gateway=gateway)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'shopkeep.sqlite3'}"
