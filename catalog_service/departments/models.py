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


class Department(Versioned, Synced, Base):
    """A functional department of a subdistrict, or of the district when `subdistrict_id` is null.

    The subdistrict's community affairs acceptance centre is a department of kind `acceptance_centre`.
    """

    __sync_entity__ = "department"

    __tablename__ = "department"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("subdistrict.id"), index=True)
    service_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
