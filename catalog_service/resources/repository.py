from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.resource_requests.lifecycle import HOLDING_CAPACITY
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resources.models import Resource, ResourceSubdistrict, ResourceWindow
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing, listing


async def windows_of(session: AsyncSession, resource_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ResourceWindow]]:
    found: dict[uuid.UUID, list[ResourceWindow]] = defaultdict(list)
    if resource_ids:
        query = (
            sa.select(ResourceWindow)
            .where(ResourceWindow.resource_id.in_(resource_ids))
            .order_by(ResourceWindow.starts_on, ResourceWindow.id)
        )
        for window in (await session.scalars(query)).all():
            found[window.resource_id].append(window)
    return found


async def allowed_of(session: AsyncSession, resource_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if resource_ids:
        query = sa.select(ResourceSubdistrict.resource_id, ResourceSubdistrict.subdistrict_id).where(
            ResourceSubdistrict.resource_id.in_(resource_ids)
        )
        for resource_id, subdistrict_id in (await session.execute(query)).all():
            found[resource_id].append(subdistrict_id)
    return found


async def reserved_on(session: AsyncSession, resource_ids: list[uuid.UUID], day: date) -> dict[uuid.UUID, int]:
    if not resource_ids:
        return {}
    query = (
        sa.select(ResourceRequest.resource_id, sa.func.coalesce(sa.func.sum(ResourceRequest.quantity), 0))
        .where(
            ResourceRequest.resource_id.in_(resource_ids),
            ResourceRequest.requested_date == day,
            ResourceRequest.status.in_(HOLDING_CAPACITY),
        )
        .group_by(ResourceRequest.resource_id)
    )
    return {resource_id: int(total) for resource_id, total in (await session.execute(query)).all()}


async def reserved_by_day(
    session: AsyncSession, resource_id: uuid.UUID, first: date | None = None, last: date | None = None
) -> dict[date, int]:
    query = sa.select(ResourceRequest.requested_date, sa.func.sum(ResourceRequest.quantity)).where(
        ResourceRequest.resource_id == resource_id, ResourceRequest.status.in_(HOLDING_CAPACITY)
    )
    if first is not None:
        query = query.where(ResourceRequest.requested_date >= first)
    if last is not None:
        query = query.where(ResourceRequest.requested_date <= last)
    rows = await session.execute(query.group_by(ResourceRequest.requested_date))
    return {day: int(total) for day, total in rows.all()}


def usable_by(subdistrict_id: uuid.UUID) -> sa.ColumnElement[bool]:
    allowed = sa.exists().where(
        ResourceSubdistrict.resource_id == Resource.id, ResourceSubdistrict.subdistrict_id == subdistrict_id
    )
    return sa.or_(Resource.district_wide.is_(True), allowed)


def available_on(day: date) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        ResourceWindow.resource_id == Resource.id,
        ResourceWindow.starts_on <= day,
        ResourceWindow.ends_on >= day,
        ResourceWindow.weekdays.op("&")(1 << day.weekday()) != 0,
    )


async def search(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    text: str | None = None,
    category: str | None = None,
    provider_id: uuid.UUID | None = None,
    provider: str | None = None,
    day: date | None = None,
    subdistrict_id: uuid.UUID | None = None,
    include_inactive: bool = False,
    changes: ChangesToken | None = None,
) -> Listing:
    query = sa.select(Resource)
    if not include_inactive:
        query = query.where(Resource.active.is_(True))
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            sa.or_(
                Resource.title.ilike(pattern),
                Resource.description.ilike(pattern),
                Resource.provider_name.ilike(pattern),
            )
        )
    if category is not None:
        query = query.where(Resource.category == category)
    if provider_id is not None:
        query = query.where(sa.or_(Resource.department_id == provider_id, Resource.station_id == provider_id))
    if provider:
        query = query.where(Resource.provider_name.ilike(f"%{provider.strip()}%"))
    if day is not None:
        query = query.where(available_on(day))
    if subdistrict_id is not None:
        query = query.where(usable_by(subdistrict_id))
    return await listing(session, Resource, query, parameters, changes, scope=sa.select(Resource))


async def get_resource(session: AsyncSession, resource_id: uuid.UUID) -> Resource | None:
    return await session.get(Resource, resource_id)


async def delete_windows(session: AsyncSession, resource_id: uuid.UUID) -> None:
    await session.execute(sa.delete(ResourceWindow).where(ResourceWindow.resource_id == resource_id))


async def delete_allowed(session: AsyncSession, resource_id: uuid.UUID) -> None:
    await session.execute(sa.delete(ResourceSubdistrict).where(ResourceSubdistrict.resource_id == resource_id))
