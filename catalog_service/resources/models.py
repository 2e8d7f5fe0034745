from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.conditional import Versioned
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow
from shared.sync import Synced


class Resource(Versioned, Synced, Base):
    """An entry of the resource list, published by a department or by a community (its station).

    `capacity` is how many units can be booked per date (one drama act, 20 book crates).
    """

    __sync_entity__ = "resource"

    __tablename__ = "resource"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    provider_kind: Mapped[str] = mapped_column(sa.String(20))  # department | community
    department_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    station_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("station.id"), index=True)
    # The provider's subdistrict; null for a district-level department.
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    provider_name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    capacity: Mapped[int] = mapped_column(sa.Integer)
    unit: Mapped[str] = mapped_column(sa.String(20), default="次")
    lead_time_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    district_wide: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # Bumped by every booking: the UPDATE takes the row lock that serialises bookings of one resource.
    booking_version: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ResourceWindow(Base):
    """A date range in which the resource can be booked, on the weekdays of `weekdays` (bit 0 = Monday)."""

    __tablename__ = "resource_window"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resource_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    weekdays: Mapped[int] = mapped_column(sa.Integer, default=127)


class ResourceSubdistrict(Base):
    """A subdistrict whose stations may use the resource (when it is not district-wide)."""

    __tablename__ = "resource_subdistrict"

    resource_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subdistrict.id"), primary_key=True, index=True)
