from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ticket_id: uuid.UUID
    social_worker_id: str | None
    station_id: uuid.UUID
    service_category: str
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
