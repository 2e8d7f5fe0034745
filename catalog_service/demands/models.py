from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.conditional import Versioned
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow
from shared.sync import Synced


class Demand(Versioned, Synced, Base):
    """An entry of a station's demand list: what its residents or the station itself need."""

    __sync_entity__ = "demand"

    __tablename__ = "demand"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("community.id"))
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    urgency: Mapped[str] = mapped_column(sa.String(20), default="normal")
    source: Mapped[str] = mapped_column(sa.String(20), default="station")  # resident | station
    raised_by: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    close_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
