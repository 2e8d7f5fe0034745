from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from notification_service.webhooks.catalogue import MAX_PATTERNS
from notification_service.webhooks.models import WebhookDeliveryStatus

MAX_SUBDISTRICTS = 36  # the district has 36 subdistricts
EVENT_TYPES_DESCRIPTION = (
    "Event types or AMQP-style patterns (`ticket.*` one word, `ticket.#` or `#` any number of words); each "
    "must match a type of the subscribable catalogue (`GET /api/v1/webhooks/event-types`)."
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(title="WebhookCreate", extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="http:// or https:// address that receives POSTs.")
    event_types: list[str] = Field(min_length=1, max_length=MAX_PATTERNS, description=EVENT_TYPES_DESCRIPTION)
    subdistrict_ids: list[uuid.UUID] | None = Field(
        None,
        max_length=MAX_SUBDISTRICTS,
        description="Only events of these subdistricts; none: every subdistrict the caller may see.",
    )
    description: str = Field("", max_length=500)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(title="WebhookUpdate", extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(
        None, min_length=1, max_length=MAX_PATTERNS, description=EVENT_TYPES_DESCRIPTION
    )
    subdistrict_ids: list[uuid.UUID] | None = Field(None, max_length=MAX_SUBDISTRICTS)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(
        None, description="true re-enables a disabled subscription (its failure clock restarts)."
    )


class WebhookRead(BaseModel):
    model_config = ConfigDict(title="WebhookRead", from_attributes=True)

    id: uuid.UUID
    owner_id: str
    url: str
    event_types: list[str]
    subdistrict_ids: list[str] | None
    description: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None
    last_success_at: datetime | None
    failing_since: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None


class WebhookCreated(WebhookRead):
    model_config = ConfigDict(title="WebhookCreated", from_attributes=True)

    secret: str = Field(description="`whsec_...`: shown only now. Verify every delivery's signature with it.")


class WebhookSecret(BaseModel):
    model_config = ConfigDict(title="WebhookSecret")

    id: uuid.UUID
    secret: str = Field(description="The new `whsec_...`, shown only now; the old one stops at once.")
    secret_rotated_at: datetime


class WebhookEventType(BaseModel):
    model_config = ConfigDict(title="WebhookEventType")

    type: str
    description: str


class WebhookDeliveryRead(BaseModel):
    model_config = ConfigDict(title="WebhookDeliveryRead", from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: str
    event_type: str
    event_time: datetime
    status: WebhookDeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_latency_ms: int | None
    next_attempt_at: datetime | None = Field(description="When it is tried next; null once finished.")
    first_attempted_at: datetime | None
    last_attempted_at: datetime | None
    created_at: datetime
    finished_at: datetime | None


class WebhookReplayRange(BaseModel):
    model_config = ConfigDict(title="WebhookReplayRange", extra="forbid", populate_by_name=True)

    from_: datetime = Field(alias="from", description="Events at or after this time (with its offset).")
    to: datetime = Field(description="Events before this time; at most 7 days after `from`.")


class WebhookReplayResult(BaseModel):
    model_config = ConfigDict(title="WebhookReplayResult")

    queued: int = Field(description="Deliveries queued to be sent again.")
