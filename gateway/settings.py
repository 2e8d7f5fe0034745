from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import CommonSettings, Mode


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    catalog_url: str = "http://127.0.0.1:8001"
    ticket_url: str = "http://127.0.0.1:8002"
    deliberation_url: str = "http://127.0.0.1:8003"
    evaluation_url: str = "http://127.0.0.1:8004"
    notification_url: str = "http://127.0.0.1:8005"
    # A service that has not answered within this many seconds gets the client a 504.
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    # The built-in issuer at /auth/token serves demo users; production gets tokens from the district OIDC.
    token_issuer_enabled: bool = True
    token_lifetime_minutes: int = Field(default=480, ge=1)
    # Requests per minute per caller (token subject) and per client address; 0 switches a limit off.
    # Counted in Redis (`rate_limit_redis_url`) outside the embedded mode, so the gateway's replicas
    # share one budget; in memory in the embedded mode.
    rate_limit_per_token_per_minute: int = Field(default=600, ge=0)
    rate_limit_per_address_per_minute: int = Field(default=1200, ge=0)
    rate_limit_key_prefix: str = "doorstep:gateway"
    # The gateway is the edge: no peer is a proxy unless configured (the ingress controller's pods).
    trusted_proxies: list[str] = Field(default_factory=list)
    # Browser origins allowed to call the API (the residents' and staff web apps); JSON list in env.
    cors_allow_origins: list[str] = Field(default_factory=list)

    def model_post_init(self, context: object) -> None:
        if self.mode is Mode.production and self.token_issuer_enabled:
            raise ValueError("token_issuer_enabled must be false in production")

    def rate_limit_store(self) -> str | None:
        """Redis outside the embedded mode; None (in memory) in it."""
        return None if self.mode is Mode.embedded else self.rate_limit_redis_url

    def service_urls(self) -> dict[str, str]:
        return {
            "catalog": self.catalog_url,
            "ticket": self.ticket_url,
            "deliberation": self.deliberation_url,
            "evaluation": self.evaluation_url,
            "notification": self.notification_url,
        }
