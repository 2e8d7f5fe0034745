"""Every query of the demand list."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.demands.models import Demand
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resources.models import Resource
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing, listing


async def add(session: AsyncSession, demand: Demand) -> None:
    session.add(demand)
    await session.flush()


async def get_demand(session: AsyncSession, demand_id: uuid.UUID) -> Demand | None:
    return await session.get(Demand, demand_id)


async def linked_requests(session: AsyncSession, demand_ids: list[uuid.UUID]) -> list[tuple[ResourceRequest, str]]:
    """The resource requests made for these demands, in id order, each with its resource's title."""
    if not demand_ids:
        return []
    query = (
        sa.select(ResourceRequest, Resource.title)
        .join(Resource, Resource.id == ResourceRequest.resource_id)
        .where(ResourceRequest.demand_id.in_(demand_ids))
        .order_by(ResourceRequest.id)
    )
    return [(request, title) for request, title in (await session.execute(query)).all()]


async def page_demands(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    station_id: uuid.UUID | None,
    subdistrict_id: uuid.UUID | None,
    status: str | None,
    category: str | None,
    text: str | None,
    changes: ChangesToken | None = None,
) -> Listing:
    query: sa.Select[Any] = sa.select(Demand)
    if station_id is not None:
        query = query.where(Demand.station_id == station_id)
    if subdistrict_id is not None:
        query = query.where(Demand.subdistrict_id == subdistrict_id)
    if status is not None:
        query = query.where(Demand.status == status)
    if category is not None:
        query = query.where(Demand.category == category)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(sa.or_(Demand.title.ilike(pattern), Demand.description.ilike(pattern)))
    return await listing(session, Demand, query, parameters, changes, scope=sa.select(Demand))
