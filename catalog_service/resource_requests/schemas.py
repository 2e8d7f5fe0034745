from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class RequestCreate(BaseModel):
    resource_id: uuid.UUID
    station_id: uuid.UUID = Field(description="The requesting station")
    demand_id: uuid.UUID | None = Field(None, description="The demand it serves (of the same station)")
    requested_date: date
    quantity: int = Field(1, ge=1, le=100_000)
    note: str | None = Field(None, max_length=500, examples=["迎新晚会需要一个戏剧节目"])


class RequestDecline(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class RequestSchedule(BaseModel):
    scheduled_at: datetime = Field(description="On the requested date (Shanghai time); no offset: Shanghai")
    note: str | None = Field(None, max_length=500)


class RequestCancel(BaseModel):
    reason: str | None = Field(None, max_length=500)


class RequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    resource_id: uuid.UUID
    demand_id: uuid.UUID | None
    station_id: uuid.UUID
    subdistrict_id: uuid.UUID
    provider_department_id: uuid.UUID | None
    provider_station_id: uuid.UUID | None
    provider_subdistrict_id: uuid.UUID | None
    requested_date: date
    quantity: int
    note: str | None
    status: str
    decline_reason: str | None
    scheduled_at: datetime | None
    delivered_at: datetime | None
    requested_by: str | None
    answered_by: str | None
    created_at: datetime
    updated_at: datetime
