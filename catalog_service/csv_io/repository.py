"""Every query of the CSV import and export: lookups by name and id, and the rows an export writes."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.departments.models import Department
from catalog_service.resources.models import Resource
from catalog_service.staff.models import StaffMember
from catalog_service.stations.models import Community, Station, Subdistrict


async def subdistrict_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    return dict((await session.execute(sa.select(Subdistrict.id, Subdistrict.name))).all())


async def subdistricts_by_name(session: AsyncSession) -> dict[str, Subdistrict]:
    return {s.name: s for s in (await session.scalars(sa.select(Subdistrict))).all()}


async def community_kinds(session: AsyncSession) -> dict[uuid.UUID, str]:
    return dict((await session.execute(sa.select(Community.id, Community.kind))).all())


async def stations(session: AsyncSession, subdistrict_id: uuid.UUID | None = None) -> list[Station]:
    """Stations by subdistrict and community name, of one subdistrict or all."""
    query = sa.select(Station).order_by(Station.subdistrict_id, Station.community_name)
    if subdistrict_id is not None:
        query = query.where(Station.subdistrict_id == subdistrict_id)
    return list((await session.scalars(query)).all())


async def stations_by_id(session: AsyncSession) -> dict[uuid.UUID, Station]:
    return {s.id: s for s in (await session.scalars(sa.select(Station))).all()}


async def station_ids(session: AsyncSession) -> set[uuid.UUID]:
    return set((await session.scalars(sa.select(Station.id))).all())


async def community_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    """Each station's community name, in one query: an export's rows name their station's community, and a
    lookup per row cost a query per row (the session's identity map holds loaded stations only weakly)."""
    rows = await session.execute(sa.select(Station.id, Station.community_name))
    return {station_id: name for station_id, name in rows.tuples()}


async def departments_by_id(session: AsyncSession) -> dict[uuid.UUID, Department]:
    return {d.id: d for d in (await session.scalars(sa.select(Department))).all()}


async def department_ids(session: AsyncSession) -> set[uuid.UUID]:
    return set((await session.scalars(sa.select(Department.id))).all())


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    return await session.get(StaffMember, staff_id)


async def resources(session: AsyncSession) -> list[Resource]:
    return list((await session.scalars(sa.select(Resource).order_by(Resource.id))).all())


async def get_resource(session: AsyncSession, resource_id: uuid.UUID) -> Resource | None:
    return await session.get(Resource, resource_id)
