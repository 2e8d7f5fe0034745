"""A station's duty rota as stored: weekly patterns, one-off shifts (overrides), swaps and leave."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from shared.ids import new_id, utcnow
from ticket_service.base import Base


class RotaPattern(Base):
    __tablename__ = "rota_pattern"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station_copy.id"), index=True)
    person_id: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(40))
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RotaShift(Base):
    """A one-off shift: beats the role's patterns for the time it covers."""

    __tablename__ = "rota_shift"
    __table_args__ = (sa.Index("ix_rota_shift_station_id_end_at", "station_id", "end_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station_copy.id"))
    person_id: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(40))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RotaSwap(Base):
    __tablename__ = "rota_swap"
    __table_args__ = (
        sa.UniqueConstraint("station_id", "on_date", "role", "from_person_id"),
        sa.Index("ix_rota_swap_station_id_on_date", "station_id", "on_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("station_copy.id"))
    on_date: Mapped[date] = mapped_column(sa.Date)
    role: Mapped[str] = mapped_column(sa.String(40))
    from_person_id: Mapped[str] = mapped_column(sa.String(64))
    to_person_id: Mapped[str] = mapped_column(sa.String(64))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffLeave(Base):
    """A person's leave: removes them from every shift it overlaps, at every station."""

    __tablename__ = "staff_leave"
    __table_args__ = (sa.Index("ix_staff_leave_person_id_end_at", "person_id", "end_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(sa.String(64))
    station_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("station_copy.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
