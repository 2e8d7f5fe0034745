"""Queries over the local copies of stations, staff and departments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.upserts import Upsert, upsert_newer
from ticket_service.stations.models import DepartmentCopy, StaffCopy, StationCopy

SECRETARY = "secretary"
SOCIAL_WORKER = "social_worker"


async def get_station(session: AsyncSession, station_id: uuid.UUID) -> StationCopy | None:
    return await session.get(StationCopy, station_id)


async def stations_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StationCopy]:
    if not ids:
        return {}
    rows = await session.scalars(sa.select(StationCopy).where(StationCopy.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def get_staff(session: AsyncSession, staff_id: str) -> StaffCopy | None:
    return await session.get(StaffCopy, staff_id)


async def staff_by_ids(session: AsyncSession, ids: Sequence[str]) -> dict[str, StaffCopy]:
    if not ids:
        return {}
    rows = await session.scalars(sa.select(StaffCopy).where(StaffCopy.id.in_(list(set(ids)))))
    return {row.id: row for row in rows}


async def station_staff(session: AsyncSession, station: StationCopy, *, role: str | None = None) -> list[StaffCopy]:
    """Active staff who work at the station (a secretary counts for every station of the community)."""
    where: list[sa.ColumnElement[bool]] = [StaffCopy.active.is_(True)]
    belongs = StaffCopy.station_id == station.id
    if station.community_id is not None:
        belongs = sa.or_(belongs, sa.and_(StaffCopy.role == SECRETARY, StaffCopy.community_id == station.community_id))
    where.append(belongs)
    if role is not None:
        where.append(StaffCopy.role == role)
    return list(await session.scalars(sa.select(StaffCopy).where(*where).order_by(StaffCopy.id)))


async def has_staff_list(session: AsyncSession, station: StationCopy) -> bool:
    """Whether the catalogue has told us anything about this station's staff (else rota and tokens are trusted)."""
    found = await session.scalar(sa.select(StaffCopy.id).where(StaffCopy.station_id == station.id).limit(1))
    return found is not None


async def community_staff(session: AsyncSession, station: StationCopy) -> list[StaffCopy]:
    if station.community_id is None:
        return await station_staff(session, station)
    query = sa.select(StaffCopy).where(
        StaffCopy.active.is_(True),
        sa.or_(StaffCopy.community_id == station.community_id, StaffCopy.station_id == station.id),
    )
    return list(await session.scalars(query.order_by(StaffCopy.id)))


async def secretary_for(session: AsyncSession, station: StationCopy) -> StaffCopy | None:
    secretaries = await station_staff(session, station, role=SECRETARY)
    return secretaries[0] if secretaries else None


async def subdistrict_departments(session: AsyncSession, subdistrict_id: uuid.UUID) -> list[DepartmentCopy]:
    query = sa.select(DepartmentCopy).where(DepartmentCopy.subdistrict_id == subdistrict_id)
    return list(await session.scalars(query.order_by(DepartmentCopy.id)))


async def all_located_stations(session: AsyncSession) -> list[StationCopy]:
    query = sa.select(StationCopy).where(StationCopy.latitude.is_not(None), StationCopy.longitude.is_not(None))
    return list(await session.scalars(query))


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> DepartmentCopy | None:
    return await session.get(DepartmentCopy, department_id)


async def upsert_staff_many(session: AsyncSession, upserts: list[Upsert]) -> None:
    """INSERT ... ON CONFLICT (id) DO UPDATE each event's changes only if it is newer than the copy, many rows
    per statement (the catalogue sends thousands of staff events when it seeds), in the events' order."""
    await upsert_newer(session, StaffCopy, upserts)
