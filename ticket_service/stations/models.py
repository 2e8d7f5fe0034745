from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import JSONType, UTCDateTime
from ticket_service.base import Base


class StationCopy(Base):
    """The ticket service's copy of a catalogue station, kept current by `station.*` events.

    Older catalogue events carry only id, subdistrict, community name and name: every other column is
    nullable, and the calendar falls back to ``calendars.DEFAULT_OPENING_HOURS``.
    """

    __tablename__ = "station_copy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subdistrict_name: Mapped[str | None] = mapped_column(sa.String(100))
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))


class StaffCopy(Base):
    """A catalogue staff member as the ticket service needs them (``staff.*`` events)."""

    __tablename__ = "staff_copy"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    role: Mapped[str] = mapped_column(sa.String(40))
    station_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    subdistrict_id: Mapped[uuid.UUID | None]
    department_id: Mapped[uuid.UUID | None]
    service_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DepartmentCopy(Base):
    """A functional department (``department.*`` events); subdistrict_id null = district level."""

    __tablename__ = "department_copy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    service_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
