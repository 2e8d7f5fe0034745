"""Use cases for the resource list. They never commit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.departments.service import require_department
from catalog_service.resources import availability, repository
from catalog_service.resources.models import Resource, ResourceSubdistrict, ResourceWindow
from catalog_service.resources.schemas import (
    DayAvailability,
    ResourceCalendarRead,
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    WindowIn,
    WindowRead,
)
from catalog_service.service_lists.categories import check_category
from catalog_service.stations import repository as stations
from catalog_service.stations.service import require_station
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import new_id, utcnow


def windows_from(items: list[WindowIn], field: str = "availability") -> list[availability.Window]:
    try:
        windows = [
            availability.Window(
                item.starts_on, item.ends_on, availability.weekday_mask(item.weekdays, f"{field}[{n}].weekdays")
            )
            for n, item in enumerate(items)
        ]
        availability.check_windows(windows, field)
    except availability.AvailabilityError as error:
        raise Unprocessable(str(error), field=error.field, code=error.reason) from error
    return windows


async def check_subdistricts(
    session: AsyncSession, ids: list[uuid.UUID], field: str = "allowed_subdistrict_ids"
) -> list[uuid.UUID]:
    known = await stations.subdistrict_names(session)
    for position, subdistrict_id in enumerate(ids):
        if subdistrict_id not in known:
            raise Unprocessable("No such subdistrict.", field=f"{field}[{position}]", code="unknown_subdistrict")
    return list(dict.fromkeys(ids))


async def provider_of(
    session: AsyncSession, department_id: uuid.UUID | None, station_id: uuid.UUID | None
) -> dict[str, Any]:
    if (department_id is None) == (station_id is None):
        raise Unprocessable(
            "Name exactly one provider: a department_id or a station_id (the community's).",
            field="department_id",
            code="one_provider_required",
        )
    if department_id is not None:
        department = await require_department(session, department_id)
        return {
            "provider_kind": "department",
            "department_id": department.id,
            "station_id": None,
            "subdistrict_id": department.subdistrict_id,
            "provider_name": department.name,
        }
    assert station_id is not None
    station = await require_station(session, station_id)
    return {
        "provider_kind": "community",
        "department_id": None,
        "station_id": station.id,
        "subdistrict_id": station.subdistrict_id,
        "provider_name": station.community_name,
    }


def _window_rows(resource_id: uuid.UUID, windows: list[availability.Window]) -> list[ResourceWindow]:
    return [
        ResourceWindow(
            id=new_id(), resource_id=resource_id, starts_on=w.starts_on, ends_on=w.ends_on, weekdays=w.weekdays
        )
        for w in windows
    ]


async def create_resource(
    session: AsyncSession, data: ResourceCreate, *, resource_id: uuid.UUID | None = None
) -> Resource:
    provider = await provider_of(session, data.department_id, data.station_id)
    category = check_category(data.category)
    windows = windows_from(data.availability)
    district_wide = data.district_wide or (data.allowed_subdistrict_ids is None and provider["subdistrict_id"] is None)
    allowed: list[uuid.UUID] = []
    if not district_wide:
        allowed = await check_subdistricts(
            session,
            data.allowed_subdistrict_ids if data.allowed_subdistrict_ids is not None else [provider["subdistrict_id"]],
        )
        if not allowed:
            raise Unprocessable(
                "Name at least one subdistrict, or make it district-wide.",
                field="allowed_subdistrict_ids",
                code="required",
            )
    resource = Resource(
        id=resource_id or new_id(),
        title=data.title,
        category=category,
        description=data.description,
        capacity=data.capacity,
        unit=data.unit,
        lead_time_days=data.lead_time_days,
        district_wide=district_wide,
        active=True,
        booking_version=0,
        **provider,
    )
    session.add(resource)
    await session.flush()
    session.add_all(_window_rows(resource.id, windows))
    session.add_all(ResourceSubdistrict(resource_id=resource.id, subdistrict_id=s) for s in allowed)
    await session.flush()
    return resource


async def get_resource(session: AsyncSession, resource_id: uuid.UUID) -> Resource:
    resource = await repository.get_resource(session, resource_id)
    if resource is None:
        raise NotFound("No such resource.", code="resource_not_found")
    return resource


async def update_resource(session: AsyncSession, resource: Resource, data: ResourceUpdate, today: date) -> Resource:
    changes = data.model_dump(exclude_unset=True)
    for field in ("title", "category", "description", "capacity", "unit", "lead_time_days", "active", "district_wide"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be emptied.", field=field, code="required")
    if "category" in changes:
        check_category(changes["category"])
    if "capacity" in changes and changes["capacity"] < resource.capacity:
        booked = await repository.reserved_by_day(session, resource.id, first=today)
        busiest = max(booked.values(), default=0)
        if changes["capacity"] < busiest:
            raise Conflict(
                f"{busiest} units are already booked on one date; the capacity cannot go below that.",
                code="capacity_below_bookings",
                field="capacity",
            )
    if data.availability is not None:
        windows = windows_from(data.availability)
        await repository.delete_windows(session, resource.id)
        session.add_all(_window_rows(resource.id, windows))
    if "district_wide" in changes or "allowed_subdistrict_ids" in changes:
        district_wide = changes.get("district_wide", resource.district_wide)
        if changes.get("allowed_subdistrict_ids") is not None and "district_wide" not in changes:
            district_wide = False
        await repository.delete_allowed(session, resource.id)
        if not district_wide:
            ids = changes.get("allowed_subdistrict_ids") or (
                [resource.subdistrict_id] if resource.subdistrict_id else []
            )
            allowed = await check_subdistricts(session, ids)
            if not allowed:
                raise Unprocessable("Name at least one subdistrict.", field="allowed_subdistrict_ids", code="required")
            session.add_all(ResourceSubdistrict(resource_id=resource.id, subdistrict_id=s) for s in allowed)
        resource.district_wide = district_wide
    for field in ("title", "category", "description", "capacity", "unit", "lead_time_days", "active"):
        if field in changes:
            setattr(resource, field, changes[field])
    if changes:
        resource.updated_at = utcnow()  # windows and subdistricts live in other tables
    await session.flush()
    return resource


async def reads(session: AsyncSession, resources: list[Resource], day: date | None = None) -> list[ResourceRead]:
    ids = [resource.id for resource in resources]
    windows = await repository.windows_of(session, ids)
    allowed = await repository.allowed_of(session, ids)
    reserved = await repository.reserved_on(session, ids, day) if day is not None else {}
    result = []
    for resource in resources:
        remaining = None
        if day is not None:
            usable = resource.active and availability.available_on(
                (availability.Window(w.starts_on, w.ends_on, w.weekdays) for w in windows[resource.id]), day
            )
            remaining = availability.remaining(resource.capacity, reserved.get(resource.id, 0)) if usable else 0
        result.append(
            ResourceRead(
                id=resource.id,
                title=resource.title,
                category=resource.category,
                provider_kind=resource.provider_kind,
                department_id=resource.department_id,
                station_id=resource.station_id,
                subdistrict_id=resource.subdistrict_id,
                provider_name=resource.provider_name,
                description=resource.description,
                capacity=resource.capacity,
                unit=resource.unit,
                lead_time_days=resource.lead_time_days,
                district_wide=resource.district_wide,
                allowed_subdistrict_ids=sorted(allowed[resource.id], key=str),
                availability=[
                    WindowRead(starts_on=w.starts_on, ends_on=w.ends_on, weekdays=availability.weekdays_of(w.weekdays))
                    for w in windows[resource.id]
                ],
                active=resource.active,
                created_at=resource.created_at,
                updated_at=resource.updated_at,
                remaining_on_date=remaining,
            )
        )
    return result


async def calendar(session: AsyncSession, resource: Resource, first: date, last: date) -> ResourceCalendarRead:
    if last < first:
        raise Unprocessable("`to` precedes `from`.", field="to", code="end_before_start")
    if (last - first).days > 366:
        raise Unprocessable("At most a year at a time.", field="to", code="range_too_long")
    windows = [
        availability.Window(w.starts_on, w.ends_on, w.weekdays)
        for w in (await repository.windows_of(session, [resource.id]))[resource.id]
    ]
    booked = await repository.reserved_by_day(session, resource.id, first, last)
    days = []
    day = first
    while day <= last:
        usable = resource.active and availability.available_on(windows, day)
        reserved = booked.get(day, 0)
        days.append(
            DayAvailability(
                day=day,
                available=usable,
                reserved=reserved,
                remaining=availability.remaining(resource.capacity, reserved) if usable else 0,
            )
        )
        day += timedelta(days=1)
    return ResourceCalendarRead(resource_id=resource.id, capacity=resource.capacity, days=days)
