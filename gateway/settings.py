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
    # A service that has not answered within this many seconds gets the client a 504.
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # The built-in issuer at /auth/token serves demo users; production gets tokens from the district OIDC.
    token_issuer_enabled: bool = True
    token_lifetime_minutes: int = Field(default=480, ge=1)
    # Per gateway process; 0 switches a limit off. Bursts up to rate_limit_burst requests.
    rate_limit_per_token_per_minute: int = Field(default=600, ge=0)
    rate_limit_per_address_per_minute: int = Field(default=1200, ge=0)
    rate_limit_burst: int = Field(default=60, ge=1)
    # Browser origins allowed to call the API (the residents' and staff web apps); JSON list in env.
    cors_allow_origins: list[str] = Field(default_factory=list)

    def model_post_init(self, context: object) -> None:
        if self.mode is Mode.production and self.token_issuer_enabled:
            raise ValueError("token_issuer_enabled must be false in production")

    def service_urls(self) -> dict[str, str]:
        return {
            "catalog": self.catalog_url,
            "ticket": self.ticket_url,
            "deliberation": self.deliberation_url,
            "evaluation": self.evaluation_url,
        }
