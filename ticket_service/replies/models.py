from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from shared.ids import new_id
from ticket_service.base import Base


class TicketMessage(Base):
    """A note (staff only) or a public reply (the resident and Open311) written on a ticket, as typed."""

    __tablename__ = "ticket_message"
    __table_args__ = (
        # A ticket's notes or replies, newest first (keyset pages).
        sa.Index("ix_ticket_message_ticket_id_kind_created_at_id", "ticket_id", "kind", "created_at", "id"),
        # Open311 `servicerequestupdates`: the public replies within a window, in time order.
        sa.Index("ix_ticket_message_kind_created_at_id", "kind", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ticket.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # note | reply (rules.MessageKind)
    text: Mapped[str] = mapped_column(sa.String(2000))
    author_id: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The ticket's state when it was written: a public reply's Open311 status (open/closed) stays as it was.
    ticket_status: Mapped[str] = mapped_column(sa.String(30))
