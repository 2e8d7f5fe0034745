from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import Reader, manages_station_lists, require
from catalog_service.demands import service
from catalog_service.demands.models import Demand
from catalog_service.demands.schemas import DemandClose, DemandCreate, DemandRead, DemandUpdate
from catalog_service.resource_requests.lifecycle import DemandStatus
from catalog_service.stations import service as stations
from shared.auth import Principal, current_principal
from shared.conditional import IfMatch, declare_version
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter

router = APIRouter(prefix="/api/v1", tags=["demands"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]


@router.get("/demands", response_model=SyncPage[DemandRead], summary="The demand list")
async def list_demands(
    session: SessionDep,
    _: Reader,
    page: Annotated[PageParameters, Depends(page_parameters)],
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    status_: Annotated[DemandStatus | None, Query(alias="status")] = None,
    category: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[DemandRead]:
    found = await service.page_demands(
        session,
        page,
        station_id=station_id,
        subdistrict_id=subdistrict_id,
        status=status_,
        category=category,
        text=q,
        changes=changes,
    )
    return found.page(await service.reads(session, found.rows))


@router.get("/demands/{demand_id}", response_model=DemandRead)
async def get_demand(demand_id: uuid.UUID, session: SessionDep, _: Reader) -> DemandRead:
    demand = await service.get_demand(session, demand_id)
    declare_version(demand.version)
    return (await service.reads(session, [demand]))[0]


@router.post("/demands", response_model=DemandRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
async def raise_demand(data: DemandCreate, session: SessionDep, principal: Caller) -> DemandRead:
    station = await stations.require_station(session, data.station_id)
    require(
        manages_station_lists(principal, station.id, station.subdistrict_id),
        "Station staff manage their own station's demands.",
    )
    demand = await service.raise_demand(session, station, data, principal.user_id)
    return (await service.reads(session, [demand]))[0]


async def _managed(session: AsyncSession, demand_id: uuid.UUID, principal: Principal) -> Demand:
    demand = await service.get_demand(session, demand_id)
    require(manages_station_lists(principal, demand.station_id, demand.subdistrict_id), "Not your station's demand.")
    return demand


@router.patch("/demands/{demand_id}", response_model=DemandRead)
async def update_demand(
    demand_id: uuid.UUID, data: DemandUpdate, session: SessionDep, principal: Caller, precondition: IfMatch
) -> DemandRead:
    demand = await _managed(session, demand_id, principal)
    if precondition is not None:
        precondition.require(demand.version)  # 412 when someone changed the demand since this editor read it
    demand = await service.update_demand(session, demand, data)
    await session.flush()  # the ORM raises the version in the UPDATE: the answer's ETag names the new one
    declare_version(demand.version)
    return (await service.reads(session, [demand]))[0]


@router.post(
    "/demands/{demand_id}/close",
    response_model=DemandRead,
    summary="Close a demand that is not fulfilled",
    dependencies=[Idempotent],
)
async def close_demand(demand_id: uuid.UUID, data: DemandClose, session: SessionDep, principal: Caller) -> DemandRead:
    demand = await service.close_demand(session, await _managed(session, demand_id, principal), data.reason)
    return (await service.reads(session, [demand]))[0]
