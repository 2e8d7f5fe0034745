"""This domain's tables: each person's feed items, the per-person cursor, and a copy of the staff directory
(who answers a station's or a department's resource requests)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notification_service.base import Base
from shared.database import UTCDateTime
from shared.ids import new_id, utcnow


class FeedItem(Base):
    """One thing a person should look at, written in the inbox transaction of the event that caused it.

    `sequence` counts the person's items from 1 and is the stream's `id:` (Last-Event-ID); it is drawn
    from the person's `FeedCursor` row, whose lock is held until commit, so a person's items commit in
    `sequence` order and a stream that sent item n never later finds an item below n.
    """

    __tablename__ = "feed_item"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "sequence", name="uq_feed_item_person_sequence"),
        sa.UniqueConstraint("event_id", "person_id", name="uq_feed_item_event_person"),
        sa.Index("ix_feed_item_person_unread", "person_id", "read_at"),
        sa.Index("ix_feed_item_person_change", "person_id", "change"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(sa.String(64))
    sequence: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.String(300))
    link: Mapped[str | None] = mapped_column(sa.String(300))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    urgent: Mapped[bool] = mapped_column(default=False)
    change: Mapped[str | None] = mapped_column(sa.String(120))  # drafts.FeedDraft.change
    event_id: Mapped[str] = mapped_column(sa.String(64))
    event_type: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedCursor(Base):
    """A person's last item number: the counter `FeedItem.sequence` is drawn from (and its lock)."""

    __tablename__ = "feed_cursor"

    person_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class FeedStaff(Base):
    """The catalogue's staff member as far as the feed needs it (``staff.*`` events): where they work."""

    __tablename__ = "feed_staff"
    __table_args__ = (
        sa.Index("ix_feed_staff_station", "station_id"),
        sa.Index("ix_feed_staff_department", "department_id"),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(40))
    station_id: Mapped[str | None] = mapped_column(sa.String(64))
    department_id: Mapped[str | None] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
