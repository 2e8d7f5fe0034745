from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class WindowIn(BaseModel):
    starts_on: date
    ends_on: date
    weekdays: list[int] | None = Field(None, description="0 = Monday ... 6 = Sunday; default every day")


class WindowRead(BaseModel):
    starts_on: date
    ends_on: date
    weekdays: list[int]


class ResourceCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200, examples=["沪剧小戏一场"])
    category: str = Field(examples=["culture"])
    department_id: uuid.UUID | None = Field(None, description="Provider: a department ...")
    station_id: uuid.UUID | None = Field(None, description="... or a community, through its station")
    description: str = Field("", max_length=4000)
    capacity: int = Field(ge=1, le=100_000, description="Units that can be booked per date")
    unit: str = Field("次", min_length=1, max_length=20, examples=["场"])
    lead_time_days: int = Field(0, ge=0, le=365)
    availability: list[WindowIn] = Field(min_length=1)
    allowed_subdistrict_ids: list[uuid.UUID] | None = Field(
        None, description="Subdistricts whose stations may use it; default the provider's own"
    )
    district_wide: bool = Field(False, description="Every subdistrict may use it")


class ResourceUpdate(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    category: str | None = None
    description: str | None = Field(None, max_length=4000)
    capacity: int | None = Field(None, ge=1, le=100_000)
    unit: str | None = Field(None, min_length=1, max_length=20)
    lead_time_days: int | None = Field(None, ge=0, le=365)
    availability: list[WindowIn] | None = Field(None, min_length=1)
    allowed_subdistrict_ids: list[uuid.UUID] | None = None
    district_wide: bool | None = None
    active: bool | None = None


class ResourceRead(BaseModel):
    id: uuid.UUID
    title: str
    category: str
    provider_kind: str
    department_id: uuid.UUID | None
    station_id: uuid.UUID | None
    subdistrict_id: uuid.UUID | None
    provider_name: str
    description: str
    capacity: int
    unit: str
    lead_time_days: int
    district_wide: bool
    allowed_subdistrict_ids: list[uuid.UUID]
    availability: list[WindowRead]
    active: bool
    created_at: datetime
    updated_at: datetime
    remaining_on_date: int | None = Field(None, description="Units still free on the searched date")


class DayAvailability(BaseModel):
    day: date
    available: bool
    reserved: int
    remaining: int


class ResourceCalendarRead(BaseModel):
    resource_id: uuid.UUID
    capacity: int
    days: list[DayAvailability]
