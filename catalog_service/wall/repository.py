"""Every query of a station's wall: its staff, the resources its subdistrict may use, its open demands."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.demands.models import Demand
from catalog_service.resources import repository as resources
from catalog_service.resources.models import Resource
from catalog_service.staff.models import StaffMember


async def active_staff(session: AsyncSession, station_id: uuid.UUID) -> list[StaffMember]:
    query = (
        sa.select(StaffMember)
        .where(StaffMember.station_id == station_id, StaffMember.active.is_(True))
        .order_by(StaffMember.role, StaffMember.name)
    )
    return list((await session.scalars(query)).all())


async def usable_resources(session: AsyncSession, subdistrict_id: uuid.UUID) -> list[Resource]:
    query = (
        sa.select(Resource)
        .where(Resource.active.is_(True), resources.usable_by(subdistrict_id))
        .order_by(Resource.category, Resource.title, Resource.id)
    )
    return list((await session.scalars(query)).all())


async def unclosed_demands(session: AsyncSession, station_id: uuid.UUID) -> list[Demand]:
    query = (
        sa.select(Demand)
        .where(Demand.station_id == station_id, Demand.status != "closed")
        .order_by(Demand.created_at.desc(), Demand.id)
    )
    return list((await session.scalars(query)).all())
