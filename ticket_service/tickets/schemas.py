from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Channel(StrEnum):
    walk_in = "walk_in"
    phone = "phone"
    app = "app"
    video_link = "video_link"
    web = "web"


class ServiceCategory(StrEnum):
    party_mass = "party_mass"
    government_affairs = "government_affairs"
    daily_life = "daily_life"
    legal = "legal"
    health = "health"
    culture = "culture"
    community_management = "community_management"


class TicketCreate(BaseModel):
    station_id: uuid.UUID
    channel: Channel
    service_category: ServiceCategory
    description: str = Field(min_length=1, max_length=4000)
    resident_name: str | None = Field(None, max_length=100)
    resident_phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 -]{5,20}$")


class TicketClose(BaseModel):
    completed_by: str | None = Field(
        None, max_length=64, description="The staff member who completed the work; defaults to the owner."
    )


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    channel: str
    service_category: str
    description: str
    resident_id: str | None
    status: str
    owner_id: str | None
    responsibility_level: str
    completed_by: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
