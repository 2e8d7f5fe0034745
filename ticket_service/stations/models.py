from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from ticket_service.base import Base


class StationCopy(Base):
    """The ticket service's copy of a catalogue station, kept current by `station.*` events."""

    __tablename__ = "station_copy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
