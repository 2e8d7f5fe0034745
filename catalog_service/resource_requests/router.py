from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import Reader, manages_provider, manages_station_lists, require
from catalog_service.resource_requests import service
from catalog_service.resource_requests.lifecycle import RequestAction, RequestStatus
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resource_requests.schemas import (
    RequestCancel,
    RequestCreate,
    RequestDecline,
    RequestRead,
    RequestSchedule,
)
from catalog_service.stations import service as stations
from shared.auth import Principal, current_principal
from shared.clock import Now
from shared.errors import NotFound
from shared.idempotency import Idempotent, IdempotentRoute
from shared.localtime import local_today
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1", tags=["resource requests"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]


@router.get("/resource-requests", response_model=Page[RequestRead], summary="Requests the caller made or must answer")
async def list_requests(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParameters, Depends(page_parameters)],
    station_id: Annotated[uuid.UUID | None, Query(description="The requesting station")] = None,
    resource_id: Annotated[uuid.UUID | None, Query()] = None,
    demand_id: Annotated[uuid.UUID | None, Query()] = None,
    provider_department_id: Annotated[uuid.UUID | None, Query()] = None,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
    date_: Annotated[date | None, Query(alias="date")] = None,
) -> Page[RequestRead]:
    items, next_cursor = await service.page_requests(
        session,
        principal,
        page,
        station_id=station_id,
        resource_id=resource_id,
        demand_id=demand_id,
        provider_department_id=provider_department_id,
        status=status_,
        requested_date=date_,
    )
    return Page(items=[RequestRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/resource-requests/{request_id}", response_model=RequestRead)
async def get_request(request_id: uuid.UUID, session: SessionDep, principal: Reader) -> RequestRead:
    request = await service.get_request(session, request_id)
    if not service.can_see(principal, request):
        raise NotFound("No such resource request.", code="resource_request_not_found")
    return RequestRead.model_validate(request)


@router.post(
    "/resource-requests", response_model=RequestRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def create_request(data: RequestCreate, session: SessionDep, principal: Caller, now: Now) -> RequestRead:
    station = await stations.require_station(session, data.station_id)
    require(
        manages_station_lists(principal, station.id, station.subdistrict_id),
        "Station staff ask for resources for their own station.",
    )
    request = await service.create_request(
        session, station, data, requested_by=principal.user_id, today=local_today(now)
    )
    return RequestRead.model_validate(request)


async def _answerable(session: AsyncSession, request_id: uuid.UUID, principal: Principal) -> ResourceRequest:
    request = await service.get_request(session, request_id)
    if not service.can_see(principal, request):
        raise NotFound("No such resource request.", code="resource_request_not_found")
    require(
        manages_provider(principal, request.provider_department_id, request.provider_subdistrict_id),
        "Only the provider answers a request.",
    )
    return request


@router.post("/resource-requests/{request_id}/accept", response_model=RequestRead, dependencies=[Idempotent])
async def accept(request_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now) -> RequestRead:
    request = await _answerable(session, request_id, principal)
    return RequestRead.model_validate(
        await service.act(session, request, RequestAction.accept, by=principal.user_id, now=now)
    )


@router.post("/resource-requests/{request_id}/decline", response_model=RequestRead, dependencies=[Idempotent])
async def decline(
    request_id: uuid.UUID, data: RequestDecline, session: SessionDep, principal: Caller, now: Now
) -> RequestRead:
    request = await _answerable(session, request_id, principal)
    return RequestRead.model_validate(
        await service.act(session, request, RequestAction.decline, by=principal.user_id, now=now, reason=data.reason)
    )


@router.post("/resource-requests/{request_id}/schedule", response_model=RequestRead, dependencies=[Idempotent])
async def schedule(
    request_id: uuid.UUID, data: RequestSchedule, session: SessionDep, principal: Caller, now: Now
) -> RequestRead:
    request = await _answerable(session, request_id, principal)
    return RequestRead.model_validate(
        await service.act(
            session, request, RequestAction.schedule, by=principal.user_id, now=now, scheduled_at=data.scheduled_at
        )
    )


@router.post("/resource-requests/{request_id}/deliver", response_model=RequestRead, dependencies=[Idempotent])
async def deliver(request_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now) -> RequestRead:
    request = await _answerable(session, request_id, principal)
    return RequestRead.model_validate(
        await service.act(session, request, RequestAction.deliver, by=principal.user_id, now=now)
    )


@router.post("/resource-requests/{request_id}/cancel", response_model=RequestRead, dependencies=[Idempotent])
async def cancel(
    request_id: uuid.UUID, data: RequestCancel, session: SessionDep, principal: Caller, now: Now
) -> RequestRead:
    request = await service.get_request(session, request_id)
    if not service.can_see(principal, request):
        raise NotFound("No such resource request.", code="resource_request_not_found")
    require(
        manages_station_lists(principal, request.station_id, request.subdistrict_id),
        "Only the requesting station cancels its request.",
    )
    return RequestRead.model_validate(
        await service.act(session, request, RequestAction.cancel, by=principal.user_id, now=now, reason=data.reason)
    )
