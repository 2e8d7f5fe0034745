"""Every query of functional departments and acceptance centres."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.departments.models import Department
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing, listing


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> Department | None:
    return await session.get(Department, department_id)


async def add(session: AsyncSession, department: Department) -> None:
    session.add(department)
    await session.flush()


async def page_departments(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    subdistrict_id: uuid.UUID | None,
    level: str | None,
    kind: str | None,
    category: str | None,
    changes: ChangesToken | None = None,
) -> Listing:
    query: sa.Select[Any] = sa.select(Department)
    if subdistrict_id is not None:
        query = query.where(Department.subdistrict_id == subdistrict_id)
    if level == "district":
        query = query.where(Department.subdistrict_id.is_(None))
    elif level == "subdistrict":
        query = query.where(Department.subdistrict_id.is_not(None))
    if kind is not None:
        query = query.where(Department.kind == kind)
    if category is not None:
        # JSON containment differs per database: pick the (few hundred) rows' ids here.
        covering = [
            department.id
            for department in (await session.scalars(query)).all()
            if category in department.service_categories
        ]
        query = query.where(Department.id.in_(covering))
    return await listing(session, Department, query, parameters, changes, scope=sa.select(Department))
