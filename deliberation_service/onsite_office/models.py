from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from deliberation_service.base import Base
from shared.database import JSONType, UTCDateTime
from shared.ids import new_id, utcnow


class OnsiteCase(Base):
    """One hard problem that departments come to the station to settle, over as many sessions as it takes."""

    __tablename__ = "onsite_case"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    station_id: Mapped[uuid.UUID] = mapped_column(index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(index=True)
    subdistrict_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    # The ticket that asked for the on-site office, if any: one case per ticket.
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    raised_by: Mapped[str] = mapped_column(sa.String(64))
    # Invited officials by name and title (e.g. a deputy district head); departments are in OnsiteInvitation.
    invited_officials: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(sa.String(20), default="open")  # open | resolved
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnsiteInvitation(Base):
    """A department invited to a case; departments see the cases they are invited to."""

    __tablename__ = "onsite_invitation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("onsite_case.id", ondelete="CASCADE"))
    department_id: Mapped[uuid.UUID] = mapped_column(index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("case_id", "department_id"),)


class OnsiteCommitment(Base):
    """What a department or official promised at a session, with an owner and a due date."""

    __tablename__ = "onsite_commitment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("onsite_case.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("meeting.id"))
    description: Mapped[str] = mapped_column(sa.Text)
    owner_name: Mapped[str] = mapped_column(sa.String(200))
    owner_department_id: Mapped[uuid.UUID | None]
    due_date: Mapped[date] = mapped_column(sa.Date)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
