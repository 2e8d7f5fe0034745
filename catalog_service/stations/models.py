from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class Subdistrict(Base):
    __tablename__ = "subdistrict"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # street (街道) or town (镇)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Station(Base):
    __tablename__ = "station"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300))
    latitude: Mapped[float] = mapped_column(sa.Float)
    longitude: Mapped[float] = mapped_column(sa.Float)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("subdistrict_id", "community_name"),)
