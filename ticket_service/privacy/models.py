from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import JSONType, UTCDateTime
from shared.ids import new_id
from ticket_service.base import Base


class ContactRead(Base):
    """One response that carried a resident's contact in full: who read it, when, whose, through which endpoint.

    The resident is named by account and by masked name and phone only: the log never holds the full
    values it records reads of.
    """

    __tablename__ = "contact_read"
    __table_args__ = (
        sa.Index("ix_contact_read_reader_id_id", "reader_id", "id"),
        sa.Index("ix_contact_read_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)  # uuid7: time order, the page key
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reader_id: Mapped[str] = mapped_column(sa.String(64))
    reader_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ticket.id"))
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    resident_id: Mapped[str | None] = mapped_column(sa.String(64))
    resident_name_masked: Mapped[str | None] = mapped_column(sa.String(100))
    resident_phone_masked: Mapped[str | None] = mapped_column(sa.String(40))
    endpoint: Mapped[str] = mapped_column(sa.String(200))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Why a service read it (`resident_sms`); None for people, whose role and endpoint say it.
    purpose: Mapped[str | None] = mapped_column(sa.String(60))
