"""Every query of the Open311 endpoints: service requests (tickets), their updates, integration keys."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import PageParameters, keyset_page
from ticket_service.open311.models import ApiKey
from ticket_service.replies import repository as replies
from ticket_service.stations.models import StationCopy
from ticket_service.tickets.models import Ticket


@dataclass(frozen=True)
class RequestFilters:
    """What `GET requests` asked for, already checked: ids, or codes, time windows and open/closed."""

    ids: list[uuid.UUID] | None = None
    service_codes: list[str] | None = None
    created: tuple[datetime, datetime] | None = None
    updated: tuple[datetime, datetime] | None = None
    statuses_in: Collection[str] | None = None
    statuses_not_in: Collection[str] | None = None


async def service_requests(session: AsyncSession, filters: RequestFilters, *, limit: int, offset: int) -> list[Ticket]:
    """One page of tickets, newest first (ids are time-ordered)."""
    query = sa.select(Ticket)
    if filters.ids is not None:
        query = query.where(Ticket.id.in_(filters.ids))
    else:
        if filters.service_codes is not None:
            codes = filters.service_codes
            query = query.where(
                sa.or_(
                    Ticket.service_item.in_(codes),
                    sa.and_(Ticket.service_item.is_(None), Ticket.service_category.in_(codes)),
                )
            )
        if filters.created is not None:
            query = query.where(Ticket.created_at >= filters.created[0], Ticket.created_at <= filters.created[1])
        if filters.updated is not None:
            query = query.where(Ticket.updated_at >= filters.updated[0], Ticket.updated_at <= filters.updated[1])
        if filters.statuses_in is not None:
            query = query.where(Ticket.status.in_(list(filters.statuses_in)))
        if filters.statuses_not_in is not None:
            query = query.where(Ticket.status.not_in(list(filters.statuses_not_in)))
    query = query.order_by(Ticket.id.desc()).limit(limit).offset(offset)
    return list(await session.scalars(query))


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


async def tickets_by_ids(session: AsyncSession, ticket_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Ticket]:
    if not ticket_ids:
        return {}
    found = await session.scalars(sa.select(Ticket).where(Ticket.id.in_(list(ticket_ids))))
    return {ticket.id: ticket for ticket in found}


async def ticket_by_token(session: AsyncSession, token: str) -> Ticket | None:
    return await session.scalar(sa.select(Ticket).where(Ticket.open311_token == token))


async def stations_by_ids(session: AsyncSession, station_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, StationCopy]:
    if not station_ids:
        return {}
    rows = await session.scalars(sa.select(StationCopy).where(StationCopy.id.in_(list(station_ids))))
    return {station.id: station for station in rows}


async def public_updates(
    session: AsyncSession, start: datetime, end: datetime, *, limit: int, offset: int
) -> Sequence[Any]:
    """State changes after the request was made and public replies (never a note), in time order."""
    query = replies.public_updates(start, end).limit(limit).offset(offset)
    return list((await session.execute(query)).all())


async def active_key(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return await session.scalar(sa.select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.active.is_(True)))


async def add_key(session: AsyncSession, row: ApiKey) -> None:
    session.add(row)
    await session.flush()


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def page_keys(session: AsyncSession, page: PageParameters) -> tuple[list[ApiKey], str | None]:
    return await keyset_page(session, sa.select(ApiKey), ApiKey.id, page)
