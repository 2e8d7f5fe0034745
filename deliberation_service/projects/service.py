"""Use cases for projects. They never commit: the caller's transaction does."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.events import PROJECT_PROPOSED, outbox
from deliberation_service.projects import repository
from deliberation_service.projects.models import Project
from deliberation_service.projects.schemas import ProjectCreate
from shared.auth import STATION_STAFF, Principal, Role
from shared.errors import Forbidden, NotFound


async def propose_project(session: AsyncSession, data: ProjectCreate, principal: Principal) -> Project:
    own_station = principal.station_id == str(data.station_id)
    if not (principal.is_district_admin or (own_station and principal.has_role(*STATION_STAFF, Role.resident))):
        raise Forbidden("Projects are proposed at one's own station.", code="out_of_scope")
    project = Project(**data.model_dump(), stage="proposed", proposer_id=principal.user_id)
    session.add(project)
    await session.flush()
    await outbox.add(
        session,
        PROJECT_PROPOSED,
        {"project_id": str(project.id), "station_id": str(project.station_id), "title": project.title},
        subject=str(project.id),
    )
    return project


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project:
    project = await repository.get_project(session, project_id)
    if project is None:
        raise NotFound("No such project.", code="project_not_found")
    return project
