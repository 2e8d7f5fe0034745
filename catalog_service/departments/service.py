"""Use cases for functional departments and acceptance centres. They never commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.departments import repository
from catalog_service.departments.kinds import ACCEPTANCE_CENTRE
from catalog_service.departments.models import Department
from catalog_service.departments.schemas import DepartmentCreate, DepartmentUpdate
from catalog_service.events import DEPARTMENT_CREATED, DEPARTMENT_UPDATED, outbox
from catalog_service.service_lists.categories import check_categories
from catalog_service.stations import repository as stations
from catalog_service.stations.service import require_subdistrict
from shared.errors import Conflict, NotFound, Unprocessable
from shared.ids import stable_id
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing


def department_state(department: Any, subdistrict_name: str | None) -> dict[str, Any]:
    return {
        "id": str(department.id),
        "name": department.name,
        "kind": department.kind,
        "subdistrict_id": str(department.subdistrict_id) if department.subdistrict_id else None,
        "subdistrict_name": subdistrict_name,
        "service_categories": list(department.service_categories),
        "phone": department.phone,
    }


def department_id_for(subdistrict_name: str | None, kind: str) -> uuid.UUID:
    """One department of each kind per subdistrict (and per district): the id follows from both."""
    return stable_id("department", subdistrict_name or "district", kind)


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> Department:
    department = await repository.get_department(session, department_id)
    if department is None:
        raise NotFound("No such department.", code="department_not_found")
    return department


async def require_department(
    session: AsyncSession, department_id: uuid.UUID, field: str = "department_id"
) -> Department:
    department = await repository.get_department(session, department_id)
    if department is None:
        raise Unprocessable("No such department.", field=field, code="unknown_department")
    return department


async def create_department(session: AsyncSession, data: DepartmentCreate) -> Department:
    subdistrict_name = None
    if data.subdistrict_id is not None:
        subdistrict_name = (await require_subdistrict(session, data.subdistrict_id)).name
    elif data.kind == ACCEPTANCE_CENTRE:
        raise Unprocessable("An acceptance centre belongs to a subdistrict.", field="subdistrict_id", code="required")
    categories = check_categories(data.service_categories)
    department_id = department_id_for(subdistrict_name, data.kind)
    if await repository.get_department(session, department_id) is not None:
        raise Conflict(
            "This subdistrict (or the district) already has a department of that kind.",
            code="department_exists",
            field="kind",
        )
    department = Department(
        id=department_id,
        name=data.name,
        kind=data.kind,
        subdistrict_id=data.subdistrict_id,
        service_categories=categories,
        phone=data.phone,
        address=data.address,
    )
    await repository.add(session, department)
    await outbox.add(
        session, DEPARTMENT_CREATED, department_state(department, subdistrict_name), subject=str(department.id)
    )
    return department


async def update_department(session: AsyncSession, department: Department, data: DepartmentUpdate) -> Department:
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Unprocessable("name cannot be emptied.", field="name", code="required")
    if "service_categories" in changes:
        changes["service_categories"] = check_categories(changes["service_categories"] or [])
    changed = False
    for field, value in changes.items():
        if getattr(department, field) != value:
            setattr(department, field, value)
            changed = True
    if changed:
        await session.flush()
        name = None
        if department.subdistrict_id is not None:
            name = (await stations.subdistrict_names(session)).get(department.subdistrict_id)
        await outbox.add(session, DEPARTMENT_UPDATED, department_state(department, name), subject=str(department.id))
    return department


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
    return await repository.page_departments(
        session, parameters, subdistrict_id=subdistrict_id, level=level, kind=kind, category=category, changes=changes
    )
