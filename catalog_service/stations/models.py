from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.business_calendar import DEFAULT_TIME_ZONE
from shared.conditional import Versioned
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow
from shared.sync import Synced


class Subdistrict(Base):
    __tablename__ = "subdistrict"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # street (街道) or town (镇)
    # The area, as a polygon of [latitude, longitude] vertices; the coverage grid is laid over it.
    boundary: Mapped[list[list[float]] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Community(Synced, Base):
    """A village committee (村委会) or a neighbourhood committee (居委会); it has exactly one station."""

    __sync_entity__ = "community"

    __tablename__ = "community"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20), default="neighbourhood")  # neighbourhood | village
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("subdistrict_id", "name"),)


class Station(Versioned, Synced, Base):
    # Versioned here and on every other row the API edits by PATCH/PUT: the version of its ETag (If-Match).
    __sync_entity__ = "station"
    __tablename__ = "station"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("community.id"), unique=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300))
    latitude: Mapped[float] = mapped_column(sa.Float)
    longitude: Mapped[float] = mapped_column(sa.Float)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # BusinessCalendar.to_dict(), each exception possibly with a "note" (国庆节) for the wall.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSONType)
    time_zone: Mapped[str] = mapped_column(sa.String(60), default=DEFAULT_TIME_ZONE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("subdistrict_id", "community_name"),)
