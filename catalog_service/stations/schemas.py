from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog_service.stations.hours import STANDARD_HOURS


class SubdistrictCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["陆家嘴街道"])
    kind: Literal["street", "town"]


class SubdistrictRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: str


class PeriodIn(BaseModel):
    opens: str = Field(examples=["08:30"], description="HH:MM, local time")
    closes: str = Field(examples=["11:30"], description="HH:MM; 24:00 for midnight")


class WeeklyPeriodIn(PeriodIn):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")


class ExceptionIn(BaseModel):
    day: date
    periods: list[PeriodIn] = Field(default_factory=list, description="Empty: closed all day")
    note: str | None = Field(None, max_length=100, examples=["国庆节"])


class OpeningHours(BaseModel):
    """Weekly periods (several a day: split opening) and dated exceptions, in the station's time zone."""

    time_zone: str = "Asia/Shanghai"
    weekly_periods: list[WeeklyPeriodIn]
    exceptions: list[ExceptionIn] = Field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ExceptionBody(BaseModel):
    periods: list[PeriodIn] = Field(default_factory=list, description="Empty: closed all day")
    note: str | None = Field(None, max_length=100)


Latitude = Field(ge=-90, le=90, allow_inf_nan=False)
Longitude = Field(ge=-180, le=180, allow_inf_nan=False)


class StationCreate(BaseModel):
    subdistrict_id: uuid.UUID
    community_name: str = Field(min_length=1, max_length=100, examples=["市新居委会"])
    community_kind: Literal["neighbourhood", "village"] | None = None
    name: str = Field(min_length=1, max_length=200, examples=["市新居委会家门口服务站"])
    address: str = Field(min_length=1, max_length=300)
    latitude: float = Latitude
    longitude: float = Longitude
    phone: str | None = Field(None, max_length=40)
    opening_hours: OpeningHours | None = Field(None, description="Defaults to the standard hours")

    def hours_data(self) -> dict[str, Any]:
        return self.opening_hours.as_data() if self.opening_hours is not None else STANDARD_HOURS


class StationUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, min_length=1, max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    phone: str | None = Field(None, max_length=40)


class StationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subdistrict_id: uuid.UUID
    community_id: uuid.UUID
    community_name: str
    name: str
    address: str
    latitude: float
    longitude: float
    phone: str | None
    opening_hours: dict[str, Any]
    time_zone: str
    created_at: datetime
    updated_at: datetime


class OpeningHoursRead(BaseModel):
    station_id: uuid.UUID
    opening_hours: dict[str, Any]
    at: datetime
    open: bool
    closes_at: datetime | None = Field(None, description="End of the open stretch containing `at`")
    next_opening: datetime | None = None


class CommunityCreate(BaseModel):
    subdistrict_id: uuid.UUID
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["neighbourhood", "village"] = "neighbourhood"


class CommunityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subdistrict_id: uuid.UUID
    name: str
    kind: str
    station_id: uuid.UUID | None = None


class WalkingModelRead(BaseModel):
    max_minutes: float
    detour_factor: float
    speed_kmh: float
    straight_line_metres: float


class NearbyStation(BaseModel):
    station: StationRead
    distance_metres: float = Field(description="Straight line")
    walking_minutes: float
    open: bool | None = Field(None, description="Open at the asked time, when one was asked")


class NearbyRead(BaseModel):
    latitude: float
    longitude: float
    model: WalkingModelRead
    at: datetime | None
    items: list[NearbyStation]
