from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.departments.models import Department
from catalog_service.staff.models import StaffMember
from catalog_service.stations.models import Community, Station, Subdistrict


def as_id(value: str | None) -> uuid.UUID | None:
    """A claim as an id; a claim that is no id names nothing here."""
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def name_of(
    session: AsyncSession,
    model: type[Station] | type[Community] | type[Subdistrict] | type[Department],
    identifier: uuid.UUID | None,
) -> str | None:
    if identifier is None:
        return None
    return await session.scalar(sa.select(model.name).where(model.id == identifier))


async def station_name(session: AsyncSession, station_id: uuid.UUID | None) -> str | None:
    return await name_of(session, Station, station_id)


async def community_name(session: AsyncSession, community_id: uuid.UUID | None) -> str | None:
    return await name_of(session, Community, community_id)


async def subdistrict_name(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> str | None:
    return await name_of(session, Subdistrict, subdistrict_id)


async def department_name(session: AsyncSession, department_id: uuid.UUID | None) -> str | None:
    return await name_of(session, Department, department_id)


async def staff_member(session: AsyncSession, staff_id: uuid.UUID | None) -> StaffMember | None:
    return None if staff_id is None else await session.get(StaffMember, staff_id)
