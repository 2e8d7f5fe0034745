from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import PageParameters, keyset_page
from ticket_service.stations.models import StationCopy
from ticket_service.tickets.models import Ticket


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> StationCopy | None:
    return await session.get(StationCopy, station_id)


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
    return await session.get(Ticket, ticket_id, with_for_update=for_update)


async def page_tickets(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    station_id: uuid.UUID | None = None,
    resident_id: str | None = None,
    status: str | None = None,
) -> tuple[list[Ticket], str | None]:
    query = sa.select(Ticket)
    if station_id is not None:
        query = query.where(Ticket.station_id == station_id)
    if resident_id is not None:
        query = query.where(Ticket.resident_id == resident_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    return await keyset_page(session, query, Ticket.id, parameters)
