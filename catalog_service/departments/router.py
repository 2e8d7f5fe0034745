from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from catalog_service.access import Administrator, manages_subdistrict, require
from catalog_service.departments import service
from catalog_service.departments.schemas import DepartmentCreate, DepartmentRead, DepartmentUpdate
from catalog_service.service_lists.categories import check_category
from shared.conditional import IfMatch, declare_version
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter

router = APIRouter(prefix="/api/v1", tags=["departments"], route_class=IdempotentRoute)


@router.get(
    "/departments", response_model=SyncPage[DepartmentRead], summary="Departments and acceptance centres, public"
)
async def list_departments(
    session: SessionDep,
    page: Annotated[PageParameters, Depends(page_parameters)],
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    level: Annotated[Literal["district", "subdistrict"] | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=40, examples=["acceptance_centre"])] = None,
    category: Annotated[str | None, Query(description="A service category the department covers")] = None,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[DepartmentRead]:
    if category is not None:
        check_category(category)
    found = await service.page_departments(
        session, page, subdistrict_id=subdistrict_id, level=level, kind=kind, category=category, changes=changes
    )
    return found.page([DepartmentRead.model_validate(item) for item in found.rows])


@router.get("/departments/{department_id}", response_model=DepartmentRead)
async def get_department(department_id: uuid.UUID, session: SessionDep) -> DepartmentRead:
    department = await service.get_department(session, department_id)
    declare_version(department.version)
    return DepartmentRead.model_validate(department)


@router.post(
    "/departments", response_model=DepartmentRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def create_department(data: DepartmentCreate, session: SessionDep, principal: Administrator) -> DepartmentRead:
    require(
        manages_subdistrict(principal, data.subdistrict_id),
        "District departments are set up by district admins; subdistrict admins set up their own subdistrict's.",
    )
    return DepartmentRead.model_validate(await service.create_department(session, data))


@router.patch("/departments/{department_id}", response_model=DepartmentRead)
async def update_department(
    department_id: uuid.UUID,
    data: DepartmentUpdate,
    session: SessionDep,
    principal: Administrator,
    precondition: IfMatch,
) -> DepartmentRead:
    department = await service.get_department(session, department_id)
    require(manages_subdistrict(principal, department.subdistrict_id), "Out of your subdistrict.")
    if precondition is not None:
        precondition.require(department.version)  # 412 when someone changed it since this editor read it
    department = await service.update_department(session, department, data)
    await session.flush()  # the ORM raises the version in the UPDATE: the answer's ETag names the new one
    declare_version(department.version)
    return DepartmentRead.model_validate(department)
