from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.projects.models import Project
from shared.pagination import PageParameters, keyset_page


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return await session.get(Project, project_id)


async def page_projects(
    session: AsyncSession, parameters: PageParameters, station_id: uuid.UUID | None = None
) -> tuple[list[Project], str | None]:
    query = sa.select(Project)
    if station_id is not None:
        query = query.where(Project.station_id == station_id)
    return await keyset_page(session, query, Project.id, parameters)
