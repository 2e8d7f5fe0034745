"""Every query of reassignment: open tickets of absent owners, and who is absent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.reassignment.rules import LeaveSpan
from ticket_service.rota.models import StaffLeave
from ticket_service.stations.models import StaffCopy
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.repository import OPEN

PERSON = "person"


def _open_owned() -> list[sa.ColumnElement[bool]]:
    return [Ticket.owner_kind == PERSON, Ticket.status.in_(OPEN)]


async def open_tickets_of(
    session: AsyncSession, person_id: str, scope: sa.ColumnElement[bool] | None = None
) -> list[Ticket]:
    """The person's open tickets, locked for the move (oldest first)."""
    query = sa.select(Ticket).where(Ticket.owner_id == person_id, *_open_owned())
    if scope is not None:
        query = query.where(scope)
    return list(await session.scalars(query.order_by(Ticket.id).with_for_update()))


def _absent_owner(now: datetime) -> sa.ColumnElement[bool]:
    inactive = sa.select(StaffCopy.id).where(StaffCopy.active.is_(False))
    on_leave = sa.select(StaffLeave.person_id).where(StaffLeave.start_at <= now, StaffLeave.end_at > now)
    return sa.or_(Ticket.owner_id.in_(inactive), Ticket.owner_id.in_(on_leave))


async def tickets_with_absent_owners(
    session: AsyncSession, now: datetime, after: uuid.UUID | None, limit: int, *, skip_locked: bool
) -> list[Ticket]:
    """Open tickets owned by someone inactive or on leave at ``now``, in id order from ``after`` on.

    The owner index (owner_id, status) answers the IN lists; the lists are the few absent people.
    """
    query = sa.select(Ticket).where(*_open_owned(), _absent_owner(now))
    if after is not None:
        query = query.where(Ticket.id > after)
    query = query.order_by(Ticket.id).limit(limit).with_for_update(skip_locked=skip_locked)
    return list(await session.scalars(query))


async def inactive_among(session: AsyncSession, people: Sequence[str]) -> set[str]:
    if not people:
        return set()
    query = sa.select(StaffCopy.id).where(StaffCopy.id.in_(sorted(set(people))), StaffCopy.active.is_(False))
    return set(await session.scalars(query))


async def leaves_at(session: AsyncSession, people: Sequence[str], now: datetime) -> list[LeaveSpan]:
    if not people:
        return []
    query = sa.select(StaffLeave).where(
        StaffLeave.person_id.in_(sorted(set(people))), StaffLeave.start_at <= now, StaffLeave.end_at > now
    )
    return [
        LeaveSpan(person_id=row.person_id, start_at=row.start_at, end_at=row.end_at)
        for row in await session.scalars(query)
    ]


async def staff_member(session: AsyncSession, person_id: str) -> StaffCopy | None:
    """Re-read from the database: the event handler has just upserted the row with a Core statement."""
    return await session.get(StaffCopy, person_id, populate_existing=True)
