from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.stations.models import Station, Subdistrict
from shared.pagination import PageParameters, keyset_page


async def get_subdistrict(session: AsyncSession, subdistrict_id: uuid.UUID) -> Subdistrict | None:
    return await session.get(Subdistrict, subdistrict_id)


async def subdistrict_named(session: AsyncSession, name: str) -> Subdistrict | None:
    return await session.scalar(sa.select(Subdistrict).where(Subdistrict.name == name))


async def list_subdistricts(session: AsyncSession) -> list[Subdistrict]:
    return list((await session.scalars(sa.select(Subdistrict).order_by(Subdistrict.name))).all())


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station | None:
    return await session.get(Station, station_id)


async def station_for_community(session: AsyncSession, subdistrict_id: uuid.UUID, community: str) -> Station | None:
    return await session.scalar(
        sa.select(Station).where(Station.subdistrict_id == subdistrict_id, Station.community_name == community)
    )


async def page_stations(
    session: AsyncSession, parameters: PageParameters, subdistrict_id: uuid.UUID | None = None
) -> tuple[list[Station], str | None]:
    query = sa.select(Station)
    if subdistrict_id is not None:
        query = query.where(Station.subdistrict_id == subdistrict_id)
    return await keyset_page(session, query, Station.id, parameters)
