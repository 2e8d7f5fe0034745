from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from catalog_service.access import Reader, manages_provider, require
from catalog_service.resources import repository, service
from catalog_service.resources.schemas import ResourceCalendarRead, ResourceCreate, ResourceRead, ResourceUpdate
from catalog_service.service_lists.categories import check_category
from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.conditional import IfMatch, declare_version
from shared.idempotency import Idempotent, IdempotentRoute
from shared.localtime import local_today
from shared.pagination import PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter

router = APIRouter(prefix="/api/v1", tags=["resources"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]


@router.get("/resources", response_model=SyncPage[ResourceRead], summary="Search the resource list")
async def search_resources(
    session: SessionDep,
    _: Reader,
    page: Annotated[PageParameters, Depends(page_parameters)],
    q: Annotated[str | None, Query(max_length=100, description="Text in title, description or provider")] = None,
    category: Annotated[str | None, Query()] = None,
    provider_id: Annotated[uuid.UUID | None, Query(description="A department id or a community's station id")] = None,
    provider: Annotated[str | None, Query(max_length=100, description="Text in the provider's name")] = None,
    date_: Annotated[date | None, Query(alias="date", description="Bookable on this date")] = None,
    subdistrict_id: Annotated[uuid.UUID | None, Query(description="Usable by this subdistrict's stations")] = None,
    include_inactive: bool = False,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[ResourceRead]:
    if category is not None:
        check_category(category)
    found = await repository.search(
        session,
        page,
        text=q,
        category=category,
        provider_id=provider_id,
        provider=provider,
        day=date_,
        subdistrict_id=subdistrict_id,
        include_inactive=include_inactive,
        changes=changes,
    )
    return found.page(await service.reads(session, found.rows, date_))


@router.get("/resources/{resource_id}", response_model=ResourceRead)
async def get_resource(
    resource_id: uuid.UUID, session: SessionDep, _: Reader, date_: Annotated[date | None, Query(alias="date")] = None
) -> ResourceRead:
    resource = await service.get_resource(session, resource_id)
    declare_version(resource.version)
    return (await service.reads(session, [resource], date_))[0]


@router.get("/resources/{resource_id}/availability", response_model=ResourceCalendarRead)
async def resource_availability(
    resource_id: uuid.UUID,
    session: SessionDep,
    _: Reader,
    now: Now,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
) -> ResourceCalendarRead:
    resource = await service.get_resource(session, resource_id)
    first = from_ or local_today(now)
    return await service.calendar(session, resource, first, to or first + timedelta(days=30))


@router.post("/resources", response_model=ResourceRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
async def create_resource(data: ResourceCreate, session: SessionDep, principal: Caller) -> ResourceRead:
    provider = await service.provider_of(session, data.department_id, data.station_id)
    require(
        manages_provider(principal, provider["department_id"], provider["subdistrict_id"]),
        "Departments publish their own resources; admins those of their subdistrict.",
    )
    resource = await service.create_resource(session, data)
    return (await service.reads(session, [resource]))[0]


@router.patch("/resources/{resource_id}", response_model=ResourceRead)
async def update_resource(
    resource_id: uuid.UUID,
    data: ResourceUpdate,
    session: SessionDep,
    principal: Caller,
    now: Now,
    precondition: IfMatch,
) -> ResourceRead:
    resource = await service.get_resource(session, resource_id)
    require(manages_provider(principal, resource.department_id, resource.subdistrict_id), "Not your resource.")
    if precondition is not None:
        # Bookings do not raise it (they take the separate `booking_version`): only edits of the entry do.
        precondition.require(resource.version)
    resource = await service.update_resource(session, resource, data, local_today(now))
    await session.flush()  # the ORM raises the version in the UPDATE: the answer's ETag names the new one
    declare_version(resource.version)
    return (await service.reads(session, [resource]))[0]
