"""Settings for every process: one class per service, one environment prefix per service.

Each service subclasses `ServiceSettings` and sets its own prefix (`CATALOG_`, `TICKET_`, ...), so one
machine can run them all with distinct databases. Defaults suit the embedded mode; production refuses
them where they would be unsafe.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "embedded-mode-secret-change-me-0123456789abcdef"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
VAR_DIRECTORY = Path("var")


class Mode(StrEnum):
    embedded = "embedded"  # one process, SQLite, in-process bus
    distributed = "distributed"  # a process per service, PostgreSQL, RabbitMQ
    production = "production"  # distributed, and no demo shortcuts allowed


class CommonSettings(BaseSettings):
    """What every process needs, the gateway included: mode, token verification, logging."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    service_name: str = "service"
    mode: Mode = Mode.embedded
    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "doorstep-embedded"
    jwt_audience: str = "doorstep"
    log_level: str = "INFO"
    log_json: bool = True
    # OpenTelemetry spans exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT); off by default.
    tracing_enabled: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> CommonSettings:
        if self.mode is Mode.production:
            if self.jwt_jwks_url is None:
                raise ValueError("jwt_jwks_url is required in production: tokens come from the district's OIDC")
            if self.jwt_secret == DEFAULT_JWT_SECRET:
                raise ValueError("jwt_secret still has its default value; production refuses default secrets")
        return self


class ServiceSettings(CommonSettings):
    """What every service needs. Subclasses set `service_name` and the env prefix."""

    database_url: str = ""
    broker_url: str = DEFAULT_BROKER_URL
    # Names the exchange `<namespace>.events` and the queues `<namespace>.<consumer>`; tests use their own.
    event_namespace: str = "doorstep"
    # Consumers: how many unacknowledged messages a consumer holds, how often and how long to retry.
    consumer_prefetch: int = Field(default=32, ge=1)
    consumer_max_retries: int = Field(default=5, ge=0)
    consumer_retry_delay_ms: int = Field(default=2000, ge=1)
    # The relay wakes on every commit that wrote an event; the poll is only a safety net.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_batch_size: int = Field(default=100, ge=1)
    outbox_max_backoff_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _database_defaults_and_guards(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = self.default_database_url()
        if self.mode is Mode.production:
            if self.broker_url == DEFAULT_BROKER_URL:
                raise ValueError("broker_url uses the default guest account; production refuses default secrets")
            if self.database_url.startswith("sqlite"):
                raise ValueError("database_url: production needs PostgreSQL")
        return self

    def default_database_url(self) -> str:
        if self.mode is Mode.embedded:
            return f"sqlite+aiosqlite:///{VAR_DIRECTORY / (self.service_name + '.db')}"
        return f"{DEFAULT_POSTGRES_URL}/doorstep_{self.service_name}"

    @property
    def async_database_url(self) -> str:
        """The URL with an async driver, whatever form the operator wrote it in."""
        url = self.database_url
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + url.split("://", 1)[1]
        return url

    @property
    def uses_in_process_bus(self) -> bool:
        return self.mode is Mode.embedded
