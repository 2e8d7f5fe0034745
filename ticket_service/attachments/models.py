from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.database import UTCDateTime
from shared.ids import new_id
from ticket_service.base import Base


class Attachment(Base):
    """A file on a ticket (a photo, a scanned form). The bytes live in the object store under
    `storage_key`; a photo the resident allowed to be shown has a public-safe copy under `public_key`,
    served at the unguessable `public_token`. Removed files keep their row (what, when, why), not the bytes.
    The uploaded file's name is not kept: residents' names and addresses end up in file names."""

    __tablename__ = "ticket_attachment"
    __table_args__ = (
        # A ticket's attachments, newest first (keyset pages).
        sa.Index("ix_ticket_attachment_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("ticket.id"))
    uploaded_by: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The type found in the bytes (image/heic ...) and the type stored and served (HEIC becomes JPEG).
    detected_type: Mapped[str] = mapped_column(sa.String(40))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int]
    # The resident allowed a public-safe copy (Open311 `media_url`).
    public: Mapped[bool] = mapped_column(default=False)
    storage_key: Mapped[str | None] = mapped_column(sa.String(200))
    public_key: Mapped[str | None] = mapped_column(sa.String(200))
    public_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(sa.String(20))  # deleted | retention
