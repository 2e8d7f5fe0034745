"""Every query of the HSDS read API (stations come from the snapshot, `stations/snapshot.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.departments.models import Department
from catalog_service.service_lists.models import OptionalItem
from catalog_service.stations.models import Subdistrict


async def subdistricts(session: AsyncSession) -> list[Subdistrict]:
    return list((await session.scalars(sa.select(Subdistrict).order_by(Subdistrict.id))).all())


async def departments(session: AsyncSession) -> list[Department]:
    return list((await session.scalars(sa.select(Department).order_by(Department.id))).all())


async def optional_items(
    session: AsyncSession, *, codes: Collection[str] | None = None, modified_after: datetime | None = None
) -> list[OptionalItem]:
    """Stations' optional items in id order, of these categories, changed at or after `modified_after`."""
    query = sa.select(OptionalItem).order_by(OptionalItem.id)
    if codes is not None:
        query = query.where(OptionalItem.category.in_(codes))
    if modified_after is not None:
        query = query.where(OptionalItem.updated_at >= modified_after)
    return list((await session.scalars(query)).all())


async def get_optional_item(session: AsyncSession, item_id: uuid.UUID) -> OptionalItem | None:
    return await session.get(OptionalItem, item_id)
