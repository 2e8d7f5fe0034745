from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from deliberation_service.projects import repository, service
from deliberation_service.projects.schemas import ProjectCreate, ProjectRead
from shared.auth import Principal, current_principal
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


@router.post("", response_model=ProjectRead, status_code=status.HTTP_201_CREATED, summary="Propose a project")
async def propose_project(
    data: ProjectCreate, session: SessionDep, principal: Annotated[Principal, Depends(current_principal)]
) -> ProjectRead:
    return ProjectRead.model_validate(await service.propose_project(session, data, principal))


@router.get("", response_model=Page[ProjectRead], summary="Projects, public")
async def list_projects(
    session: SessionDep,
    page: Annotated[PageParameters, Depends(page_parameters)],
    station_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[ProjectRead]:
    items, next_cursor = await repository.page_projects(session, page, station_id)
    return Page(items=[ProjectRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get("/{project_id}", response_model=ProjectRead)
async def get_project(project_id: uuid.UUID, session: SessionDep) -> ProjectRead:
    return ProjectRead.model_validate(await service.get_project(session, project_id))
