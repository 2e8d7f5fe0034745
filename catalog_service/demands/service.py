"""Use cases for the demand list. They never commit."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.demands import repository
from catalog_service.demands.models import Demand
from catalog_service.demands.schemas import DemandCreate, DemandRead, DemandUpdate, LinkedRequest
from catalog_service.resource_requests.lifecycle import DemandStatus, IllegalMove, demand_after_close
from catalog_service.service_lists.categories import check_category
from catalog_service.stations.models import Station
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import new_id, utcnow
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing


async def raise_demand(session: AsyncSession, station: Station, data: DemandCreate, raised_by: str | None) -> Demand:
    demand = Demand(
        id=new_id(),
        station_id=station.id,
        community_id=station.community_id,
        subdistrict_id=station.subdistrict_id,
        category=check_category(data.category),
        title=data.title,
        description=data.description,
        urgency=data.urgency,
        source=data.source,
        raised_by=raised_by,
        status=DemandStatus.open,
    )
    await repository.add(session, demand)
    return demand


async def get_demand(session: AsyncSession, demand_id: uuid.UUID) -> Demand:
    demand = await repository.get_demand(session, demand_id)
    if demand is None:
        raise NotFound("No such demand.", code="demand_not_found")
    return demand


async def update_demand(session: AsyncSession, demand: Demand, data: DemandUpdate) -> Demand:
    if demand.status in (DemandStatus.fulfilled, DemandStatus.closed):
        raise Conflict(f"The demand is {demand.status}.", code=f"demand_already_{demand.status}")
    changes = data.model_dump(exclude_unset=True)
    for field in ("category", "title", "description", "urgency"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be emptied.", field=field, code="required")
    if "category" in changes:
        check_category(changes["category"])
    for field, value in changes.items():
        setattr(demand, field, value)
    await session.flush()
    return demand


async def close_demand(session: AsyncSession, demand: Demand, reason: str) -> Demand:
    try:
        demand.status = demand_after_close(demand.status)
    except IllegalMove as error:
        raise Conflict(f"The demand is {demand.status}.", code=error.code) from error
    demand.close_reason = reason
    demand.closed_at = utcnow()
    await session.flush()
    return demand


async def reads(session: AsyncSession, demands: list[Demand]) -> list[DemandRead]:
    ids = [demand.id for demand in demands]
    linked: dict[uuid.UUID, list[LinkedRequest]] = defaultdict(list)
    for request, title in await repository.linked_requests(session, ids):
        assert request.demand_id is not None
        linked[request.demand_id].append(
            LinkedRequest(
                id=request.id,
                resource_id=request.resource_id,
                resource_title=title,
                status=request.status,
                requested_date=request.requested_date.isoformat(),
            )
        )
    return [
        DemandRead(
            id=d.id,
            station_id=d.station_id,
            community_id=d.community_id,
            subdistrict_id=d.subdistrict_id,
            category=d.category,
            title=d.title,
            description=d.description,
            urgency=d.urgency,
            source=d.source,
            raised_by=d.raised_by,
            status=d.status,
            close_reason=d.close_reason,
            created_at=d.created_at,
            updated_at=d.updated_at,
            fulfilled_at=d.fulfilled_at,
            closed_at=d.closed_at,
            requests=linked[d.id],
        )
        for d in demands
    ]


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
    return await repository.page_demands(
        session,
        parameters,
        station_id=station_id,
        subdistrict_id=subdistrict_id,
        status=status,
        category=check_category(category) if category is not None else None,
        text=text,
        changes=changes,
    )
