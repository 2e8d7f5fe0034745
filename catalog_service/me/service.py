"""Who am I: the caller's claims, enriched with the names of the places they belong to."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.me import repository
from catalog_service.me.capabilities import capabilities_of
from catalog_service.me.schemas import MeRead, Place, StaffRecord
from shared.auth import STATION_STAFF, Principal, Role


def kind_of(principal: Principal) -> str:
    if principal.has_role(*STATION_STAFF):
        return "staff"
    if principal.has_role(Role.department):
        return "department"
    if principal.has_role(Role.district_admin, Role.subdistrict_admin):
        return "administrator"
    if principal.has_role(Role.integration_client):
        return "integration"
    return "resident"


async def _place(
    session: AsyncSession,
    identifier: uuid.UUID | None,
    lookup: Callable[[AsyncSession, uuid.UUID], Awaitable[str | None]],
) -> Place | None:
    if identifier is None:
        return None
    return Place(id=identifier, name=await lookup(session, identifier))


async def me(session: AsyncSession, principal: Principal) -> MeRead:
    member = await repository.staff_member(session, repository.as_id(principal.user_id))
    # The token's claims say where the caller acts; the staff row fills what an older token lacks.
    station_id = repository.as_id(principal.station_id) or (member.station_id if member else None)
    community_id = repository.as_id(principal.community_id) or (member.community_id if member else None)
    subdistrict_id = repository.as_id(principal.subdistrict_id) or (member.subdistrict_id if member else None)
    department_id = repository.as_id(principal.department_id) or (member.department_id if member else None)
    station = await _place(session, station_id, repository.station_name)
    is_staff = principal.has_role(*STATION_STAFF)
    return MeRead(
        id=principal.user_id,
        name=member.name if member is not None else principal.name,
        roles=sorted(principal.roles),
        kind=kind_of(principal),
        station=station,
        stations=[station] if station is not None and is_staff else [],
        community=await _place(session, community_id, repository.community_name),
        subdistrict=await _place(session, subdistrict_id, repository.subdistrict_name),
        department=await _place(session, department_id, repository.department_name),
        staff=None
        if member is None
        else StaffRecord(
            id=member.id, role=member.role, service_categories=list(member.service_categories), active=member.active
        ),
        capabilities=capabilities_of(set(principal.roles)),
    )
