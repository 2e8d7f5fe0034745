"""Use cases for projects. They never commit: the caller's transaction does.

Every stage change goes through ``stages.advance`` (the one table of legal moves and its gates), is
recorded in the audit trail and announced as a ``project.*`` event, all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service import events
from deliberation_service.access import require_station_staff, runs_station
from deliberation_service.audit import service as audit
from deliberation_service.events import outbox
from deliberation_service.projects import repository
from deliberation_service.projects.models import Project, ProjectMilestone
from deliberation_service.projects.schemas import MilestoneIn, MilestoneRead, ProjectCreate, ProjectRead, ProjectUpdate
from deliberation_service.projects.stages import (
    Milestone,
    ProjectAction,
    ProjectStage,
    StageContext,
    advance,
    allowed_actions,
    check_milestones,
    check_plan_dates,
    check_progress_update,
    is_terminal,
)
from deliberation_service.stations.models import DEFAULT_TIME_ZONE
from deliberation_service.stations.repository import get_station, known_station
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable

ENTITY = "project"

ACTION_EVENTS: dict[ProjectAction, str] = {
    ProjectAction.SCHEDULE_HEARING: events.PROJECT_HEARING_SCHEDULED,
    ProjectAction.APPROVE: events.PROJECT_APPROVED,
    ProjectAction.REJECT: events.PROJECT_REJECTED,
    ProjectAction.START_IMPLEMENTATION: events.PROJECT_IMPLEMENTATION_STARTED,
    ProjectAction.SUBMIT_FOR_REVIEW: events.PROJECT_SUBMITTED_FOR_REVIEW,
    ProjectAction.ACCEPT: events.PROJECT_ACCEPTED,
    ProjectAction.REQUEST_REWORK: events.PROJECT_REWORK_REQUESTED,
    ProjectAction.CLOSE: events.PROJECT_CLOSED,
}

PLAN_FIELDS = (
    "title",
    "description",
    "service_category",
    "place",
    "planned_budget_yuan",
    "planned_start_date",
    "planned_end_date",
)


def project_state(project: Project) -> dict[str, Any]:
    """What a project.* event carries: the project's whole current state."""
    return {
        "project_id": str(project.id),
        "station_id": str(project.station_id),
        "community_id": str(project.community_id),
        "subdistrict_id": str(project.subdistrict_id),
        "title": project.title,
        "service_category": project.service_category,
        "stage": project.stage,
        "progress_percent": project.progress_percent,
        "hearing_passed": project.hearing_passed,
        "review_accepted": project.review_accepted,
        "rework_count": project.rework_count,
        "published": project.published_at is not None,
    }


async def read_model(session: AsyncSession, project: Project) -> ProjectRead:
    milestones = await repository.milestones_of(session, project.id)
    return ProjectRead.model_validate(project).model_copy(
        update={
            "milestones": [MilestoneRead.model_validate(m) for m in milestones],
            "allowed_actions": sorted(action.value for action in allowed_actions(ProjectStage(project.stage))),
        }
    )


def can_manage(principal: Principal | None, project: Project) -> bool:
    return runs_station(principal, project.station_id)


def can_see(principal: Principal | None, project: Project) -> bool:
    if project.published_at is not None or can_manage(principal, project):
        return True
    return principal is not None and principal.user_id == project.proposer_id


async def visible_project(
    session: AsyncSession, project_id: uuid.UUID, principal: Principal | None, *, for_update: bool = False
) -> Project:
    project = await repository.get_project(session, project_id, for_update=for_update)
    # Someone who may not see an unpublished project learns nothing of it, not even that it exists.
    if project is None or not can_see(principal, project):
        raise NotFound("No such project.", code="project_not_found")
    return project


async def managed_project(
    session: AsyncSession, project_id: uuid.UUID, principal: Principal, *, for_update: bool = True
) -> Project:
    project = await visible_project(session, project_id, principal, for_update=for_update)
    require_station_staff(principal, project.station_id)
    return project


async def station_today(session: AsyncSession, station_id: uuid.UUID, now: datetime) -> date:
    station = await get_station(session, station_id)
    return now.astimezone(ZoneInfo(station.time_zone if station else DEFAULT_TIME_ZONE)).date()


def _check_milestones(
    milestones: list[MilestoneIn], start: date | None, end: date | None, today: date
) -> tuple[Milestone, ...]:
    if not milestones:
        return ()
    if start is None or end is None:
        raise Unprocessable(
            "Dated milestones need the planned start and end dates.",
            field="planned_start_date" if start is None else "planned_end_date",
            code="required_for_milestones",
        )
    return check_milestones(
        [Milestone(m.title.strip(), m.due_date, m.completed_date) for m in milestones],
        planned_start_date=start,
        planned_end_date=end,
        today=today,
    )


def _check_plan(start: date | None, end: date | None) -> None:
    if start is not None and end is not None:
        check_plan_dates(start, end)


async def propose_project(
    session: AsyncSession,
    data: ProjectCreate,
    principal: Principal,
    *,
    now: datetime,
    project_id: uuid.UUID | None = None,
) -> Project:
    station = await known_station(session, data.station_id)
    is_staff = runs_station(principal, station.id)
    is_resident = principal.has_role(Role.resident) and principal.community_id == str(station.community_id)
    if not (is_staff or is_resident):
        raise Forbidden("Projects are proposed at one's own station.", code="out_of_scope")
    _check_plan(data.planned_start_date, data.planned_end_date)
    today = now.astimezone(ZoneInfo(station.time_zone)).date()
    milestones = _check_milestones(data.milestones, data.planned_start_date, data.planned_end_date, today)
    project = Project(
        **data.model_dump(exclude={"milestones"}),
        community_id=station.community_id,
        subdistrict_id=station.subdistrict_id,
        stage=ProjectStage.PROPOSED.value,
        proposer_id=principal.user_id,
        proposer_kind="staff" if is_staff else "resident",
        progress_percent=None,
        hearing_passed=None,
        review_accepted=None,
        reworking=False,
        rework_count=0,
        created_at=now,
        updated_at=now,
    )
    if project_id is not None:
        project.id = project_id  # demo data and imports keep stable ids
    session.add(project)
    await session.flush()
    for milestone in milestones:
        session.add(ProjectMilestone(project_id=project.id, **_milestone_fields(milestone)))
    await session.flush()
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type=ENTITY,
        entity_id=project.id,
        action="propose",
        changes={
            "stage": (None, project.stage),
            **{name: (None, getattr(project, name)) for name in PLAN_FIELDS},
            "milestones": (None, [_milestone_fields(m) for m in milestones] or None),
        },
        at=now,
    )
    await outbox.add(session, events.PROJECT_PROPOSED, project_state(project), subject=str(project.id))
    return project


def _milestone_fields(milestone: Milestone) -> dict[str, Any]:
    return {"title": milestone.title, "due_date": milestone.due_date, "completed_date": milestone.completed_date}


async def update_project(
    session: AsyncSession, project_id: uuid.UUID, data: ProjectUpdate, principal: Principal, *, now: datetime
) -> Project:
    project = await managed_project(session, project_id, principal)
    if is_terminal(ProjectStage(project.stage)):
        raise Conflict(f"The project is {project.stage}; its plan no longer changes.", code=f"project_{project.stage}")
    sent = {name: getattr(data, name) for name in data.model_fields_set}
    for required in ("title", "description", "service_category"):
        if required in sent and sent[required] is None:
            raise Unprocessable(f"{required} cannot be removed.", field=required, code="required")
    start = sent.get("planned_start_date", project.planned_start_date)
    end = sent.get("planned_end_date", project.planned_end_date)
    _check_plan(start, end)
    # A revised plan must still hold the milestones already set.
    current = await repository.milestones_of(session, project.id)
    today = await station_today(session, project.station_id, now)
    _check_milestones(
        [MilestoneIn(title=m.title, due_date=m.due_date, completed_date=m.completed_date) for m in current],
        start,
        end,
        today,
    )
    changes = {name: (getattr(project, name), value) for name, value in sent.items()}
    for name, value in sent.items():
        setattr(project, name, value)
    project.updated_at = now
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type=ENTITY,
        entity_id=project.id,
        action="update",
        changes=changes,
        at=now,
    )
    await outbox.add(
        session,
        events.PROJECT_UPDATED,
        {**project_state(project), "changed_fields": sorted(sent), "changed_by": principal.user_id},
        subject=str(project.id),
    )
    return project


async def publish_project(
    session: AsyncSession, project_id: uuid.UUID, principal: Principal, *, now: datetime
) -> Project:
    project = await managed_project(session, project_id, principal)
    if project.published_at is None:
        audit.record(
            session,
            actor_id=principal.user_id,
            entity_type=ENTITY,
            entity_id=project.id,
            action="publish",
            changes={"published_at": (None, now)},
            at=now,
        )
        project.published_at = now
        project.updated_at = now
    return project


async def apply_action(
    session: AsyncSession, project: Project, action: ProjectAction, *, actor_id: str, now: datetime
) -> Project:
    """Move a (locked) project by ``action``: the gates decide, then audit and event. Raises 409 on refusal."""
    context = StageContext(
        hearing_passed=project.hearing_passed,
        review_accepted=project.review_accepted,
        progress_percent=project.progress_percent,
    )
    target = advance(ProjectStage(project.stage), action, context=context)
    before = {
        "stage": project.stage,
        "published_at": project.published_at,
        "review_accepted": project.review_accepted,
        "reworking": project.reworking,
        "rework_count": project.rework_count,
    }
    previous_stage = project.stage
    project.stage = target.value
    if action is ProjectAction.SCHEDULE_HEARING and project.published_at is None:
        project.published_at = now  # a hearing is announced to the residents: the project is public from now on
    elif action is ProjectAction.SUBMIT_FOR_REVIEW:
        project.review_accepted = None  # the coming review judges the work afresh
    elif action is ProjectAction.REQUEST_REWORK:
        project.reworking = True
        project.rework_count += 1
    elif action is ProjectAction.ACCEPT:
        project.reworking = False
    project.updated_at = now
    audit.record(
        session,
        actor_id=actor_id,
        entity_type=ENTITY,
        entity_id=project.id,
        action=action.value,
        changes={name: (old, getattr(project, name)) for name, old in before.items()},
        at=now,
    )
    await outbox.add(
        session,
        ACTION_EVENTS[action],
        {
            **project_state(project),
            "previous_stage": previous_stage,
            "action": action.value,
            "changed_by": actor_id,
            "changed_at": now.isoformat(),
        },
        subject=str(project.id),
    )
    return project


async def transition(
    session: AsyncSession, project_id: uuid.UUID, action: ProjectAction, principal: Principal, *, now: datetime
) -> Project:
    project = await managed_project(session, project_id, principal)
    return await apply_action(session, project, action, actor_id=principal.user_id, now=now)


async def report_progress(
    session: AsyncSession, project_id: uuid.UUID, progress_percent: int, principal: Principal, *, now: datetime
) -> Project:
    project = await managed_project(session, project_id, principal)
    check_progress_update(
        ProjectStage(project.stage), project.progress_percent, progress_percent, rework=project.reworking
    )
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type=ENTITY,
        entity_id=project.id,
        action="report_progress",
        changes={
            "progress_percent": (project.progress_percent, progress_percent),
            "reworking": (project.reworking, False),
        },
        at=now,
    )
    project.progress_percent = progress_percent
    project.reworking = False
    project.updated_at = now
    await outbox.add(
        session,
        events.PROJECT_PROGRESS_REPORTED,
        {**project_state(project), "reported_by": principal.user_id, "reported_at": now.isoformat()},
        subject=str(project.id),
    )
    return project


async def set_milestones(
    session: AsyncSession, project_id: uuid.UUID, milestones: list[MilestoneIn], principal: Principal, *, now: datetime
) -> Project:
    project = await managed_project(session, project_id, principal)
    if is_terminal(ProjectStage(project.stage)):
        raise Conflict(f"The project is {project.stage}; its plan no longer changes.", code=f"project_{project.stage}")
    today = await station_today(session, project.station_id, now)
    checked = _check_milestones(milestones, project.planned_start_date, project.planned_end_date, today)
    current = await repository.milestones_of(session, project.id)
    old = [_milestone_fields(Milestone(m.title, m.due_date, m.completed_date)) for m in current]
    for row in current:
        await session.delete(row)
    await session.flush()
    new = [_milestone_fields(m) for m in checked]
    for fields in new:
        session.add(ProjectMilestone(project_id=project.id, **fields))
    await session.flush()
    project.updated_at = now
    audit.record(
        session,
        actor_id=principal.user_id,
        entity_type=ENTITY,
        entity_id=project.id,
        action="set_milestones",
        changes={"milestones": (old, new)},
        at=now,
    )
    await outbox.add(
        session,
        events.PROJECT_UPDATED,
        {**project_state(project), "changed_fields": ["milestones"], "changed_by": principal.user_id},
        subject=str(project.id),
    )
    return project
