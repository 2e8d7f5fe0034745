"""Resolving a demo login to the claims of the person it names (see demo/logins.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.demo import logins, repository
from catalog_service.departments.models import Department
from catalog_service.stations.models import Station


async def _one_by_short(session: AsyncSession, model: Any, short: str) -> Any | None:
    low, high = logins.id_range(short)
    rows = await repository.first_two_between(session, model, low, high)
    return rows[0] if len(rows) == 1 else None  # two ids sharing 8 digits: neither is named unambiguously


async def _subdistrict_name(session: AsyncSession, subdistrict_id: uuid.UUID | None) -> str | None:
    if subdistrict_id is None:
        return None
    return await repository.subdistrict_name(session, subdistrict_id)


def _scope(**values: uuid.UUID | None) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value is not None}


async def demo_login(session: AsyncSession, username: str) -> dict[str, Any] | None:
    """{subject, name, roles, scope} for a demo login, or None when it names nobody."""
    login = logins.parse_login(username)
    if login is None:
        return None
    if login.prefix == "dep":
        return await _department_member(session, login)
    station = await _one_by_short(session, Station, login.short)
    if station is None:
        return None
    subdistrict = await _subdistrict_name(session, station.subdistrict_id)
    if subdistrict is None:
        return None
    scope = _scope(station_id=station.id, community_id=station.community_id, subdistrict_id=station.subdistrict_id)
    if login.prefix == "res":
        person = logins.resident(subdistrict, station.community_name, login.number)
        if person is None:
            return None
        return {"subject": str(person.id), "name": person.name, "roles": ["resident"], "scope": scope}
    staff_role, token_role = logins.STAFF_PREFIXES[login.prefix]
    member = await repository.get_staff(
        session, logins.staff_id(subdistrict, station.community_name, staff_role, login.number)
    )
    if member is None or not member.active or member.role != staff_role or member.station_id != station.id:
        return None
    return {"subject": str(member.id), "name": member.name, "roles": [token_role], "scope": scope}


async def _department_member(session: AsyncSession, login: logins.Login) -> dict[str, Any] | None:
    department = await _one_by_short(session, Department, login.short)
    if department is None:
        return None
    subdistrict = await _subdistrict_name(session, department.subdistrict_id)
    member = await repository.get_staff(
        session, logins.department_member_id(subdistrict, department.kind, login.number)
    )
    if member is None or not member.active or member.department_id != department.id:
        return None
    scope = _scope(department_id=department.id, subdistrict_id=department.subdistrict_id)
    return {"subject": str(member.id), "name": member.name, "roles": ["department"], "scope": scope}
