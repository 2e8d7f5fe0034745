from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from catalog_service.base import Base
from shared.conditional import Versioned
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow
from shared.sync import Synced


class StaffMember(Versioned, Synced, Base):
    """A person in the staff directory: a role at one station, or in one department."""

    __sync_entity__ = "staff"

    __tablename__ = "staff_member"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(40))
    station_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("station.id"), index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("community.id"))
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    service_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
