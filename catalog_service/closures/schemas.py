from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from catalog_service.stations.schemas import PeriodIn


class ClosureScope(StrEnum):
    DISTRICT = "district"  # every station of Pudong
    SUBDISTRICT = "subdistrict"  # every station of one subdistrict


class ClosureBody(BaseModel):
    """One day's hours for every station in scope: closed all day, or open with the given hours."""

    scope: ClosureScope
    subdistrict_id: uuid.UUID | None = Field(None, description="Required for scope subdistrict.")
    closed: bool = Field(
        description="true: closed all day (a holiday). false: open with `periods` that day, e.g. a working-day "
        "swap (调休) that opens a Saturday with weekday hours."
    )
    periods: list[PeriodIn] = Field(default_factory=list, description="The day's hours when not closed.")
    note: str | None = Field(None, max_length=100, examples=["国庆节"])


class ClosureRead(BaseModel):
    day: date
    scope: ClosureScope
    subdistrict_id: uuid.UUID | None
    closed: bool
    periods: list[PeriodIn]
    note: str | None
    stations_in_scope: int
    stations_changed: int = Field(description="Stations whose hours changed (one station.updated event each).")
