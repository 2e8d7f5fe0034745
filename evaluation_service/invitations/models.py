from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation_service.base import Base
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class Invitation(Base):
    """A resident's single-use invitation to rate one closed ticket. The token is kept only as a hash.

    The token made when the ticket closes is never shown; the resident's own app (or a station colleague
    who did not handle the ticket, at the desk) asks for a fresh one, which replaces the stored hash, so
    only the latest link works. A link shown at the desk is bound to the resident by a six-digit code
    sent to them (`resident_code_*`, see `codes.py`); the resident's own link needs none.
    """

    __tablename__ = "invitation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # one invitation per closed ticket
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    resident_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    social_worker_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column()
    community_name: Mapped[str] = mapped_column(sa.String(100))
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_category: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_issued_by: Mapped[str | None] = mapped_column(sa.String(64))
    resident_code_hash: Mapped[str | None] = mapped_column(sa.String(100))  # set: the current link is a desk link
    resident_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resident_code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
