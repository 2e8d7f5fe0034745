"""Every query of the demo logins: rows named by the first digits of their id, names, staff members."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.staff.models import StaffMember
from catalog_service.stations.models import Subdistrict


async def first_two_between(session: AsyncSession, model: Any, low: uuid.UUID, high: uuid.UUID) -> list[Any]:
    """At most two rows of `model` whose id lies in `low..high` (two: the range is ambiguous)."""
    return list((await session.scalars(sa.select(model).where(model.id.between(low, high)).limit(2))).all())


async def subdistrict_name(session: AsyncSession, subdistrict_id: uuid.UUID) -> str | None:
    return await session.scalar(sa.select(Subdistrict.name).where(Subdistrict.id == subdistrict_id))


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    return await session.get(StaffMember, staff_id)
