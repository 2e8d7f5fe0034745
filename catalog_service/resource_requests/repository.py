"""Every query of resource requests: the resource's booking lock, the compare-and-set on a status, lists."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import sees_everything
from catalog_service.demands.models import Demand
from catalog_service.resource_requests.lifecycle import HOLDING_CAPACITY, RequestStatus
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resources.models import Resource, ResourceSubdistrict
from shared.auth import Principal, Role, claim_id
from shared.database import affected_rows
from shared.pagination import PageParameters, keyset_page


async def get_resource(session: AsyncSession, resource_id: uuid.UUID) -> Resource | None:
    return await session.get(Resource, resource_id)


async def offered_to(session: AsyncSession, resource_id: uuid.UUID, subdistrict_id: uuid.UUID) -> bool:
    """Whether the resource is offered to this subdistrict by name (a district-wide one is offered to all)."""
    return await session.get(ResourceSubdistrict, (resource_id, subdistrict_id)) is not None


async def get_demand(session: AsyncSession, demand_id: uuid.UUID) -> Demand | None:
    return await session.get(Demand, demand_id)


async def get_request(session: AsyncSession, request_id: uuid.UUID) -> ResourceRequest | None:
    return await session.get(ResourceRequest, request_id)


async def lock_resource(session: AsyncSession, resource_id: uuid.UUID) -> tuple[int, bool]:
    """Bumps the resource's `booking_version` (its row lock on PostgreSQL, the write lock on SQLite) and
    returns its capacity and whether it is active: bookings of one resource are counted one at a time."""
    locked = await session.execute(
        sa.update(Resource)
        .where(Resource.id == resource_id)
        .values(booking_version=Resource.booking_version + 1, updated_at=Resource.updated_at)
        .returning(Resource.capacity, Resource.active)
    )
    capacity, active = locked.one()
    return capacity, active


async def update_if_status(
    session: AsyncSession, request: ResourceRequest, status: str, values: dict[str, Any]
) -> bool:
    """Compare-and-set: writes `values` only while the request is still in `status`; then re-reads it."""
    result = await session.execute(
        sa.update(ResourceRequest)
        .where(ResourceRequest.id == request.id, ResourceRequest.status == status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(result) != 1:
        return False
    await session.refresh(request)
    return True


async def others_holding(session: AsyncSession, demand_id: uuid.UUID, request_id: uuid.UUID) -> int:
    """How many other requests for the demand still hold capacity."""
    count = await session.scalar(
        sa.select(sa.func.count(ResourceRequest.id)).where(
            ResourceRequest.demand_id == demand_id,
            ResourceRequest.id != request_id,
            ResourceRequest.status.in_(HOLDING_CAPACITY),
        )
    )
    return int(count or 0)


def visible_to(query: sa.Select[Any], principal: Principal) -> sa.Select[Any]:
    """Narrows a request query to those the caller made (their station, subdistrict) or must answer."""
    if sees_everything(principal):
        return query
    # A malformed claim scopes to nothing (claim_id gives None), never a 500.
    conditions = []
    subdistrict, station, department = (
        claim_id(principal.subdistrict_id),
        claim_id(principal.station_id),
        claim_id(principal.department_id),
    )
    if principal.has_role(Role.subdistrict_admin) and subdistrict:
        conditions += [
            ResourceRequest.subdistrict_id == subdistrict,
            ResourceRequest.provider_subdistrict_id == subdistrict,
        ]
    if principal.has_role(Role.department) and department:
        conditions.append(ResourceRequest.provider_department_id == department)
    if principal.has_role(Role.receptionist, Role.social_worker, Role.secretary) and station:
        conditions += [ResourceRequest.station_id == station, ResourceRequest.provider_station_id == station]
    return query.where(sa.or_(*conditions)) if conditions else query.where(sa.false())


async def page_requests(
    session: AsyncSession,
    principal: Principal,
    page: PageParameters,
    *,
    station_id: uuid.UUID | None = None,
    resource_id: uuid.UUID | None = None,
    demand_id: uuid.UUID | None = None,
    provider_department_id: uuid.UUID | None = None,
    status: RequestStatus | None = None,
    requested_date: date | None = None,
) -> tuple[list[ResourceRequest], str | None]:
    query = visible_to(sa.select(ResourceRequest), principal)
    for column, value in (
        (ResourceRequest.station_id, station_id),
        (ResourceRequest.resource_id, resource_id),
        (ResourceRequest.demand_id, demand_id),
        (ResourceRequest.provider_department_id, provider_department_id),
        (ResourceRequest.status, status),
        (ResourceRequest.requested_date, requested_date),
    ):
        if value is not None:
            query = query.where(column == value)
    items, next_cursor = await keyset_page(session, query, ResourceRequest.id, page)
    return list(items), next_cursor
