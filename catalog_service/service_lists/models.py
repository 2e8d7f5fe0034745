from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.conditional import Versioned
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow
from shared.sync import Synced


class OptionalItem(Versioned, Synced, Base):
    """An optional item (自选动作) a station adds to its service list for its own residents."""

    __sync_entity__ = "service_item"

    __tablename__ = "optional_item"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Weekly periods (BusinessCalendar dict form) when the item runs; null = during opening hours.
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    schedule_note: Mapped[str | None] = mapped_column(sa.String(200))
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
