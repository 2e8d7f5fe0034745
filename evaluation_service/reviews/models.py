from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from evaluation_service.base import Base
from shared.database import JSONType, UTCDateTime


class ReviewResult(Base):
    """The residents' ratings of one project at its review meeting (评议会). Scores only: which resident
    gave which score is not kept here."""

    __tablename__ = "review_result"

    meeting_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column()
    subdistrict_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    distribution: Mapped[dict[str, int]] = mapped_column(JSONType)  # "1".."5" -> count
    rating_count: Mapped[int] = mapped_column()
    accepted: Mapped[bool | None] = mapped_column()
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
