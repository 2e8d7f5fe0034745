from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from deliberation_service.base import Base
from shared.conditional import Versioned
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class Project(Versioned, Base):
    # Versioned: `version` rises with every UPDATE of the row (setting the milestones touches `updated_at`
    # too), the version of its ETag (If-Match on PATCH/PUT).
    __tablename__ = "project"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    service_category: Mapped[str] = mapped_column(sa.String(40))
    place: Mapped[str | None] = mapped_column(sa.String(300))
    planned_budget_yuan: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    planned_start_date: Mapped[date | None] = mapped_column(sa.Date)
    planned_end_date: Mapped[date | None] = mapped_column(sa.Date)
    stage: Mapped[str] = mapped_column(sa.String(30), default="proposed", index=True)
    proposer_id: Mapped[str] = mapped_column(sa.String(64))
    proposer_kind: Mapped[str] = mapped_column(sa.String(20), default="staff")  # resident | staff
    progress_percent: Mapped[int | None] = mapped_column(sa.Integer)
    # The frozen decisions of the deciding motions (None while undecided), read by the stage gates.
    hearing_passed: Mapped[bool | None] = mapped_column(sa.Boolean)
    review_accepted: Mapped[bool | None] = mapped_column(sa.Boolean)
    # Set when a review sends the work back; the first progress report after it may be lower.
    reworking: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    rework_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("progress_percent IS NULL OR (progress_percent BETWEEN 0 AND 100)", name="progress_range"),
    )


class ProjectMilestone(Base):
    __tablename__ = "project_milestone"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_date: Mapped[date] = mapped_column(sa.Date)
    completed_date: Mapped[date | None] = mapped_column(sa.Date)
