from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.stations.models import Community, Station, Subdistrict
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing, listing


async def get_subdistrict(session: AsyncSession, subdistrict_id: uuid.UUID) -> Subdistrict | None:
    return await session.get(Subdistrict, subdistrict_id)


async def subdistrict_named(session: AsyncSession, name: str) -> Subdistrict | None:
    return await session.scalar(sa.select(Subdistrict).where(Subdistrict.name == name))


async def list_subdistricts(session: AsyncSession) -> list[Subdistrict]:
    return list((await session.scalars(sa.select(Subdistrict).order_by(Subdistrict.name))).all())


async def subdistrict_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    return dict((await session.execute(sa.select(Subdistrict.id, Subdistrict.name))).all())


async def get_community(session: AsyncSession, community_id: uuid.UUID) -> Community | None:
    return await session.get(Community, community_id)


async def page_communities(
    session: AsyncSession,
    parameters: PageParameters,
    subdistrict_id: uuid.UUID | None,
    changes: ChangesToken | None = None,
) -> Listing:
    query = sa.select(Community)
    if subdistrict_id is not None:
        query = query.where(Community.subdistrict_id == subdistrict_id)
    return await listing(session, Community, query, parameters, changes, scope=sa.select(Community))


async def stations_of_communities(session: AsyncSession, community_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        sa.select(Station.community_id, Station.id).where(Station.community_id.in_(community_ids))
    )
    return dict(rows.all())


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> Station | None:
    return await session.get(Station, station_id)


async def station_for_community(session: AsyncSession, subdistrict_id: uuid.UUID, community: str) -> Station | None:
    return await session.scalar(
        sa.select(Station).where(Station.subdistrict_id == subdistrict_id, Station.community_name == community)
    )


async def stations_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[Station]:
    if not ids:
        return []
    rows = {row.id: row for row in (await session.scalars(sa.select(Station).where(Station.id.in_(ids)))).all()}
    return [rows[station_id] for station_id in ids if station_id in rows]


def _search(query: sa.Select[Any], text: str) -> sa.Select[Any]:
    pattern = f"%{text.strip()}%"
    return query.where(
        sa.or_(Station.name.ilike(pattern), Station.community_name.ilike(pattern), Station.address.ilike(pattern))
    )


async def page_stations(
    session: AsyncSession,
    parameters: PageParameters,
    subdistrict_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    text: str | None = None,
    only_ids: set[uuid.UUID] | None = None,
    changes: ChangesToken | None = None,
) -> Listing:
    query = sa.select(Station)
    if subdistrict_id is not None:
        query = query.where(Station.subdistrict_id == subdistrict_id)
    if community_id is not None:
        query = query.where(Station.community_id == community_id)
    if text:
        query = _search(query, text)
    if only_ids is not None:
        query = query.where(Station.id.in_(only_ids))
    return await listing(session, Station, query, parameters, changes, scope=sa.select(Station))


async def stations_version(session: AsyncSession) -> tuple[int, Any]:
    """How many stations there are and the latest `updated_at`: changes when any station does."""
    count, latest = (await session.execute(sa.select(sa.func.count(Station.id), sa.func.max(Station.updated_at)))).one()
    return (count, latest)


async def all_stations(session: AsyncSession) -> list[Station]:
    return list((await session.scalars(sa.select(Station).order_by(Station.id))).all())
