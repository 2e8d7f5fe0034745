from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from deliberation_service.base import Base
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow


class Meeting(Base):
    """A hearing, coordination meeting, review meeting (of a project) or on-site office session (of a case)."""

    __tablename__ = "meeting"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(sa.String(20))
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    subdistrict_id: Mapped[uuid.UUID]
    project_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("project.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("onsite_case.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(300))
    agenda: Mapped[list[str]] = mapped_column(JSONType, default=list)
    invited_residents: Mapped[list[str]] = mapped_column(JSONType, default=list)
    invited_departments: Mapped[list[str]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(sa.String(20), default="scheduled")
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    attendee_count: Mapped[int | None] = mapped_column(sa.Integer)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    """A resident registered for and/or checked in at a meeting: at most one row per resident per meeting."""

    __tablename__ = "attendance"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    resident_id: Mapped[str] = mapped_column(sa.String(64))
    community_id: Mapped[uuid.UUID | None]
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by: Mapped[str | None] = mapped_column(sa.String(64))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (sa.UniqueConstraint("meeting_id", "resident_id"),)


class Motion(Base):
    __tablename__ = "motion"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The meeting's id when this is its deciding motion, else NULL: the unique constraint allows one per meeting.
    deciding_meeting_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    # The quorum rule in force when the motion was put, so the frozen result can be recomputed.
    quorum_minimum_checked_in: Mapped[int] = mapped_column(sa.Integer)
    quorum_minimum_turnout_percent: Mapped[int] = mapped_column(sa.Integer)
    # The result, computed and frozen when voting closes.
    passed: Mapped[bool | None] = mapped_column(sa.Boolean)
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    yes_count: Mapped[int | None] = mapped_column(sa.Integer)
    no_count: Mapped[int | None] = mapped_column(sa.Integer)
    abstain_count: Mapped[int | None] = mapped_column(sa.Integer)
    checked_in_count: Mapped[int | None] = mapped_column(sa.Integer)
    quorum_met: Mapped[bool | None] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def deciding(self) -> bool:
        return self.deciding_meeting_id is not None


class Vote(Base):
    """One resident's vote on one motion; the unique constraint makes a second vote impossible."""

    __tablename__ = "vote"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    motion_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("motion.id", ondelete="CASCADE"))
    resident_id: Mapped[str] = mapped_column(sa.String(64))
    choice: Mapped[str] = mapped_column(sa.String(10))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("motion_id", "resident_id"),)


class ReviewRating(Base):
    """A resident's quality rating (1-5) of finished work at a review meeting: one per resident per meeting."""

    __tablename__ = "review_rating"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    meeting_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    resident_id: Mapped[str] = mapped_column(sa.String(64))
    score: Mapped[int] = mapped_column(sa.Integer)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "resident_id"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )
