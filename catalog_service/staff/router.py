from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from catalog_service.access import Administrator, Reader, manages_subdistrict, require
from catalog_service.staff import service
from catalog_service.staff.schemas import StaffCreate, StaffRead, StaffRole, StaffUpdate
from shared.conditional import IfMatch, declare_version
from shared.errors import NotFound
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import PageParameters, page_parameters
from shared.service import SessionDep
from shared.sync import ChangesToken, SyncPage, changes_parameter

router = APIRouter(prefix="/api/v1", tags=["staff"], route_class=IdempotentRoute)


@router.get("/staff", response_model=SyncPage[StaffRead], summary="The staff directory, as far as the caller may see")
async def list_staff(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParameters, Depends(page_parameters)],
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    department_id: Annotated[uuid.UUID | None, Query()] = None,
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    role: Annotated[StaffRole | None, Query()] = None,
    include_inactive: bool = False,
    changes: Annotated[ChangesToken | None, Depends(changes_parameter)] = None,
) -> SyncPage[StaffRead]:
    found = await service.page_staff(
        session,
        principal,
        page,
        station_id=station_id,
        department_id=department_id,
        subdistrict_id=subdistrict_id,
        role=role,
        include_inactive=include_inactive,
        changes=changes,
    )
    return found.page([StaffRead.model_validate(item) for item in found.rows])


@router.get("/staff/{staff_id}", response_model=StaffRead)
async def get_staff(staff_id: uuid.UUID, session: SessionDep, principal: Reader) -> StaffRead:
    member = await service.get_staff(session, staff_id)
    if not service.can_see(principal, member):
        raise NotFound("No such staff member.", code="staff_not_found")
    declare_version(member.version)
    return StaffRead.model_validate(member)


@router.post("/staff", response_model=StaffRead, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
async def create_staff(data: StaffCreate, session: SessionDep, principal: Administrator) -> StaffRead:
    placement = await service.place(session, data.role, data.station_id, data.department_id)
    require(manages_subdistrict(principal, placement["subdistrict_id"]), "Subdistrict admins manage their own staff.")
    return StaffRead.model_validate(await service.create_staff(session, data))


@router.patch("/staff/{staff_id}", response_model=StaffRead)
async def update_staff(
    staff_id: uuid.UUID, data: StaffUpdate, session: SessionDep, principal: Administrator, precondition: IfMatch
) -> StaffRead:
    member = await service.get_staff(session, staff_id)
    require(manages_subdistrict(principal, member.subdistrict_id), "Subdistrict admins manage their own staff.")
    if precondition is not None:
        precondition.require(member.version)  # 412 when someone changed the entry since this editor read it
    member = await service.update_staff(session, member, data)
    require(manages_subdistrict(principal, member.subdistrict_id), "Staff cannot be moved out of your subdistrict.")
    await session.flush()  # the ORM raises the version in the UPDATE: the answer's ETag names the new one
    declare_version(member.version)
    return StaffRead.model_validate(member)


@router.delete("/staff/{staff_id}", response_model=StaffRead, summary="Remove from the directory (kept, inactive)")
async def remove_staff(staff_id: uuid.UUID, session: SessionDep, principal: Administrator) -> StaffRead:
    member = await service.get_staff(session, staff_id)
    require(manages_subdistrict(principal, member.subdistrict_id), "Subdistrict admins manage their own staff.")
    return StaffRead.model_validate(await service.remove_staff(session, member))
