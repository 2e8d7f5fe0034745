from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from catalog_service.stations import repository, service
from catalog_service.stations.schemas import StationCreate, StationRead, SubdistrictCreate, SubdistrictRead
from shared.auth import Principal, Role, require_roles
from shared.errors import Forbidden
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1", tags=["stations"])

DistrictAdmin = Annotated[Principal, Depends(require_roles(Role.district_admin))]
Administrators = Annotated[Principal, Depends(require_roles(Role.district_admin, Role.subdistrict_admin))]


@router.get("/subdistricts", response_model=list[SubdistrictRead], summary="Pudong's subdistricts")
async def list_subdistricts(session: SessionDep) -> list[SubdistrictRead]:
    return [SubdistrictRead.model_validate(item) for item in await repository.list_subdistricts(session)]


@router.post("/subdistricts", response_model=SubdistrictRead, status_code=status.HTTP_201_CREATED)
async def create_subdistrict(data: SubdistrictCreate, session: SessionDep, _: DistrictAdmin) -> SubdistrictRead:
    return SubdistrictRead.model_validate(await service.create_subdistrict(session, data))


@router.get("/stations", response_model=Page[StationRead], summary="Stations, public")
async def list_stations(
    session: SessionDep,
    page: Annotated[PageParameters, Depends(page_parameters)],
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[StationRead]:
    items, next_cursor = await repository.page_stations(session, page, subdistrict_id)
    return Page(items=[StationRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.post("/stations", response_model=StationRead, status_code=status.HTTP_201_CREATED)
async def create_station(data: StationCreate, session: SessionDep, principal: Administrators) -> StationRead:
    if not principal.is_district_admin and str(data.subdistrict_id) != principal.subdistrict_id:
        raise Forbidden("Subdistrict admins open stations in their own subdistrict.", code="out_of_scope")
    return StationRead.model_validate(await service.create_station(session, data))


@router.get("/stations/{station_id}", response_model=StationRead)
async def get_station(station_id: uuid.UUID, session: SessionDep) -> StationRead:
    return StationRead.model_validate(await service.get_station(session, station_id))
