from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from deliberation_service.access import runs_station
from deliberation_service.audit import service as audit
from deliberation_service.audit.schemas import AuditEntryRead
from deliberation_service.meetings import repository, service
from deliberation_service.meetings.schemas import (
    AttendanceRead,
    CheckInRequest,
    MeetingClose,
    MeetingCreate,
    MeetingRead,
    MeetingSummary,
    MotionCreate,
    MotionRead,
    RatingCreate,
    RatingRead,
    RegistrationRequest,
    VoteCast,
    VoteRead,
)
from deliberation_service.meetings.voting import MeetingKind, MeetingState
from deliberation_service.settings import DeliberationSettings
from shared.auth import Principal, current_principal, optional_principal
from shared.clock import Now
from shared.errors import NotFound
from shared.idempotency import Idempotent, IdempotentRoute
from shared.pagination import Page, PageParameters, page_parameters
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1/meetings", tags=["meetings"], route_class=IdempotentRoute)

Caller = Annotated[Principal, Depends(current_principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
Paging = Annotated[PageParameters, Depends(page_parameters)]


def deliberation_settings(request: Request) -> DeliberationSettings:
    settings: DeliberationSettings = request.app.state.runtime.settings
    return settings


Settings = Annotated[DeliberationSettings, Depends(deliberation_settings)]


@router.post(
    "",
    response_model=MeetingRead,
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a meeting",
    dependencies=[Idempotent],
)
async def schedule_meeting(data: MeetingCreate, session: SessionDep, principal: Caller, now: Now) -> MeetingRead:
    meeting = await service.schedule_meeting(session, data, principal, now=now)
    return await service.read_model(session, meeting, principal)


@router.get("", response_model=Page[MeetingSummary], summary="Meetings, public")
async def list_meetings(
    session: SessionDep,
    page: Paging,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    project_id: Annotated[uuid.UUID | None, Query()] = None,
    case_id: Annotated[uuid.UUID | None, Query()] = None,
    kind: Annotated[MeetingKind | None, Query()] = None,
    state: Annotated[MeetingState | None, Query()] = None,
    starts_after: Annotated[datetime | None, Query()] = None,
) -> Page[MeetingSummary]:
    items, next_cursor = await repository.page_meetings(
        session,
        page,
        station_id=station_id,
        project_id=project_id,
        case_id=case_id,
        kind=kind.value if kind else None,
        state=state.value if state else None,
        starts_after=starts_after,
    )
    return Page(items=[MeetingSummary.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{meeting_id}", response_model=MeetingRead, summary="A meeting: agenda, minutes, motions and frozen vote counts"
)
async def get_meeting(meeting_id: uuid.UUID, session: SessionDep, principal: MaybeCaller) -> MeetingRead:
    return await service.read_model(session, await service.get_meeting(session, meeting_id), principal)


@router.post(
    "/{meeting_id}/open",
    response_model=MeetingRead,
    summary="Open the meeting (voting may start)",
    dependencies=[Idempotent],
)
async def open_meeting(meeting_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now) -> MeetingRead:
    meeting = await service.open_meeting_now(session, meeting_id, principal, now=now)
    return await service.read_model(session, meeting, principal)


@router.post(
    "/{meeting_id}/close",
    response_model=MeetingRead,
    summary="Close the meeting with its minutes and attendee count",
    description="Open motions are closed and their results frozen. A review meeting publishes review.completed.",
    dependencies=[Idempotent],
)
async def close_meeting(
    meeting_id: uuid.UUID, data: MeetingClose, session: SessionDep, principal: Caller, now: Now
) -> MeetingRead:
    meeting = await service.close(session, meeting_id, data, principal, now=now)
    return await service.read_model(session, meeting, principal)


@router.post(
    "/{meeting_id}/registrations",
    response_model=AttendanceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register for a meeting (a resident of its community, or staff on a resident's behalf)",
    # The body may be empty or null (a resident registering themself), but generated clients crash when an
    # optional body is left out: documented as required, null allowed.
    openapi_extra={"requestBody": {"required": True}},
    dependencies=[Idempotent],
)
async def register(
    meeting_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now, data: RegistrationRequest | None = None
) -> AttendanceRead:
    attendance = await service.register(session, meeting_id, data or RegistrationRequest(), principal, now=now)
    return AttendanceRead.model_validate(attendance)


@router.post(
    "/{meeting_id}/check-ins",
    response_model=AttendanceRead,
    status_code=status.HTTP_201_CREATED,
    summary="Check a resident in (station staff); each resident at most once",
    dependencies=[Idempotent],
)
async def check_in(
    meeting_id: uuid.UUID, data: CheckInRequest, session: SessionDep, principal: Caller, now: Now
) -> AttendanceRead:
    return AttendanceRead.model_validate(await service.check_in(session, meeting_id, data, principal, now=now))


@router.get(
    "/{meeting_id}/attendees",
    response_model=Page[AttendanceRead],
    summary="Registered and checked-in residents, latest registration first (whole: `next_cursor` is null)",
)
async def attendees(meeting_id: uuid.UUID, session: SessionDep, principal: Caller) -> Page[AttendanceRead]:
    rows = await service.list_attendees(session, meeting_id, principal)
    return Page(items=[AttendanceRead.model_validate(row) for row in reversed(rows)], next_cursor=None)


@router.post(
    "/{meeting_id}/motions",
    response_model=MotionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Put a motion",
    dependencies=[Idempotent],
)
async def put_motion(
    meeting_id: uuid.UUID, data: MotionCreate, session: SessionDep, principal: Caller, settings: Settings, now: Now
) -> MotionRead:
    meeting = await service.get_meeting(session, meeting_id)
    rule = settings.quorum_rule(MeetingKind(meeting.kind))
    motion = await service.put_motion(session, meeting_id, data, principal, quorum_rule=rule, now=now)
    return MotionRead.model_validate(motion)


@router.get("/{meeting_id}/motions/{motion_id}", response_model=MotionRead, summary="A motion and its frozen result")
async def get_motion(meeting_id: uuid.UUID, motion_id: uuid.UUID, session: SessionDep) -> MotionRead:
    motion = await repository.get_motion(session, meeting_id, motion_id)
    if motion is None:
        raise NotFound("No such motion.", code="motion_not_found")
    return MotionRead.model_validate(motion)


@router.post(
    "/{meeting_id}/motions/{motion_id}/votes",
    response_model=VoteRead,
    status_code=status.HTTP_201_CREATED,
    summary="Vote (a checked-in resident of the meeting's community, once per motion)",
    description="409 with not_checked_in, not_eligible, already_voted, voting_closed or meeting_not_open.",
    dependencies=[Idempotent],
)
async def cast_vote(
    meeting_id: uuid.UUID, motion_id: uuid.UUID, data: VoteCast, session: SessionDep, principal: Caller, now: Now
) -> VoteRead:
    vote = await service.cast_vote(session, meeting_id, motion_id, data.choice, principal, now=now)
    return VoteRead.model_validate(vote)


@router.post(
    "/{meeting_id}/motions/{motion_id}/close",
    response_model=MotionRead,
    summary="Close voting: the result is computed and frozen",
    dependencies=[Idempotent],
)
async def close_motion(
    meeting_id: uuid.UUID, motion_id: uuid.UUID, session: SessionDep, principal: Caller, now: Now
) -> MotionRead:
    motion = await service.close_motion_now(session, meeting_id, motion_id, principal, now=now)
    return MotionRead.model_validate(motion)


@router.post(
    "/{meeting_id}/ratings",
    response_model=RatingRead,
    status_code=status.HTTP_201_CREATED,
    summary="Rate the finished work 1-5 (review meetings; checked-in residents, once)",
    dependencies=[Idempotent],
)
async def rate(
    meeting_id: uuid.UUID, data: RatingCreate, session: SessionDep, principal: Caller, now: Now
) -> RatingRead:
    return RatingRead.model_validate(await service.rate(session, meeting_id, data.score, principal, now=now))


@router.get(
    "/{meeting_id}/audit",
    response_model=Page[AuditEntryRead],
    summary="Every change to the meeting; check-ins, votes and ratings for the station's staff only",
)
async def meeting_audit(
    meeting_id: uuid.UUID, session: SessionDep, principal: MaybeCaller, page: Paging
) -> Page[AuditEntryRead]:
    meeting = await service.get_meeting(session, meeting_id)
    entity_types = None if runs_station(principal, meeting.station_id) else service.PUBLIC_AUDIT_ENTITIES
    items, next_cursor = await audit.page_entries(session, meeting.id, page, entity_types=entity_types)
    return Page(items=[AuditEntryRead.model_validate(item) for item in items], next_cursor=next_cursor)
