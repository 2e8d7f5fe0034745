"""Every query of the staff directory."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import sees_everything
from catalog_service.staff.models import StaffMember
from shared.auth import Principal, Role, claim_id
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing, listing


def visible_to(query: sa.Select[Any], principal: Principal) -> sa.Select[Any]:
    """Narrows a staff query to what the caller may see (the reader roles only reach here)."""
    if sees_everything(principal):
        return query
    # A malformed claim scopes to nothing (claim_id gives None), never a 500.
    conditions = []
    subdistrict, station, department = (
        claim_id(principal.subdistrict_id),
        claim_id(principal.station_id),
        claim_id(principal.department_id),
    )
    if principal.has_role(Role.subdistrict_admin) and subdistrict:
        conditions.append(StaffMember.subdistrict_id == subdistrict)
    if principal.has_role(Role.receptionist, Role.social_worker, Role.secretary) and station:
        conditions.append(StaffMember.station_id == station)
    if principal.has_role(Role.department) and department:
        conditions.append(StaffMember.department_id == department)
    return query.where(sa.or_(*conditions)) if conditions else query.where(sa.false())


async def add(session: AsyncSession, member: StaffMember) -> None:
    session.add(member)
    await session.flush()


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    return await session.get(StaffMember, staff_id)


async def visible_staff(session: AsyncSession, principal: Principal) -> list[StaffMember]:
    """Every staff member the caller may see, in id order."""
    query = visible_to(sa.select(StaffMember), principal).order_by(StaffMember.id)
    return list((await session.scalars(query)).all())


async def page_staff(
    session: AsyncSession,
    principal: Principal,
    parameters: PageParameters,
    *,
    station_id: uuid.UUID | None,
    department_id: uuid.UUID | None,
    subdistrict_id: uuid.UUID | None,
    role: str | None,
    include_inactive: bool,
    changes: ChangesToken | None = None,
) -> Listing:
    visible = visible_to(sa.select(StaffMember), principal)
    query = visible
    if station_id is not None:
        query = query.where(StaffMember.station_id == station_id)
    if department_id is not None:
        query = query.where(StaffMember.department_id == department_id)
    if subdistrict_id is not None:
        query = query.where(StaffMember.subdistrict_id == subdistrict_id)
    if role is not None:
        query = query.where(StaffMember.role == role)
    if not include_inactive:
        query = query.where(StaffMember.active.is_(True))
    # A member moved to another station or department leaves the apps that listed them there.
    keys = [principal.station_id, principal.department_id, principal.subdistrict_id, station_id, department_id]
    caller_keys = None if principal.is_district_admin else sorted({str(key) for key in keys if key})
    return await listing(session, StaffMember, query, parameters, changes, scope=visible, caller_keys=caller_keys)
