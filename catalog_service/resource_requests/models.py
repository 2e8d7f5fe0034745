from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class ResourceRequest(Base):
    """A station asks a provider for `quantity` units of a resource on one date, usually for a demand."""

    __tablename__ = "resource_request"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    resource_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("resource.id"))
    demand_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("demand.id"), index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station.id"), index=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    # Who answers: the providing department, or the providing community's station; and its subdistrict.
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    provider_station_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("station.id"))
    provider_subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("subdistrict.id"))
    requested_date: Mapped[date] = mapped_column(sa.Date)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(20), default="requested", index=True)
    decline_reason: Mapped[str | None] = mapped_column(sa.String(500))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by: Mapped[str | None] = mapped_column(sa.String(100))
    answered_by: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.Index("ix_resource_request_resource_day", "resource_id", "requested_date"),)
