"""Every query of closures: the stations in scope, in one statement."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.stations.models import Station


async def stations_in_scope(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> list[Station]:
    """Every station of the subdistrict (None: of the district), locked for the change, in id order
    (two bulk changes lock in the same order: no deadlock)."""
    query = sa.select(Station)
    if subdistrict_id is not None:
        query = query.where(Station.subdistrict_id == subdistrict_id)
    return list(await session.scalars(query.order_by(Station.id).with_for_update()))
