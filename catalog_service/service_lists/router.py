from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import TypeAdapter

from catalog_service.access import manages_station_lists, require
from catalog_service.service_lists import service
from catalog_service.service_lists.categories import STANDARD_CATEGORIES, standard_item_id
from catalog_service.service_lists.schemas import (
    OptionalItemCreate,
    OptionalItemRead,
    OptionalItemUpdate,
    ServiceCategoryRead,
    ServiceListRead,
    StandardItemRead,
)
from catalog_service.stations import service as stations
from shared.auth import Principal, current_principal
from shared.conditional import IfMatch, declare_version
from shared.errors import Conflict
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter

router = APIRouter(prefix="/api/v1", tags=["service lists"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]

STANDARD_ITEM_IDS = frozenset(standard_item_id(c.code, name) for c in STANDARD_CATEGORIES for name in c.standard_items)

_CATEGORIES = [
    ServiceCategoryRead(
        code=c.code,
        name=c.name,
        name_en=c.name_en,
        standard_items=list(c.standard_items),
        items=[StandardItemRead(id=standard_item_id(c.code, name), code=code, name=name) for code, name in c.items],
    )
    for c in STANDARD_CATEGORIES
]


# The same answer for everyone, always: encoded once, as FastAPI would encode it, not on every request.
_CATEGORIES_JSON = TypeAdapter(Page[ServiceCategoryRead]).dump_json(Page(items=_CATEGORIES, next_cursor=None))


@router.get(
    "/service-categories",
    response_model=Page[ServiceCategoryRead],
    summary="The 7 standard service categories every station offers (whole: `next_cursor` is null)",
)
async def list_service_categories() -> Response:
    return Response(_CATEGORIES_JSON, media_type="application/json")


@router.get("/stations/{station_id}/service-list", response_model=ServiceListRead, summary="A station's service list")
async def get_service_list(station_id: uuid.UUID, session: SessionDep) -> ServiceListRead:
    return await service.service_list(session, await stations.get_station(session, station_id))


@router.get("/service-items", response_model=SyncPage[OptionalItemRead], summary="Optional items, public")
async def list_optional_items(
    session: SessionDep,
    page: Annotated[PageParameters, Depends(page_parameters)],
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    category: Annotated[str | None, Query()] = None,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[OptionalItemRead]:
    found = await service.page_optional_items(session, page, station_id, category, changes)
    return found.page([OptionalItemRead.model_validate(item) for item in found.rows])


@router.get("/service-items/{item_id}", response_model=OptionalItemRead)
async def get_optional_item(item_id: uuid.UUID, session: SessionDep) -> OptionalItemRead:
    item = await service.get_optional_item(session, item_id)
    declare_version(item.version)
    return OptionalItemRead.model_validate(item)


@router.post(
    "/service-items", response_model=OptionalItemRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def add_optional_item(data: OptionalItemCreate, session: SessionDep, principal: Caller) -> OptionalItemRead:
    station = await stations.require_station(session, data.station_id)
    require(
        manages_station_lists(principal, station.id, station.subdistrict_id),
        "Station staff manage their own station's optional items.",
    )
    return OptionalItemRead.model_validate(await service.add_optional_item(session, station, data))


@router.patch("/service-items/{item_id}", response_model=OptionalItemRead)
async def update_optional_item(
    item_id: uuid.UUID, data: OptionalItemUpdate, session: SessionDep, principal: Caller, precondition: IfMatch
) -> OptionalItemRead:
    item = await service.get_optional_item(session, item_id)
    station = await stations.get_station(session, item.station_id)
    require(manages_station_lists(principal, station.id, station.subdistrict_id), "Not your station's item.")
    if precondition is not None:
        precondition.require(item.version)  # 412 when someone changed the item since this editor read it
    item = await service.update_optional_item(session, item, data)
    await session.flush()  # the ORM raises the version in the UPDATE: the answer's ETag names the new one
    declare_version(item.version)
    return OptionalItemRead.model_validate(item)


@router.delete("/service-items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_optional_item(item_id: uuid.UUID, session: SessionDep, principal: Caller) -> Response:
    if item_id in STANDARD_ITEM_IDS:
        raise Conflict(
            "Standard items are the same at every station and cannot be removed.", code="standard_item_not_removable"
        )
    item = await service.get_optional_item(session, item_id)
    station = await stations.get_station(session, item.station_id)
    require(manages_station_lists(principal, station.id, station.subdistrict_id), "Not your station's item.")
    await service.delete_optional_item(session, item)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
