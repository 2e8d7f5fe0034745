from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evaluation_service.base import Base
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class Rating(Base):
    """A resident's rating of one closed ticket. Exactly one per ticket, and never changed once stored.

    It keeps the social worker, station, community and subdistrict as they were when the ticket closed,
    so a later transfer or rename does not move old ratings.
    """

    __tablename__ = "rating"
    __table_args__ = (
        sa.CheckConstraint("attitude BETWEEN 1 AND 5", name="attitude_range"),
        sa.CheckConstraint("ability BETWEEN 1 AND 5", name="ability_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # exactly one rating per ticket
    invitation_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("invitation.id"), unique=True)
    attitude: Mapped[int] = mapped_column(sa.SmallInteger)
    ability: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(sa.String(20))
    submitted_by: Mapped[str | None] = mapped_column(sa.String(64))  # the staff member, in person
    resident_confirmed: Mapped[bool] = mapped_column(default=True)
    social_worker_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    community_name: Mapped[str] = mapped_column(sa.String(100))
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    service_category: Mapped[str | None] = mapped_column(sa.String(40))
    ticket_closed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    follow_up_required: Mapped[bool] = mapped_column(index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="rating", order_by="FollowUp.recorded_at", lazy="raise", viewonly=True
    )
    appeal: Mapped[Appeal | None] = relationship(back_populates="rating", lazy="raise", viewonly=True)


class RatingIsImmutable(RuntimeError):
    pass


@event.listens_for(Rating, "before_update")
def _refuse_update(mapper: object, connection: object, target: Rating) -> None:
    raise RatingIsImmutable(f"rating {target.id} is immutable; a dispute is an appeal record")


class FollowUp(Base):
    """What the department did about a rating (a history: one row per action)."""

    __tablename__ = "follow_up"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    rating_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rating.id"), index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rating: Mapped[Rating] = relationship(back_populates="follow_ups", lazy="raise")


class Appeal(Base):
    """A dispute about a rating, decided by the department. The rating itself never changes; an upheld
    appeal leaves it out of reports and assessments."""

    __tablename__ = "appeal"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    rating_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rating.id"), unique=True)  # one per rating
    ticket_id: Mapped[uuid.UUID] = mapped_column()
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    raised_by: Mapped[str] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rating: Mapped[Rating] = relationship(back_populates="appeal", lazy="raise")
