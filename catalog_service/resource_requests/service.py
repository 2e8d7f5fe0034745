"""Use cases for resource requests: booking under capacity, the provider's answers. They never commit.

Capacity: a request holds `quantity` units of its resource on its date from the moment it is made until
it is declined or cancelled. Every booking first bumps the resource's `booking_version` (an UPDATE),
which takes the resource's row lock on PostgreSQL and the write lock on SQLite; concurrent bookings of
one resource therefore count the reservations one after the other and can never overbook it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import is_station_staff_of, manages_subdistrict, sees_everything
from catalog_service.demands.models import Demand
from catalog_service.events import (
    RESOURCE_REQUEST_ACCEPTED,
    RESOURCE_REQUEST_CANCELLED,
    RESOURCE_REQUEST_CREATED,
    RESOURCE_REQUEST_DECLINED,
    RESOURCE_REQUEST_DELIVERED,
    RESOURCE_REQUEST_SCHEDULED,
    outbox,
)
from catalog_service.resource_requests import lifecycle
from catalog_service.resource_requests import repository as queries
from catalog_service.resource_requests.lifecycle import IllegalMove, RequestAction, RequestStatus
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resource_requests.schemas import RequestCreate
from catalog_service.resources import availability, repository
from catalog_service.resources.models import Resource
from catalog_service.stations.models import Station
from shared.auth import Principal, Role
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import new_id
from shared.localtime import LOCAL_TIME_ZONE, as_local
from shared.pagination import PageParameters

EVENT_FOR_ACTION = {
    RequestAction.accept: RESOURCE_REQUEST_ACCEPTED,
    RequestAction.decline: RESOURCE_REQUEST_DECLINED,
    RequestAction.schedule: RESOURCE_REQUEST_SCHEDULED,
    RequestAction.deliver: RESOURCE_REQUEST_DELIVERED,
    RequestAction.cancel: RESOURCE_REQUEST_CANCELLED,
}


def request_state(request: ResourceRequest, resource_title: str) -> dict[str, Any]:
    def text(value: Any) -> str | None:
        return str(value) if value is not None else None

    return {
        "id": str(request.id),
        "resource_id": str(request.resource_id),
        "resource_title": resource_title,
        "demand_id": text(request.demand_id),
        "station_id": str(request.station_id),
        "subdistrict_id": str(request.subdistrict_id),
        "provider_department_id": text(request.provider_department_id),
        "provider_station_id": text(request.provider_station_id),
        "provider_subdistrict_id": text(request.provider_subdistrict_id),
        "requested_date": request.requested_date.isoformat(),
        "quantity": request.quantity,
        "status": request.status,
        "scheduled_at": request.scheduled_at.isoformat() if request.scheduled_at else None,
        "delivered_at": request.delivered_at.isoformat() if request.delivered_at else None,
        "decline_reason": request.decline_reason,
    }


async def _resource_for(session: AsyncSession, resource_id: uuid.UUID) -> Resource:
    resource = await queries.get_resource(session, resource_id)
    if resource is None:
        raise Unprocessable("No such resource.", field="resource_id", code="unknown_resource")
    return resource


async def _check_allowed(session: AsyncSession, resource: Resource, station: Station) -> None:
    if resource.district_wide:
        return
    if not await queries.offered_to(session, resource.id, station.subdistrict_id):
        raise Unprocessable(
            "This resource is not offered to the station's subdistrict.",
            field="resource_id",
            code="not_offered_to_subdistrict",
        )


async def _demand_for(session: AsyncSession, demand_id: uuid.UUID, station: Station) -> Demand:
    demand = await queries.get_demand(session, demand_id)
    if demand is None:
        raise Unprocessable("No such demand.", field="demand_id", code="unknown_demand")
    if demand.station_id != station.id:
        raise Unprocessable(
            "The demand belongs to another station.", field="demand_id", code="demand_of_another_station"
        )
    return demand


async def reserve(session: AsyncSession, resource_id: uuid.UUID, day: date, quantity: int) -> int:
    """Takes the resource's lock, then checks that `quantity` more units fit on `day`; returns the capacity."""
    capacity, active = await queries.lock_resource(session, resource_id)
    if not active:
        raise Unprocessable("The resource is withdrawn.", field="resource_id", code="resource_inactive")
    reserved = (await repository.reserved_on(session, [resource_id], day)).get(resource_id, 0)
    if not availability.fits(capacity, reserved, quantity):
        raise Conflict(
            f"Only {availability.remaining(capacity, reserved)} of {capacity} units are free on {day.isoformat()}.",
            code="capacity_exceeded",
            field="quantity",
            remaining=availability.remaining(capacity, reserved),
        )
    return capacity


async def create_request(
    session: AsyncSession, station: Station, data: RequestCreate, *, requested_by: str | None, today: date
) -> ResourceRequest:
    resource = await _resource_for(session, data.resource_id)
    if not resource.active:
        raise Unprocessable("The resource is withdrawn.", field="resource_id", code="resource_inactive")
    await _check_allowed(session, resource, station)
    windows = [
        availability.Window(w.starts_on, w.ends_on, w.weekdays)
        for w in (await repository.windows_of(session, [resource.id]))[resource.id]
    ]
    if not availability.available_on(windows, data.requested_date):
        raise Unprocessable(
            "The resource is not available on that date.", field="requested_date", code="not_available_on_date"
        )
    earliest = availability.earliest_bookable(today, resource.lead_time_days)
    if data.requested_date < earliest:
        raise Unprocessable(
            f"The provider needs {resource.lead_time_days} days' notice: the earliest date is {earliest.isoformat()}.",
            field="requested_date",
            code="lead_time_not_met",
        )
    demand = await _demand_for(session, data.demand_id, station) if data.demand_id is not None else None
    if demand is not None:
        try:
            demand_status = lifecycle.demand_after_request_made(demand.status)
        except IllegalMove as error:
            raise Conflict(f"The demand is {demand.status}.", code=error.code, field="demand_id") from error
    await reserve(session, resource.id, data.requested_date, data.quantity)
    request = ResourceRequest(
        id=new_id(),
        resource_id=resource.id,
        demand_id=demand.id if demand is not None else None,
        station_id=station.id,
        subdistrict_id=station.subdistrict_id,
        provider_department_id=resource.department_id,
        provider_station_id=resource.station_id,
        provider_subdistrict_id=resource.subdistrict_id,
        requested_date=data.requested_date,
        quantity=data.quantity,
        note=data.note,
        status=RequestStatus.requested,
        requested_by=requested_by,
    )
    session.add(request)
    if demand is not None:
        demand.status = demand_status
    await session.flush()
    await outbox.add(session, RESOURCE_REQUEST_CREATED, request_state(request, resource.title), subject=str(request.id))
    return request


async def get_request(session: AsyncSession, request_id: uuid.UUID) -> ResourceRequest:
    request = await queries.get_request(session, request_id)
    if request is None:
        raise NotFound("No such resource request.", code="resource_request_not_found")
    return request


async def act(
    session: AsyncSession,
    request: ResourceRequest,
    action: RequestAction,
    *,
    by: str,
    now: datetime,
    reason: str | None = None,
    scheduled_at: datetime | None = None,
) -> ResourceRequest:
    try:
        new_status = lifecycle.next_request_status(request.status, action)
    except IllegalMove as error:
        raise Conflict(f"A {request.status} request cannot be {action}ed.", code=error.code) from error
    values: dict[str, Any] = {"status": new_status}
    if action is RequestAction.schedule:
        assert scheduled_at is not None
        local = as_local(scheduled_at)
        if local.astimezone(LOCAL_TIME_ZONE).date() != request.requested_date:
            raise Unprocessable(
                "The time must fall on the requested date.", field="scheduled_at", code="not_on_requested_date"
            )
        values["scheduled_at"] = local
    if action is RequestAction.decline:
        values["decline_reason"] = reason
    if action is RequestAction.cancel and reason:
        values["note"] = f"{request.note or ''} [取消: {reason}]".strip()[:500]
    if action is RequestAction.deliver:
        values["delivered_at"] = now
    if action in lifecycle.PROVIDER_ACTIONS:
        values["answered_by"] = by
    # Compare-and-set on the status: two answers racing on one request cannot both win.
    if not await queries.update_if_status(session, request, request.status, values):
        raise Conflict("The request changed meanwhile; reload it.", code="resource_request_changed")
    await _follow_demand(session, request, action, now)
    resource = await queries.get_resource(session, request.resource_id)
    assert resource is not None
    await outbox.add(session, EVENT_FOR_ACTION[action], request_state(request, resource.title), subject=str(request.id))
    return request


async def _follow_demand(session: AsyncSession, request: ResourceRequest, action: RequestAction, now: datetime) -> None:
    if request.demand_id is None:
        return
    demand = await queries.get_demand(session, request.demand_id)
    assert demand is not None
    if action is RequestAction.deliver:
        status = lifecycle.demand_after_delivery(demand.status)
        if status != demand.status:
            demand.status = status
            demand.fulfilled_at = now
    elif action in (RequestAction.decline, RequestAction.cancel):
        others = await queries.others_holding(session, demand.id, request.id)
        demand.status = lifecycle.demand_after_release(demand.status, bool(others))
    await session.flush()


def can_see(principal: Principal, request: ResourceRequest) -> bool:
    return (
        sees_everything(principal)
        or manages_subdistrict(principal, request.subdistrict_id)
        or manages_subdistrict(principal, request.provider_subdistrict_id)
        or (principal.has_role(Role.department) and str(request.provider_department_id) == principal.department_id)
        or is_station_staff_of(principal, request.station_id)
        or is_station_staff_of(principal, request.provider_station_id)
    )


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
    """The requests the caller made or must answer (`repository.visible_to`), with the list's filters."""
    return await queries.page_requests(
        session,
        principal,
        page,
        station_id=station_id,
        resource_id=resource_id,
        demand_id=demand_id,
        provider_department_id=provider_department_id,
        status=status,
        requested_date=requested_date,
    )
