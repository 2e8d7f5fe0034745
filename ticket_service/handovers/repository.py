"""Every query of the handovers (the ticket rows themselves come from tickets/repository.py)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.tickets.models import Ticket


async def lock_tickets(session: AsyncSession, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, Ticket]:
    """The tickets locked in id order: two links made at once between the same tickets wait, not deadlock."""
    query = (
        sa.select(Ticket)
        .where(Ticket.id.in_(ticket_ids))
        .order_by(Ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {ticket.id: ticket for ticket in await session.scalars(query)}


async def duplicates_of(session: AsyncSession, parent_id: uuid.UUID) -> list[Ticket]:
    """A parent's duplicates, locked (each gets a history row), oldest first."""
    query = (
        sa.select(Ticket)
        .where(Ticket.duplicate_of_id == parent_id)
        .order_by(Ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(query))
