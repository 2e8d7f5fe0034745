from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from shared.ids import new_id, utcnow
from ticket_service.base import Base


class Ticket(Base):
    __tablename__ = "ticket"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station_copy.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    service_category: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text)
    resident_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    resident_name: Mapped[str | None] = mapped_column(sa.String(100))
    resident_phone: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(30), default="new")
    owner_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    responsibility_level: Mapped[str] = mapped_column(sa.String(20), default="first_inquiry")
    completed_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
