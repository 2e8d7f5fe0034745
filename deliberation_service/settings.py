from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class DeliberationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DELIBERATION_", extra="ignore")

    service_name: str = "deliberation"
