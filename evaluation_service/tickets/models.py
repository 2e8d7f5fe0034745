from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation_service.base import Base
from shared.database import JSONType, UTCDateTime
from shared.ids import utcnow


class ClosedTicket(Base):
    """What the ticket service said when a ticket closed: who handled it, where, and its on-time figures.

    The denominator of response rates and the source of the assessment's ticket figures.
    """

    __tablename__ = "closed_ticket"

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_category: Mapped[str | None] = mapped_column(sa.String(40))
    responsibility_level: Mapped[str | None] = mapped_column(sa.String(20))
    owner_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    completed_by: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    resident_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The names the ticket service knows for this matter (the resident's, their household's), kept only to
    # mask them wherever they are typed here; removed with the resident's account by retention.
    resident_names: Mapped[list[str] | None] = mapped_column(JSONType)
    handled_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    accepted_on_time: Mapped[bool | None] = mapped_column()
    resolved_on_time: Mapped[bool | None] = mapped_column()
    acceptance_working_minutes: Mapped[int | None] = mapped_column()
    resolution_working_minutes: Mapped[int | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the retention period removed the resident's personal data (evaluation_service/retention.py).
    personal_data_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
