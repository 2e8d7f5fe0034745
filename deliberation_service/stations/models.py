from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from deliberation_service.base import Base
from shared.database import UTCDateTime
from shared.localtime import LOCAL_TIME_ZONE_NAME

DEFAULT_TIME_ZONE = LOCAL_TIME_ZONE_NAME  # a station whose event named no zone keeps the district's


class StationCopy(Base):
    """The deliberation service's copy of a catalogue station, kept current by `station.*` events."""

    __tablename__ = "station_copy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    time_zone: Mapped[str] = mapped_column(sa.String(60), default=DEFAULT_TIME_ZONE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
