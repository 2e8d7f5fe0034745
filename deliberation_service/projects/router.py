from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.audit import service as audit
from deliberation_service.audit.schemas import AuditEntryRead
from deliberation_service.meetings import repository as meetings_repository
from deliberation_service.meetings.schemas import MeetingSummary
from deliberation_service.projects import repository, service
from deliberation_service.projects.models import Project
from deliberation_service.projects.schemas import (
    MilestonesPut,
    ProgressReport,
    ProjectCreate,
    ProjectRead,
    ProjectTransitionRequest,
    ProjectUpdate,
)
from deliberation_service.projects.stages import ProjectStage
from shared.auth import Principal, current_principal, optional_principal
from shared.clock import Now
from shared.conditional import IfMatch, Precondition, declare_version
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/projects", tags=["projects"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]


@router.post(
    "",
    response_model=ProjectRead,
    status_code=status.HTTP_201_CREATED,
    summary="Propose a project",
    dependencies=[Idempotent],
)
async def propose_project(data: ProjectCreate, session: SessionDep, principal: Caller, now: Now) -> ProjectRead:
    project = await service.propose_project(session, data, principal, now=now)
    return await service.read_model(session, project)


@router.get("", response_model=Page[ProjectRead], summary="Projects: published ones are public")
async def list_projects(
    session: SessionDep,
    principal: MaybeCaller,
    page: Paging,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    community_id: Annotated[uuid.UUID | None, Query()] = None,
    stage: Annotated[ProjectStage | None, Query()] = None,
) -> Page[ProjectRead]:
    items, next_cursor = await repository.page_projects(
        session,
        page,
        principal,
        station_id=station_id,
        community_id=community_id,
        stage=stage.value if stage else None,
    )
    return Page(items=[await service.read_model(session, item) for item in items], next_cursor=next_cursor)


@router.get("/{project_id}", response_model=ProjectRead, summary="A project with its decisions and milestones")
async def get_project(project_id: uuid.UUID, session: SessionDep, principal: MaybeCaller) -> ProjectRead:
    project = await service.visible_project(session, project_id, principal)
    declare_version(project.version)
    return await service.read_model(session, project)


async def unchanged_since_read(
    session: AsyncSession, project_id: uuid.UUID, principal: Principal, precondition: Precondition | None
) -> None:
    """If-Match on a PATCH/PUT: checked on the row locked for the write, after 404 and 403."""
    if precondition is not None:
        project = await service.managed_project(session, project_id, principal)
        precondition.require(project.version)


async def edited(session: AsyncSession, project: Project) -> ProjectRead:
    await session.flush()  # the ORM raises the version in the UPDATE: the answer's ETag names the new one
    declare_version(project.version)
    return await service.read_model(session, project)


@router.patch("/{project_id}", response_model=ProjectRead, summary="Revise a project's plan")
async def update_project(
    project_id: uuid.UUID, data: ProjectUpdate, session: SessionDep, principal: Caller, precondition: IfMatch, now: Now
) -> ProjectRead:
    await unchanged_since_read(session, project_id, principal, precondition)
    return await edited(session, await service.update_project(session, project_id, data, principal, now=now))


@router.post(
    "/{project_id}/publish", response_model=ProjectRead, summary="Publish a proposed project", dependencies=[Idempotent]
)
async def publish_project(project_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now) -> ProjectRead:
    project = await service.publish_project(session, project_id, principal, now=now)
    return await service.read_model(session, project)


@router.post(
    "/{project_id}/transitions",
    response_model=ProjectRead,
    summary="Move a project to its next stage",
    description="409 with a reason code when the stage table or a gate refuses the move "
    "(hearing_not_approved, review_not_accepted, implementation_incomplete, stage_skipped, ...).",
    dependencies=[Idempotent],
)
async def transition(
    project_id: uuid.UUID, data: ProjectTransitionRequest, session: SessionDep, principal: Caller, now: Now
) -> ProjectRead:
    project = await service.transition(session, project_id, data.action, principal, now=now)
    return await service.read_model(session, project)


@router.post(
    "/{project_id}/progress",
    response_model=ProjectRead,
    summary="Report implementation progress",
    dependencies=[Idempotent],
)
async def report_progress(
    project_id: uuid.UUID, data: ProgressReport, session: SessionDep, principal: Caller, now: Now
) -> ProjectRead:
    project = await service.report_progress(session, project_id, data.progress_percent, principal, now=now)
    return await service.read_model(session, project)


@router.put("/{project_id}/milestones", response_model=ProjectRead, summary="Set the project's dated milestones")
async def set_milestones(
    project_id: uuid.UUID, data: MilestonesPut, session: SessionDep, principal: Caller, precondition: IfMatch, now: Now
) -> ProjectRead:
    await unchanged_since_read(session, project_id, principal, precondition)
    project = await service.set_milestones(session, project_id, data.milestones, principal, now=now)
    return await edited(session, project)


@router.get(
    "/{project_id}/meetings",
    response_model=Page[MeetingSummary],
    summary="The project's meetings, latest first (whole: `next_cursor` is null)",
)
async def project_meetings(project_id: uuid.UUID, session: SessionDep, principal: MaybeCaller) -> Page[MeetingSummary]:
    project = await service.visible_project(session, project_id, principal)
    meetings = await meetings_repository.meetings_of_project(session, project.id)
    return Page(items=[MeetingSummary.model_validate(meeting) for meeting in reversed(meetings)], next_cursor=None)


@router.get(
    "/{project_id}/audit",
    response_model=Page[AuditEntryRead],
    summary="Every change to the project: who, when, old, new",
)
async def project_audit(
    project_id: uuid.UUID, session: SessionDep, principal: MaybeCaller, page: Paging
) -> Page[AuditEntryRead]:
    project = await service.visible_project(session, project_id, principal)
    items, next_cursor = await audit.page_entries(session, project.id, page)
    return Page(items=[AuditEntryRead.model_validate(item) for item in items], next_cursor=next_cursor)
