from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class TicketSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TICKET_", extra="ignore")

    service_name: str = "ticket"
