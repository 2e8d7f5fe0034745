from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from deliberation_service.base import Base
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow


class AuditEntry(Base):
    """One changed value: who changed what, when, from which old value to which new value."""

    __tablename__ = "audit_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    entity_type: Mapped[str] = mapped_column(sa.String(30))
    entity_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # The project, meeting or case the change belongs to, so one query shows a whole history.
    scope_id: Mapped[uuid.UUID] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    field: Mapped[str] = mapped_column(sa.String(60))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    actor_id: Mapped[str] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
