"""Every query of the overview's ticket figures."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.stations.models import StationCopy
from ticket_service.tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class StationPlace:
    id: uuid.UUID
    name: str
    subdistrict_id: uuid.UUID
    subdistrict_name: str | None
    latitude: float | None
    longitude: float | None


async def stations(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> list[StationPlace]:
    query = sa.select(
        StationCopy.id,
        StationCopy.name,
        StationCopy.subdistrict_id,
        StationCopy.subdistrict_name,
        StationCopy.latitude,
        StationCopy.longitude,
    ).order_by(StationCopy.subdistrict_name, StationCopy.name, StationCopy.id)
    if subdistrict_id is not None:
        query = query.where(StationCopy.subdistrict_id == subdistrict_id)
    return [StationPlace(*row) for row in (await session.execute(query)).all()]


async def monthly_counts(
    session: AsyncSession,
    column: sa.orm.InstrumentedAttribute[datetime | None],
    edges: list[datetime],
    scope: uuid.UUID | None,
) -> list[int]:
    """How many tickets have `column` in each month between consecutive `edges` (12 months: 13 edges)."""
    month = sa.case(*((column < edge, index) for index, edge in enumerate(edges[1:])), else_=len(edges) - 1)
    query = sa.select(month, sa.func.count()).where(column >= edges[0], column < edges[-1]).group_by(month)
    if scope is not None:
        query = query.where(Ticket.subdistrict_id == scope)
    counts = [0] * (len(edges) - 1)
    for index, count in (await session.execute(query)).all():
        counts[int(index)] += int(count)
    return counts
