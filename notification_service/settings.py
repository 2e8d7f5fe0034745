"""Settings of the notification service (environment prefix `NOTIFICATION_`), one section per channel."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import Mode, ServiceSettings

# Residents' SMS (residents/): the opt-out key's placeholder, refused in production.
DEFAULT_SMS_PHONE_KEY = "embedded-sms-phone-key-change-me"


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")

    service_name: str = "notification"

    # --- Other services, called over HTTP (through the gateway in Kubernetes, directly in `make up`) ---
    ticket_url: str = "http://127.0.0.1:8002"
    evaluation_url: str = "http://127.0.0.1:8004"
    catalog_url: str = "http://127.0.0.1:8001"
    service_call_timeout_seconds: float = Field(default=5.0, gt=0)

    # --- Webhooks for district systems (webhooks/) ---
    # Targets on loopback, link-local and private networks are refused unless this is set; unset, the
    # embedded mode allows them (one machine) and the other modes refuse them (SSRF).
    webhook_allow_private_targets: bool | None = None
    webhook_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    webhook_read_timeout_seconds: float = Field(default=10.0, gt=0)
    # Retries: exponential backoff with full jitter from `base` up to `max` seconds between tries, for
    # at least `retry_hours`; a subscription whose deliveries have all failed for `disable_after_days`
    # is disabled and its owner told.
    webhook_backoff_base_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_hours: float = Field(default=26.0, ge=24.0)
    webhook_disable_after_days: float = Field(default=3.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1)
    webhook_concurrency: int = Field(default=16, ge=1)

    # --- The worker's feed and its stream (feed/) ---
    feed_stream_heartbeat_seconds: float = Field(default=15.0, gt=0)

    # --- Push to workers' devices (push/) ---
    push_vapid_private_key: str = ""  # base64url or PEM; empty: Web Push is off
    push_vapid_subject: str = "mailto:ops@doorstep.pudong.example"
    push_timeout_seconds: float = Field(default=10.0, gt=0)
    push_poll_seconds: float = Field(default=1.0, gt=0)
    # How long a push service keeps a push for a device that is offline (Web Push `TTL`, vendors' ttl).
    push_ttl_seconds: int = Field(default=86400, ge=0, le=2419200)
    push_batch_size: int = Field(default=50, ge=1)
    # Failed sends (5xx, 429, timeouts) are tried again with backoff, at most this many times in all.
    push_max_attempts: int = Field(default=6, ge=1, le=20)
    push_backoff_base_seconds: float = Field(default=30.0, gt=0)
    push_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    # Vendor channels (huawei, xiaomi, oppo, vivo, honor, apns, jpush): platform -> the HTTPS address
    # that takes one POST per token, and platform -> its bearer token (see README "Push"). A platform
    # without an address is not sent to (its pushes are skipped with reason channel_not_configured).
    push_vendor_urls: dict[str, str] = Field(default_factory=dict)
    push_vendor_tokens: dict[str, str] = Field(default_factory=dict)

    # --- Notices to residents by SMS (residents/) ---
    sms_provider: str = Field(default="log", pattern="^(log|http)$")
    sms_http_url: str = ""
    sms_http_token: str = ""
    sms_sign_name: str = "浦东家门口服务站"
    sms_timeout_seconds: float = Field(default=10.0, gt=0)
    sms_poll_seconds: float = Field(default=1.0, gt=0)
    sms_batch_size: int = Field(default=50, ge=1)
    # The key of the HMAC that stands for a phone number in the opt-out list (the number itself is never
    # stored); changing it forgets every opt-out. Production refuses the default.
    sms_phone_key: str = DEFAULT_SMS_PHONE_KEY
    # The bearer token the provider presents on its inbound callback (replies such as "TD"); empty: refused.
    sms_inbound_token: str = ""

    @model_validator(mode="after")
    def _refuse_default_sms_key(self) -> NotificationSettings:
        if self.mode is Mode.production and self.sms_phone_key == DEFAULT_SMS_PHONE_KEY:
            raise ValueError("sms_phone_key still has its default value; production refuses default secrets")
        return self

    @property
    def allows_private_targets(self) -> bool:
        if self.webhook_allow_private_targets is not None:
            return self.webhook_allow_private_targets
        return self.mode is Mode.embedded


_current: NotificationSettings | None = None


def use_settings(settings: NotificationSettings) -> None:
    """Event handlers get no request; the app installs its settings here when it is created."""
    global _current
    _current = settings


def current_settings() -> NotificationSettings:
    global _current
    if _current is None:
        _current = NotificationSettings()
    return _current
