from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Urgency = Literal["low", "normal", "high", "urgent"]


class DemandCreate(BaseModel):
    station_id: uuid.UUID
    category: str = Field(examples=["culture"])
    title: str = Field(min_length=1, max_length=200, examples=["迎新晚会需要一个戏剧节目"])
    description: str = Field("", max_length=4000)
    urgency: Urgency = "normal"
    source: Literal["resident", "station"] = Field("station", description="Raised by residents, or by the station")


class DemandUpdate(BaseModel):
    category: str | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    urgency: Urgency | None = None


class DemandClose(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class LinkedRequest(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    resource_title: str
    status: str
    requested_date: str


class DemandRead(BaseModel):
    id: uuid.UUID
    station_id: uuid.UUID
    community_id: uuid.UUID
    subdistrict_id: uuid.UUID
    category: str
    title: str
    description: str
    urgency: str
    source: str
    raised_by: str | None
    status: str
    close_reason: str | None
    created_at: datetime
    updated_at: datetime
    fulfilled_at: datetime | None
    closed_at: datetime | None
    requests: list[LinkedRequest] = Field(default_factory=list, description="The resource requests serving it")
