"""Use cases for meetings, check-in, motions, votes and review ratings. They never commit.

Concurrency: one vote per resident per motion and one attendance per resident per meeting are unique
constraints, so two requests at the same instant cannot both insert; the loser gets 409. Voters take the
meeting and motion rows FOR SHARE (they proceed side by side), closing takes them FOR UPDATE, so a vote
either lands before the result is frozen or sees the motion closed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service import events
from deliberation_service.access import require_station_staff, runs_station
from deliberation_service.audit import service as audit
from deliberation_service.events import outbox
from deliberation_service.meetings import repository
from deliberation_service.meetings.models import Attendance, Meeting, Motion, ReviewRating, Vote
from deliberation_service.meetings.schemas import (
    CheckInRequest,
    MeetingClose,
    MeetingCreate,
    MeetingRead,
    MotionCreate,
    MotionRead,
    RatingSummary,
    RegistrationRequest,
    SessionCreate,
)
from deliberation_service.meetings.voting import (
    MeetingKind,
    MeetingState,
    MotionOutcome,
    MotionState,
    QuorumRule,
    VoteChoice,
    VoterStanding,
    check_check_in,
    check_review_rating,
    check_schedule,
    check_vote,
    close_meeting,
    close_motion,
    open_meeting,
    summarize_review_ratings,
)
from deliberation_service.meetings.voting import Vote as BallotVote
from deliberation_service.projects import repository as project_repository
from deliberation_service.projects import service as projects
from deliberation_service.projects.models import Project
from deliberation_service.projects.stages import ProjectAction, ProjectStage
from shared.auth import Principal, Role
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable

# What the public sees of a meeting's audit trail; check-ins, votes and ratings name residents.
PUBLIC_AUDIT_ENTITIES = ("meeting", "motion")


def meeting_state(meeting: Meeting) -> dict[str, Any]:
    return {
        "meeting_id": str(meeting.id),
        "kind": meeting.kind,
        "station_id": str(meeting.station_id),
        "community_id": str(meeting.community_id),
        "subdistrict_id": str(meeting.subdistrict_id),
        "project_id": str(meeting.project_id) if meeting.project_id else None,
        "case_id": str(meeting.case_id) if meeting.case_id else None,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "state": meeting.state,
    }


async def get_meeting(
    session: AsyncSession, meeting_id: uuid.UUID, *, for_update: bool = False, for_share: bool = False
) -> Meeting:
    meeting = await repository.get_meeting(session, meeting_id, for_update=for_update, for_share=for_share)
    if meeting is None:
        raise NotFound("No such meeting.", code="meeting_not_found")
    return meeting


async def managed_meeting(session: AsyncSession, meeting_id: uuid.UUID, principal: Principal) -> Meeting:
    meeting = await get_meeting(session, meeting_id, for_update=True)
    require_station_staff(principal, meeting.station_id)
    return meeting


def _record(
    session: AsyncSession,
    meeting: Meeting,
    actor_id: str,
    action: str,
    changes: dict[str, Any],
    *,
    at: datetime,
    entity_type: str = "meeting",
    entity_id: uuid.UUID | None = None,
) -> None:
    audit.record(
        session,
        actor_id=actor_id,
        entity_type=entity_type,
        entity_id=entity_id or meeting.id,
        scope_id=meeting.id,
        action=action,
        changes=changes,
        at=at,
    )


# --- scheduling -----------------------------------------------------------------------------------------


def _require_stage(project: Project, expected: ProjectStage, reason: str) -> None:
    stage = ProjectStage(project.stage)
    if stage is expected:
        return
    if stage in (ProjectStage.REJECTED, ProjectStage.CLOSED):
        raise Conflict(f"The project is {stage.value}.", code=f"project_{stage.value}")
    raise Conflict(f"The project is {stage.value}; this meeting needs it {expected.value}.", code=reason)


async def schedule_meeting(
    session: AsyncSession,
    data: MeetingCreate,
    principal: Principal,
    *,
    now: datetime,
    meeting_id: uuid.UUID | None = None,
) -> Meeting:
    project = await projects.visible_project(session, data.project_id, principal, for_update=True)
    require_station_staff(principal, project.station_id)
    check_schedule(data.starts_at, data.ends_at)
    kind = MeetingKind(data.kind)
    if kind is MeetingKind.HEARING:
        if ProjectStage(project.stage) is ProjectStage.PROPOSED:
            # Every project goes to a hearing first; scheduling it publishes the project.
            await projects.apply_action(
                session, project, ProjectAction.SCHEDULE_HEARING, actor_id=principal.user_id, now=now
            )
        else:
            _require_stage(project, ProjectStage.HEARING, "hearing_already_decided")
    elif kind is MeetingKind.COORDINATION:
        _require_stage(project, ProjectStage.IMPLEMENTATION, "not_in_implementation")
    else:
        _require_stage(project, ProjectStage.REVIEW, "not_in_review")
    meeting = Meeting(
        kind=kind.value,
        station_id=project.station_id,
        community_id=project.community_id,
        subdistrict_id=project.subdistrict_id,
        project_id=project.id,
        **_schedule_fields(data),
        invited_departments=[str(d) for d in data.invited_departments],
        created_by=principal.user_id,
        created_at=now,
    )
    return await _add_meeting(session, meeting, principal.user_id, now, meeting_id)


def _schedule_fields(data: MeetingCreate | SessionCreate) -> dict[str, Any]:
    return {
        "title": data.title,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "place": data.place,
        "agenda": list(data.agenda),
        "invited_residents": list(dict.fromkeys(data.invited_residents)),
        "state": MeetingState.SCHEDULED.value,
    }


async def _add_meeting(
    session: AsyncSession, meeting: Meeting, actor_id: str, now: datetime, meeting_id: uuid.UUID | None = None
) -> Meeting:
    if meeting_id is not None:
        meeting.id = meeting_id  # demo data keeps stable ids
    session.add(meeting)
    await session.flush()
    fields = ("kind", "title", "starts_at", "ends_at", "place", "agenda", "invited_departments", "state")
    _record(session, meeting, actor_id, "schedule", {name: (None, getattr(meeting, name)) for name in fields}, at=now)
    await outbox.add(
        session,
        events.MEETING_SCHEDULED,
        # The organiser is named so that the notification service can put the meeting in their feed.
        {**meeting_state(meeting), "invited_departments": meeting.invited_departments, "created_by": actor_id},
        subject=str(meeting.id),
    )
    return meeting


async def schedule_session(
    session: AsyncSession,
    *,
    case_id: uuid.UUID,
    station_id: uuid.UUID,
    community_id: uuid.UUID,
    subdistrict_id: uuid.UUID,
    invited_departments: list[str],
    data: SessionCreate,
    actor_id: str,
    now: datetime,
    meeting_id: uuid.UUID | None = None,
) -> Meeting:
    """An on-site office session (the case's use case has checked access and state)."""
    check_schedule(data.starts_at, data.ends_at)
    meeting = Meeting(
        kind=MeetingKind.ONSITE_OFFICE.value,
        station_id=station_id,
        community_id=community_id,
        subdistrict_id=subdistrict_id,
        case_id=case_id,
        **_schedule_fields(data),
        invited_departments=invited_departments,
        created_by=actor_id,
        created_at=now,
    )
    return await _add_meeting(session, meeting, actor_id, now, meeting_id)


async def open_meeting_now(
    session: AsyncSession, meeting_id: uuid.UUID, principal: Principal, *, now: datetime
) -> Meeting:
    meeting = await managed_meeting(session, meeting_id, principal)
    target = open_meeting(MeetingState(meeting.state), now=now, starts_at=meeting.starts_at)
    _record(
        session,
        meeting,
        principal.user_id,
        "open",
        {"state": (meeting.state, target.value), "opened_at": (None, now)},
        at=now,
    )
    meeting.state = target.value
    meeting.opened_at = now
    return meeting


# --- registration and check-in -------------------------------------------------------------------------


async def register(
    session: AsyncSession, meeting_id: uuid.UUID, data: RegistrationRequest, principal: Principal, *, now: datetime
) -> Attendance:
    meeting = await get_meeting(session, meeting_id)
    if principal.has_role(Role.resident) and not runs_station(principal, meeting.station_id):
        if data.resident_id not in (None, principal.user_id):
            raise Forbidden("Residents register themselves.", code="out_of_scope")
        if principal.community_id != str(meeting.community_id):
            raise Forbidden("Residents take part in their own community's meetings.", code="not_own_community")
        resident_id, community_id = principal.user_id, meeting.community_id
    else:
        require_station_staff(principal, meeting.station_id)
        if data.resident_id is None:
            raise Unprocessable("Name the resident to register.", field="resident_id", code="required")
        resident_id, community_id = data.resident_id, data.community_id or meeting.community_id
    if MeetingState(meeting.state) is MeetingState.CLOSED:
        raise Conflict("The meeting is closed.", code="meeting_closed")
    if await repository.attendance_of(session, meeting.id, resident_id) is not None:
        raise Conflict("The resident is already registered for this meeting.", code="already_registered")
    attendance = Attendance(
        meeting_id=meeting.id,
        resident_id=resident_id,
        community_id=community_id,
        registered_at=now,
        registered_by=principal.user_id,
    )
    await _insert_attendance(session, attendance, "already_registered")
    _record(
        session,
        meeting,
        principal.user_id,
        "register",
        {"registered": (None, resident_id)},
        at=now,
        entity_type="attendance",
        entity_id=attendance.id,
    )
    return attendance


async def _insert_attendance(session: AsyncSession, attendance: Attendance, code: str) -> None:
    session.add(attendance)
    try:
        await session.flush()
    except IntegrityError as error:  # the same resident at the same instant: the unique constraint decides
        raise Conflict("The resident is already on this meeting's list.", code=code) from error


async def check_in(
    session: AsyncSession, meeting_id: uuid.UUID, data: CheckInRequest, principal: Principal, *, now: datetime
) -> Attendance:
    meeting = await managed_meeting(session, meeting_id, principal)
    attendance = await repository.attendance_of(session, meeting.id, data.resident_id, for_update=True)
    check_check_in(
        MeetingState(meeting.state),
        already_checked_in=attendance is not None and attendance.checked_in_at is not None,
    )
    if attendance is None:
        attendance = Attendance(
            meeting_id=meeting.id,
            resident_id=data.resident_id,
            community_id=data.community_id or meeting.community_id,
            checked_in_at=now,
            checked_in_by=principal.user_id,
        )
        await _insert_attendance(session, attendance, "already_checked_in")
    else:
        if data.community_id is not None:
            attendance.community_id = data.community_id
        attendance.checked_in_at = now
        attendance.checked_in_by = principal.user_id
    _record(
        session,
        meeting,
        principal.user_id,
        "check_in",
        {"checked_in": (None, data.resident_id)},
        at=now,
        entity_type="attendance",
        entity_id=attendance.id,
    )
    return attendance


async def list_attendees(session: AsyncSession, meeting_id: uuid.UUID, principal: Principal) -> list[Attendance]:
    meeting = await get_meeting(session, meeting_id)
    require_station_staff(principal, meeting.station_id)
    return await repository.attendees(session, meeting.id)


# --- motions and votes ---------------------------------------------------------------------------------


async def put_motion(
    session: AsyncSession,
    meeting_id: uuid.UUID,
    data: MotionCreate,
    principal: Principal,
    *,
    quorum_rule: QuorumRule,
    now: datetime,
    motion_id: uuid.UUID | None = None,
) -> Motion:
    meeting = await managed_meeting(session, meeting_id, principal)
    if MeetingState(meeting.state) is MeetingState.CLOSED:
        raise Conflict("The meeting is closed.", code="meeting_closed")
    if data.deciding and MeetingKind(meeting.kind) not in (MeetingKind.HEARING, MeetingKind.REVIEW):
        raise Unprocessable(
            "Only a hearing or a review meeting has a deciding motion.", field="deciding", code="not_a_deciding_meeting"
        )
    motion = Motion(
        meeting_id=meeting.id,
        title=data.title,
        description=data.description,
        deciding_meeting_id=meeting.id if data.deciding else None,
        state=MotionState.OPEN.value,
        quorum_minimum_checked_in=quorum_rule.minimum_checked_in,
        quorum_minimum_turnout_percent=quorum_rule.minimum_turnout_percent,
        created_at=now,
    )
    if motion_id is not None:
        motion.id = motion_id
    session.add(motion)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("This meeting already has its deciding motion.", code="deciding_motion_exists") from error
    _record(
        session,
        meeting,
        principal.user_id,
        "put_motion",
        {"title": (None, motion.title), "deciding": (None, data.deciding), "state": (None, motion.state)},
        at=now,
        entity_type="motion",
        entity_id=motion.id,
    )
    return motion


async def cast_vote(
    session: AsyncSession,
    meeting_id: uuid.UUID,
    motion_id: uuid.UUID,
    choice: str,
    principal: Principal,
    *,
    now: datetime,
) -> Vote:
    if not principal.has_role(Role.resident):
        raise Forbidden("Only residents vote.", code="role_required")
    meeting = await get_meeting(session, meeting_id, for_share=True)
    motion = await repository.get_motion(session, meeting.id, motion_id, for_share=True)
    if motion is None:
        raise NotFound("No such motion.", code="motion_not_found")
    attendance = await repository.attendance_of(session, meeting.id, principal.user_id)
    standing = VoterStanding(
        community_id=principal.community_id,
        checked_in=attendance is not None
        and attendance.checked_in_at is not None
        and attendance.community_id == meeting.community_id,
        has_voted=await repository.has_voted(session, motion.id, principal.user_id),
    )
    parsed = check_vote(
        choice,
        meeting_state=MeetingState(meeting.state),
        motion_state=MotionState(motion.state),
        meeting_community_id=str(meeting.community_id),
        voter=standing,
    )
    vote = Vote(motion_id=motion.id, resident_id=principal.user_id, choice=parsed.value, cast_at=now)
    session.add(vote)
    try:
        await session.flush()
    except IntegrityError as error:  # the same resident twice at the same instant: one insert wins
        raise Conflict("This resident has already voted on this motion.", code="already_voted") from error
    # The trail shows that the resident voted, never how: the ballot stays secret.
    _record(
        session,
        meeting,
        principal.user_id,
        "vote",
        {"voted": (None, principal.user_id)},
        at=now,
        entity_type="vote",
        entity_id=motion.id,
    )
    return vote


async def close_motion_now(
    session: AsyncSession, meeting_id: uuid.UUID, motion_id: uuid.UUID, principal: Principal, *, now: datetime
) -> Motion:
    meeting = await managed_meeting(session, meeting_id, principal)
    motion = await repository.get_motion(session, meeting.id, motion_id, for_update=True)
    if motion is None:
        raise NotFound("No such motion.", code="motion_not_found")
    if MeetingState(meeting.state) is MeetingState.SCHEDULED:
        raise Conflict("Voting starts when the meeting opens.", code="meeting_not_open")
    await _freeze(session, meeting, motion, actor_id=principal.user_id, now=now)
    return motion


async def _freeze(session: AsyncSession, meeting: Meeting, motion: Motion, *, actor_id: str, now: datetime) -> None:
    """Close voting, compute and freeze the result, announce it; a deciding motion decides the project."""
    votes = await repository.votes_of(session, motion.id)
    checked_in = await repository.eligible_checked_in_count(session, meeting)
    rule = QuorumRule(motion.quorum_minimum_checked_in, motion.quorum_minimum_turnout_percent)
    result = close_motion(
        MotionState(motion.state),
        [BallotVote(v.resident_id, VoteChoice(v.choice)) for v in votes],  # stored by check_vote: a valid choice
        checked_in_count=checked_in,
        quorum_rule=rule,
    )
    frozen = {
        "state": MotionState.CLOSED.value,
        "passed": result.passed,
        "outcome": result.reason.value,
        "yes_count": result.yes,
        "no_count": result.no,
        "abstain_count": result.abstain,
        "checked_in_count": result.checked_in_count,
        "quorum_met": result.quorum_met,
        "closed_at": now,
    }
    _record(
        session,
        meeting,
        actor_id,
        "close_motion",
        {k: (getattr(motion, k), v) for k, v in frozen.items()},
        at=now,
        entity_type="motion",
        entity_id=motion.id,
    )
    for name, value in frozen.items():
        setattr(motion, name, value)
    await outbox.add(
        session,
        events.MOTION_DECIDED,
        {
            "motion_id": str(motion.id),
            "title": motion.title,
            "deciding": motion.deciding,
            **{k: v for k, v in meeting_state(meeting).items() if k not in ("starts_at", "ends_at", "place", "state")},
            "meeting_kind": meeting.kind,
            "passed": result.passed,
            "outcome": result.reason.value,
            "yes": result.yes,
            "no": result.no,
            "abstain": result.abstain,
            "checked_in_count": result.checked_in_count,
            "quorum_met": result.quorum_met,
            "decided_at": now.isoformat(),
        },
        subject=str(motion.id),
    )
    if motion.deciding and meeting.project_id is not None and result.reason is not MotionOutcome.QUORUM_NOT_MET:
        await _decide_project(session, meeting, result.passed, actor_id=actor_id, now=now)


async def _decide_project(
    session: AsyncSession, meeting: Meeting, passed: bool, *, actor_id: str, now: datetime
) -> None:
    """A hearing's deciding motion approves or rejects the project; a review's accepts it or sends it back.

    Without a quorum nothing is decided: the project waits for another meeting.
    """
    assert meeting.project_id is not None
    project = await project_repository.get_project(session, meeting.project_id, for_update=True)
    assert project is not None  # foreign key
    kind = MeetingKind(meeting.kind)
    if kind is MeetingKind.HEARING and ProjectStage(project.stage) is ProjectStage.HEARING:
        field, action = "hearing_passed", ProjectAction.APPROVE if passed else ProjectAction.REJECT
    elif kind is MeetingKind.REVIEW and ProjectStage(project.stage) is ProjectStage.REVIEW:
        field, action = "review_accepted", ProjectAction.ACCEPT if passed else ProjectAction.REQUEST_REWORK
    else:
        return  # another meeting already decided this stage
    audit.record(
        session,
        actor_id=actor_id,
        entity_type="project",
        entity_id=project.id,
        action=f"decided_by_{kind.value}",
        changes={field: (getattr(project, field), passed), "decided_by_meeting": (None, meeting.id)},
        at=now,
    )
    setattr(project, field, passed)
    await projects.apply_action(session, project, action, actor_id=actor_id, now=now)


# --- closing --------------------------------------------------------------------------------------------


async def close(
    session: AsyncSession, meeting_id: uuid.UUID, data: MeetingClose, principal: Principal, *, now: datetime
) -> Meeting:
    meeting = await managed_meeting(session, meeting_id, principal)
    if data.attendee_count is None and MeetingState(meeting.state) is MeetingState.OPEN:
        raise Unprocessable("The attendee count is required.", field="attendee_count", code="required")
    _, checked_in = await repository.attendance_counts(session, meeting.id)
    closure = close_meeting(
        MeetingState(meeting.state),
        minutes=data.minutes or "",
        attendee_count=data.attendee_count if data.attendee_count is not None else -1,
        checked_in_count=checked_in,
        closed_at=now,
    )
    # Voting ends with the meeting: motions still open are closed and their results frozen now.
    for motion in await repository.motions_of(session, meeting.id):
        if MotionState(motion.state) is MotionState.OPEN:
            await _freeze(session, meeting, motion, actor_id=principal.user_id, now=now)
    _record(
        session,
        meeting,
        principal.user_id,
        "close",
        {
            "state": (meeting.state, closure.state.value),
            "minutes": (meeting.minutes, closure.minutes),
            "attendee_count": (meeting.attendee_count, closure.attendee_count),
            "closed_at": (None, now),
        },
        at=now,
    )
    meeting.state = closure.state.value
    meeting.minutes = closure.minutes
    meeting.attendee_count = closure.attendee_count
    meeting.closed_at = closure.closed_at
    await outbox.add(
        session,
        events.MEETING_CLOSED,
        {
            **meeting_state(meeting),
            "minutes": meeting.minutes,
            "attendee_count": meeting.attendee_count,
            "checked_in_count": checked_in,
            "closed_at": now.isoformat(),
        },
        subject=str(meeting.id),
    )
    if MeetingKind(meeting.kind) is MeetingKind.REVIEW and meeting.project_id is not None:
        await _review_completed(session, meeting)
    return meeting


async def _review_completed(session: AsyncSession, meeting: Meeting) -> None:
    ratings = await repository.ratings_of(session, meeting.id)
    assert meeting.project_id is not None  # a review meeting is of a project
    project = await project_repository.get_project(session, meeting.project_id)
    assert project is not None
    scores = [rating.score for rating in ratings]
    await outbox.add(
        session,
        events.REVIEW_COMPLETED,
        {
            "project_id": str(project.id),
            "station_id": str(meeting.station_id),
            "community_id": str(meeting.community_id),
            "subdistrict_id": str(meeting.subdistrict_id),
            "meeting_id": str(meeting.id),
            "ratings": [{"resident_id": r.resident_id, "score": r.score} for r in ratings],
            "mean": round(sum(scores) / len(scores), 2) if scores else None,
            "accepted": project.review_accepted is True,
            "service_category": project.service_category,
            "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None,
        },
        subject=str(project.id),
    )


# --- review ratings -------------------------------------------------------------------------------------


async def rate(
    session: AsyncSession, meeting_id: uuid.UUID, score: int, principal: Principal, *, now: datetime
) -> ReviewRating:
    if not principal.has_role(Role.resident):
        raise Forbidden("Only residents rate the work.", code="role_required")
    meeting = await get_meeting(session, meeting_id, for_share=True)
    if MeetingKind(meeting.kind) is not MeetingKind.REVIEW:
        raise Conflict("Only a review meeting collects quality ratings.", code="not_a_review_meeting")
    check_review_rating(score, "score")
    state = MeetingState(meeting.state)
    if state is MeetingState.CLOSED:
        raise Conflict("The review meeting is closed.", code="meeting_closed")
    if state is MeetingState.SCHEDULED:
        raise Conflict("Rating starts when the meeting opens.", code="meeting_not_open")
    if principal.community_id != str(meeting.community_id):
        raise Conflict("Only residents of the meeting's community rate.", code="not_eligible")
    attendance = await repository.attendance_of(session, meeting.id, principal.user_id)
    if attendance is None or attendance.checked_in_at is None:
        raise Conflict("Check in at the meeting first.", code="not_checked_in")
    rating = ReviewRating(meeting_id=meeting.id, resident_id=principal.user_id, score=score, rated_at=now)
    session.add(rating)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("This resident has already rated the work.", code="already_rated") from error
    _record(
        session,
        meeting,
        principal.user_id,
        "rate",
        {"rated": (None, principal.user_id)},
        at=now,
        entity_type="rating",
        entity_id=rating.id,
    )
    return rating


# --- reading --------------------------------------------------------------------------------------------


async def rating_summary(session: AsyncSession, meeting: Meeting) -> RatingSummary | None:
    if MeetingKind(meeting.kind) is not MeetingKind.REVIEW:
        return None
    summary = summarize_review_ratings([r.score for r in await repository.ratings_of(session, meeting.id)])
    return RatingSummary(count=summary.count, mean=summary.mean, distribution=dict(summary.distribution))


async def read_model(session: AsyncSession, meeting: Meeting, principal: Principal | None) -> MeetingRead:
    registered, checked_in = await repository.attendance_counts(session, meeting.id)
    motions = await repository.motions_of(session, meeting.id)
    read = MeetingRead.model_validate(meeting, from_attributes=True)
    return read.model_copy(
        update={
            "invited_residents": meeting.invited_residents if runs_station(principal, meeting.station_id) else None,
            "registered_count": registered,
            "checked_in_count": checked_in,
            "motions": [MotionRead.model_validate(m) for m in motions],
            "ratings": await rating_summary(session, meeting),
        }
    )
