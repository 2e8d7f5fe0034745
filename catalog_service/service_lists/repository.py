"""Every query of the stations' optional service items (the standard items are fixed, in code)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.service_lists.models import OptionalItem
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing, listing


async def add(session: AsyncSession, item: OptionalItem) -> None:
    session.add(item)
    await session.flush()


async def get_optional_item(session: AsyncSession, item_id: uuid.UUID) -> OptionalItem | None:
    return await session.get(OptionalItem, item_id)


async def delete(session: AsyncSession, item: OptionalItem) -> None:
    await session.delete(item)
    await session.flush()


async def page_optional_items(
    session: AsyncSession,
    parameters: PageParameters,
    station_id: uuid.UUID | None,
    category: str | None,
    changes: ChangesToken | None = None,
) -> Listing:
    query: sa.Select[Any] = sa.select(OptionalItem)
    if station_id is not None:
        query = query.where(OptionalItem.station_id == station_id)
    if category is not None:
        query = query.where(OptionalItem.category == category)
    return await listing(session, OptionalItem, query, parameters, changes, scope=sa.select(OptionalItem))


async def optional_items_of(session: AsyncSession, station_id: uuid.UUID) -> list[OptionalItem]:
    query = sa.select(OptionalItem).where(OptionalItem.station_id == station_id).order_by(OptionalItem.id)
    return list((await session.scalars(query)).all())
