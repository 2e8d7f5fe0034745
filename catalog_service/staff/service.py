"""Use cases for the staff directory. They never commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import is_station_staff_of, manages_subdistrict, sees_everything
from catalog_service.departments.service import require_department
from catalog_service.events import STAFF_CREATED, STAFF_REMOVED, STAFF_UPDATED, outbox
from catalog_service.service_lists.categories import check_categories
from catalog_service.staff import repository
from catalog_service.staff.models import StaffMember
from catalog_service.staff.schemas import STATION_ROLES, StaffCreate, StaffUpdate
from catalog_service.stations.service import require_station
from shared.auth import Principal, Role
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing


def staff_state(member: Any) -> dict[str, Any]:
    def text(value: uuid.UUID | None) -> str | None:
        return str(value) if value is not None else None

    return {
        "id": str(member.id),
        "name": member.name,
        "role": member.role,
        "station_id": text(member.station_id),
        "community_id": text(member.community_id),
        "subdistrict_id": text(member.subdistrict_id),
        "department_id": text(member.department_id),
        "service_categories": list(member.service_categories),
        "active": member.active,
    }


async def place(
    session: AsyncSession, role: str, station_id: uuid.UUID | None, department_id: uuid.UUID | None
) -> dict[str, uuid.UUID | None]:
    """Where a role puts a person: a station (and its community and subdistrict) or a department."""
    if role in STATION_ROLES:
        if station_id is None:
            raise Unprocessable(f"A {role} works at a station.", field="station_id", code="required")
        if department_id is not None:
            raise Unprocessable("Station staff have no department.", field="department_id", code="not_allowed")
        station = await require_station(session, station_id)
        return {
            "station_id": station.id,
            "community_id": station.community_id,
            "subdistrict_id": station.subdistrict_id,
            "department_id": None,
        }
    if department_id is None:
        raise Unprocessable("Department staff belong to a department.", field="department_id", code="required")
    if station_id is not None:
        raise Unprocessable("Department staff have no station.", field="station_id", code="not_allowed")
    department = await require_department(session, department_id)
    return {
        "station_id": None,
        "community_id": None,
        "subdistrict_id": department.subdistrict_id,
        "department_id": department.id,
    }


async def create_staff(session: AsyncSession, data: StaffCreate, *, staff_id: uuid.UUID | None = None) -> StaffMember:
    placement = await place(session, data.role, data.station_id, data.department_id)
    member = StaffMember(
        id=staff_id or new_id(),
        name=data.name,
        role=data.role,
        service_categories=check_categories(data.service_categories),
        phone=data.phone,
        active=True,
        **placement,
    )
    await repository.add(session, member)
    await outbox.add(session, STAFF_CREATED, staff_state(member), subject=str(member.id))
    return member


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffMember:
    member = await repository.get_staff(session, staff_id)
    if member is None:
        raise NotFound("No such staff member.", code="staff_not_found")
    return member


async def update_staff(session: AsyncSession, member: StaffMember, data: StaffUpdate) -> StaffMember:
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "role"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be emptied.", field=field, code="required")
    if "service_categories" in changes:
        changes["service_categories"] = check_categories(changes["service_categories"] or [])
    if {"role", "station_id", "department_id"} & changes.keys():
        role = changes.get("role", member.role)
        moving_to_station = role in STATION_ROLES
        station_id = changes.get("station_id", member.station_id if moving_to_station else None)
        department_id = changes.get("department_id", None if moving_to_station else member.department_id)
        changes.update(await place(session, role, station_id, department_id))
    changed = False
    for field, value in changes.items():
        if getattr(member, field) != value:
            setattr(member, field, value)
            changed = True
    if changed:
        await session.flush()
        await outbox.add(session, STAFF_UPDATED, staff_state(member), subject=str(member.id))
    return member


async def remove_staff(session: AsyncSession, member: StaffMember) -> StaffMember:
    if member.active:
        member.active = False
        await session.flush()
        await outbox.add(session, STAFF_REMOVED, staff_state(member), subject=str(member.id))
    return member


def can_see(principal: Principal, member: StaffMember) -> bool:
    return (
        sees_everything(principal)
        or manages_subdistrict(principal, member.subdistrict_id)
        or is_station_staff_of(principal, member.station_id)
        or (principal.has_role(Role.department) and str(member.department_id) == principal.department_id)
    )


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
    return await repository.page_staff(
        session,
        principal,
        parameters,
        station_id=station_id,
        department_id=department_id,
        subdistrict_id=subdistrict_id,
        role=role,
        include_inactive=include_inactive,
        changes=changes,
    )
