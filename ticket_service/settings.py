from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class TicketSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TICKET_", extra="ignore")

    service_name: str = "ticket"
    # SLA budgets in the station's working minutes (opening hours, holidays excluded).
    sla_accept_minutes: float = Field(default=30, gt=0)
    sla_resolve_minutes: float = Field(default=3 * 8 * 60, gt=0)
    # The periodic SLA checker: how often it runs, how many due tickets it takes per pass.
    sla_check_seconds: float = Field(default=30, gt=0)
    sla_check_batch: int = Field(default=200, ge=1)
    sla_checker_enabled: bool = True
    # Requests larger than this are refused with 413 before any handler runs.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Open311: the jurisdiction this endpoint answers for, and where the spec's discovery points.
    open311_jurisdiction_id: str = "pudong.gov.cn"
    open311_contact: str = "浦东新区家门口服务站 ticket service, 021-12345"
    # The demo integration key the seed stores (hashed). Never used outside the embedded/demo modes.
    open311_demo_api_key: str = "demo-open311-key"
    # The distributed `seed` command waits this long for the catalogue's station copies.
    seed_wait_seconds: float = Field(default=60, ge=0)
    # Personal information (PIPL): a closed or cancelled matter's personal data is removed this many days
    # after it closed (the figures stay); the periodic pass runs every `retention_check_seconds`.
    personal_data_retention_days: int = Field(default=365, ge=1)
    retention_check_seconds: float = Field(default=3600, gt=0)
    retention_enabled: bool = True
    # Absent owners: the periodic sweep moves open tickets of people inactive or on leave at its pass (a
    # leave entered for next Monday, anything the event path missed); every few minutes: within 15.
    absent_owner_sweep_seconds: float = Field(default=300, gt=0, le=900)
    absent_owner_sweep_batch: int = Field(default=200, ge=1)
    absent_owner_sweep_enabled: bool = True
    # `GET /api/v1/tickets/export.csv` reads and streams this many tickets at a time (memory stays one batch).
    export_batch_size: int = Field(default=1000, ge=1, le=10_000)
    # Attachments (ticket_service/attachments): where the files live. `directory`: under
    # `attachment_directory` (empty: `attachments/` beside the SQLite database, else var/attachments; in
    # Kubernetes a volume); `s3`: an S3-compatible bucket. Download links are valid `attachment_url_ttl_seconds`,
    # signed with `attachment_url_secret` (empty: a key derived from jwt_secret).
    attachment_store: Literal["directory", "s3"] = "directory"
    attachment_directory: str = ""
    attachment_s3_bucket: str = "doorstep-ticket-attachments"
    attachment_s3_endpoint_url: str = ""
    attachment_s3_region: str = "cn-east-1"
    attachment_s3_access_key_id: str = ""
    attachment_s3_secret_access_key: str = ""
    attachment_url_ttl_seconds: int = Field(default=600, ge=10, le=7 * 24 * 3600)
    attachment_url_secret: str = ""

    def attachment_path(self) -> Path:
        if self.attachment_directory:
            return Path(self.attachment_directory)
        if self.database_url.startswith("sqlite") and ":///" in self.database_url:
            database = Path(self.database_url.split(":///", 1)[1])
            if str(database) not in ("", ":memory:"):
                return database.parent / "attachments"
        return Path("var") / "attachments"
