from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from catalog_service.stations.schemas import WeeklyPeriodIn


class StandardItemRead(BaseModel):
    id: uuid.UUID
    code: str = Field(
        description="The item's code, as intake (`service_item`) and Open311 `services.json` know it",
        examples=["government_affairs.medical_record_book"],
    )
    name: str


class ServiceCategoryRead(BaseModel):
    code: str
    name: str
    name_en: str
    standard_items: list[str]
    items: list[StandardItemRead] = Field(description="The standard items with their ids and codes")


class ItemSchedule(BaseModel):
    """When an optional item runs, as weekly periods in Shanghai time (a tai-chi class: Tue/Thu 07:00-08:00)."""

    weekly_periods: list[WeeklyPeriodIn]


class OptionalItemCreate(BaseModel):
    station_id: uuid.UUID
    category: str = Field(examples=["culture"])
    title: str = Field(min_length=1, max_length=200, examples=["滨江太极拳班"])
    description: str = Field("", max_length=4000)
    schedule: ItemSchedule | None = None
    schedule_note: str | None = Field(None, max_length=200, examples=["每月第一个周六"])
    capacity: int | None = Field(None, ge=1, le=100_000, description="Places per session")


class OptionalItemUpdate(BaseModel):
    category: str | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    schedule: ItemSchedule | None = None
    schedule_note: str | None = Field(None, max_length=200)
    capacity: int | None = Field(None, ge=1, le=100_000)


class OptionalItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    station_id: uuid.UUID
    category: str
    title: str
    description: str
    schedule: dict[str, Any] | None
    schedule_note: str | None
    capacity: int | None
    created_at: datetime
    updated_at: datetime

    # mypy does not allow a decorator above @property; pydantic documents this ignore for computed_field.
    @computed_field(  # type: ignore[prop-decorator]
        description="The code intake takes for it: its category's (another matter of this category); "
        "optional items are the station's own and have no standard code",
        examples=["culture"],
    )
    @property
    def code(self) -> str:
        return self.category


class ServiceListCategory(BaseModel):
    code: str
    name: str
    standard_items: list[StandardItemRead]
    optional_items: list[OptionalItemRead]


class ServiceListRead(BaseModel):
    """A station's service list: the 7 standard categories with their items, plus its own optional items."""

    station_id: uuid.UUID
    station_name: str
    categories: list[ServiceListCategory]
