from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class OverviewStation(BaseModel):
    """One station's place and backlog (names are the catalogue's: public; no resident is counted by name)."""

    id: uuid.UUID
    name: str
    subdistrict_id: uuid.UUID
    subdistrict_name: str | None
    latitude: float | None = Field(description="WGS 84; null when the catalogue has none.")
    longitude: float | None
    open: int = Field(description="Not resolved, closed or cancelled.")
    overdue: int = Field(description="Open and past an SLA due time or breached (as the list's `overdue=true`).")


class OverviewMonth(BaseModel):
    month: str = Field(description="YYYY-MM, Shanghai time.")
    raised: int = Field(description="Tickets created in the month.")
    closed: int = Field(description="Tickets closed in the month (their latest closing).")


class TicketOverview(BaseModel):
    """The ticket figures of the district overview, over the caller's part of the district."""

    year: int
    subdistrict_id: uuid.UUID | None = Field(description="The caller's subdistrict; null: the whole district.")
    stations: list[OverviewStation]
    months: list[OverviewMonth]
