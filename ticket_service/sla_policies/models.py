from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shared.conditional import Versioned
from shared.database import UTCDateTime
from ticket_service.base import Base


class SlaPolicyRow(Versioned, Base):
    """The SLA budgets (working minutes) for one service category and priority.

    Seeded for every category and priority from the settings (`configured_by` null: it follows the
    settings at each start); once a district admin sets it (`PUT`), the row is the authority.
    """

    __tablename__ = "sla_policy"

    service_category: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    priority: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    accept_minutes: Mapped[float] = mapped_column(sa.Float)
    resolve_minutes: Mapped[float] = mapped_column(sa.Float)
    configured_by: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
