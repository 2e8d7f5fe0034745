"""Local copies of the catalogue's stations, staff and departments, kept current by its events."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation_service.base import Base
from shared.database import JSONType, UTCDateTime


class StationCopy(Base):
    __tablename__ = "station_copy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    community_id: Mapped[uuid.UUID | None] = mapped_column()
    community_name: Mapped[str] = mapped_column(sa.String(100))
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    subdistrict_name: Mapped[str | None] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffCopy(Base):
    """Names and roles for reports (only social workers are assessed). Written by one upsert per event:
    the demo catalogue alone publishes ~11,000 staff events."""

    __tablename__ = "staff_copy"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str | None] = mapped_column(sa.String(40))
    station_id: Mapped[uuid.UUID | None] = mapped_column()
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DepartmentCopy(Base):
    __tablename__ = "department_copy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str | None] = mapped_column(sa.String(40))
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None: a district-level department
    service_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
