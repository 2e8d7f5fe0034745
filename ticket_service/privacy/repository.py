from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import PageParameters, keyset_page
from ticket_service.privacy.models import ContactRead
from ticket_service.tickets.lifecycle import TicketState
from ticket_service.tickets.models import Ticket


async def page_contact_reads(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    reader_id: str | None = None,
    ticket_id: uuid.UUID | None = None,
    resident_id: str | None = None,
    station_id: uuid.UUID | None = None,
    read_from: datetime | None = None,
    read_to: datetime | None = None,
) -> tuple[list[ContactRead], str | None]:
    query = sa.select(ContactRead)
    if reader_id is not None:
        query = query.where(ContactRead.reader_id == reader_id)
    if ticket_id is not None:
        query = query.where(ContactRead.ticket_id == ticket_id)
    if resident_id is not None:
        query = query.where(ContactRead.resident_id == resident_id)
    if station_id is not None:
        query = query.where(ContactRead.station_id == station_id)
    if read_from is not None:
        query = query.where(ContactRead.read_at >= read_from)
    if read_to is not None:
        query = query.where(ContactRead.read_at < read_to)
    return await keyset_page(session, query, ContactRead.id, parameters)


async def reads_of_request(session: AsyncSession, reader_id: str, request_id: str) -> list[ContactRead]:
    """The contact reads one request of this reader recorded."""
    query = sa.select(ContactRead).where(ContactRead.reader_id == reader_id, ContactRead.request_id == request_id)
    return list((await session.scalars(query)).all())


def _past_retention(before: datetime) -> sa.ColumnElement[bool]:
    """Matters closed or cancelled at or before `before` whose personal data is still there."""
    return sa.and_(
        Ticket.personal_data_removed_at.is_(None),
        sa.or_(
            sa.and_(Ticket.status == TicketState.CLOSED.value, Ticket.closed_at <= before),
            sa.and_(Ticket.status == TicketState.CANCELLED.value, Ticket.cancelled_at <= before),
        ),
    )


async def due_for_anonymising(
    session: AsyncSession, before: datetime, limit: int, *, skip_locked: bool
) -> list[Ticket]:
    """The next `limit` matters past retention, in id order, locked (`SKIP LOCKED`: replicas side by side)."""
    query = (
        sa.select(Ticket)
        .where(_past_retention(before))
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    return list(await session.scalars(query))


async def notes_of(
    session: AsyncSession, table: sa.Table, column: str, ticket_ids: list[uuid.UUID]
) -> list[tuple[Any, uuid.UUID, str]]:
    """(row id, ticket id, text) of the table's rows of these tickets whose `column` holds text."""
    notes = table.c[column]
    rows = await session.execute(
        sa.select(table.c.id, table.c.ticket_id, notes).where(table.c.ticket_id.in_(ticket_ids), notes.is_not(None))
    )
    return [(row_id, ticket_id, note) for row_id, ticket_id, note in rows.all()]


async def set_note(session: AsyncSession, table: sa.Table, column: str, row_id: Any, text: str | None) -> None:
    # A core statement on the table: the history is append-only for the ORM (its guard refuses updates).
    await session.execute(sa.update(table).where(table.c.id == row_id).values({column: text}))


async def forget_residents_in_reads(session: AsyncSession, ticket_ids: list[uuid.UUID]) -> None:
    """The contact-read log keeps who read what, but no longer whose."""
    reads = cast(sa.Table, ContactRead.__table__)
    await session.execute(
        sa.update(reads)
        .where(reads.c.ticket_id.in_(ticket_ids))
        .values(resident_id=None, resident_name_masked=None, resident_phone_masked=None)
    )
