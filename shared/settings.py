"""Settings for every process: one class per service, one environment prefix per service.

Each service subclasses `ServiceSettings` and sets its own prefix (`CATALOG_`, `TICKET_`, ...), so one
machine can run them all with distinct databases. Defaults suit the embedded mode; production refuses
them where they would be unsafe.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "embedded-mode-secret-change-me-0123456789abcdef"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
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
    # JWKS: one fetch at most every `cooldown` seconds for unknown key ids, never on the event loop.
    jwt_jwks_timeout_seconds: float = Field(default=3.0, gt=0)
    jwt_jwks_cooldown_seconds: float = Field(default=30.0, ge=0)
    # The HTTP server (docs/operations.md, "Timeouts and limits"): whole request headers within this
    # many seconds and bytes, idle keep-alive connections closed after `http_keep_alive_seconds`.
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    http_max_header_bytes: int = Field(default=16_384, ge=1024)
    http_keep_alive_seconds: int = Field(default=5, ge=1)
    # Larger request bodies, declared or chunked, get 413 problem+json.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Peers whose X-Forwarded-For (and, for a service, X-Request-Id) is believed: CIDRs, a JSON list in env.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    # Rate-limit counters outside the embedded mode (shared by every replica).
    rate_limit_redis_url: str = "redis://127.0.0.1:6379/0"
    # The system's public address (scheme, host, port, no path), behind which the gateway answers. URLs
    # in answers (Open311 discovery, HSDS) are built from it, never from the request's Host header,
    # which any caller sets. The embedded launcher gives the services the gateway's.
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL
    # A service calling another as itself (shared/service_calls.py): in production an OAuth2 client of the
    # district OIDC provider (client credentials at `service_token_url`); unset, it signs its own HS256
    # token with `jwt_secret` (embedded and distributed modes).
    service_client_id: str = ""
    service_client_secret: str = ""
    service_token_url: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as error:
                raise ValueError(f"trusted_proxies: {network!r} is not an address or CIDR network") from error
        return value

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
    # Connections each replica may hold (as many again in overflow): replicas × 2 × this must stay under
    # PostgreSQL's max_connections, with room for migrations and operators.
    database_pool_size: int = Field(default=10, ge=1, le=100)
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
    # With a broker: the relay on a thread of its own (own loop, pool and broker connection), which a busy
    # request loop cannot starve. Off by default: measured, the thread's share of the GIL cost the request
    # loop far more than the relay gained (README "Performance"); the relay's own process is the next step.
    outbox_relay_thread: bool = False
    # A service's callers are the gateway's keep-alive pool, which drops idle connections after 30 s:
    # closing later than that avoids the race of a pooled connection closed just as it is reused.
    http_keep_alive_seconds: int = Field(default=75, ge=1)

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
