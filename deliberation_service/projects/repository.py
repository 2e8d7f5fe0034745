from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.projects.models import Project, ProjectMilestone
from shared.auth import STATION_STAFF, Principal, claim_id
from shared.pagination import PageParameters, keyset_page


async def get_project(session: AsyncSession, project_id: uuid.UUID, *, for_update: bool = False) -> Project | None:
    if not for_update:
        return await session.get(Project, project_id)
    query = sa.select(Project).where(Project.id == project_id).with_for_update()
    return (await session.scalars(query)).one_or_none()


async def milestones_of(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectMilestone]:
    query = sa.select(ProjectMilestone).where(ProjectMilestone.project_id == project_id)
    return list((await session.scalars(query.order_by(ProjectMilestone.due_date, ProjectMilestone.id))).all())


def visibility_filter(principal: Principal | None) -> sa.ColumnElement[bool] | None:
    """Published projects are public; the station's staff and the proposer also see unpublished ones."""
    if principal is not None and principal.is_district_admin:
        return None
    conditions: list[sa.ColumnElement[bool]] = [Project.published_at.is_not(None)]
    if principal is not None:
        conditions.append(Project.proposer_id == principal.user_id)
        own_station = claim_id(principal.station_id)
        if principal.has_role(*STATION_STAFF) and own_station is not None:
            conditions.append(Project.station_id == own_station)
    return sa.or_(*conditions)


async def page_projects(
    session: AsyncSession,
    parameters: PageParameters,
    principal: Principal | None,
    *,
    station_id: uuid.UUID | None = None,
    community_id: uuid.UUID | None = None,
    stage: str | None = None,
) -> tuple[list[Project], str | None]:
    query = sa.select(Project)
    visible = visibility_filter(principal)
    if visible is not None:
        query = query.where(visible)
    if station_id is not None:
        query = query.where(Project.station_id == station_id)
    if community_id is not None:
        query = query.where(Project.community_id == community_id)
    if stage is not None:
        query = query.where(Project.stage == stage)
    return await keyset_page(session, query, Project.id, parameters)
