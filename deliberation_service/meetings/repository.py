from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from deliberation_service.meetings.models import Attendance, Meeting, Motion, ReviewRating, Vote
from shared.pagination import PageParameters, keyset_page


async def get_meeting(
    session: AsyncSession, meeting_id: uuid.UUID, *, for_update: bool = False, for_share: bool = False
) -> Meeting | None:
    query = sa.select(Meeting).where(Meeting.id == meeting_id)
    if for_update or for_share:
        # FOR SHARE lets voters proceed side by side while closing (FOR UPDATE) waits for them, and them for it.
        query = query.with_for_update(read=not for_update)
    return (await session.scalars(query)).one_or_none()


async def get_motion(
    session: AsyncSession,
    meeting_id: uuid.UUID,
    motion_id: uuid.UUID,
    *,
    for_update: bool = False,
    for_share: bool = False,
) -> Motion | None:
    query = sa.select(Motion).where(Motion.id == motion_id, Motion.meeting_id == meeting_id)
    if for_update or for_share:
        query = query.with_for_update(read=not for_update)
    return (await session.scalars(query)).one_or_none()


async def motions_of(session: AsyncSession, meeting_id: uuid.UUID) -> list[Motion]:
    query = sa.select(Motion).where(Motion.meeting_id == meeting_id).order_by(Motion.id)
    return list((await session.scalars(query)).all())


async def meetings_of_project(session: AsyncSession, project_id: uuid.UUID) -> list[Meeting]:
    query = sa.select(Meeting).where(Meeting.project_id == project_id).order_by(Meeting.starts_at, Meeting.id)
    return list((await session.scalars(query)).all())


async def meetings_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[Meeting]:
    query = sa.select(Meeting).where(Meeting.case_id == case_id).order_by(Meeting.starts_at, Meeting.id)
    return list((await session.scalars(query)).all())


async def attendance_of(
    session: AsyncSession, meeting_id: uuid.UUID, resident_id: str, *, for_update: bool = False
) -> Attendance | None:
    query = sa.select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.resident_id == resident_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def attendees(session: AsyncSession, meeting_id: uuid.UUID) -> list[Attendance]:
    query = sa.select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(Attendance.id)
    return list((await session.scalars(query)).all())


async def attendance_counts(session: AsyncSession, meeting_id: uuid.UUID) -> tuple[int, int]:
    """(registered, checked in) for a meeting."""
    query = sa.select(sa.func.count(Attendance.registered_at), sa.func.count(Attendance.checked_in_at)).where(
        Attendance.meeting_id == meeting_id
    )
    registered, checked_in = (await session.execute(query)).one()
    return registered, checked_in


async def eligible_checked_in_count(session: AsyncSession, meeting: Meeting) -> int:
    """Residents of the meeting's community checked in at it: the electorate of its motions."""
    query = sa.select(sa.func.count()).where(
        Attendance.meeting_id == meeting.id,
        Attendance.checked_in_at.is_not(None),
        Attendance.community_id == meeting.community_id,
    )
    return int(await session.scalar(query) or 0)


async def votes_of(session: AsyncSession, motion_id: uuid.UUID) -> list[Vote]:
    query = sa.select(Vote).where(Vote.motion_id == motion_id).order_by(Vote.id)
    return list((await session.scalars(query)).all())


async def has_voted(session: AsyncSession, motion_id: uuid.UUID, resident_id: str) -> bool:
    query = sa.select(Vote.id).where(Vote.motion_id == motion_id, Vote.resident_id == resident_id)
    return (await session.scalar(query)) is not None


async def ratings_of(session: AsyncSession, meeting_id: uuid.UUID) -> list[ReviewRating]:
    query = sa.select(ReviewRating).where(ReviewRating.meeting_id == meeting_id).order_by(ReviewRating.id)
    return list((await session.scalars(query)).all())


async def page_meetings(
    session: AsyncSession,
    parameters: PageParameters,
    *,
    station_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    kind: str | None = None,
    state: str | None = None,
    starts_after: datetime | None = None,
) -> tuple[list[Meeting], str | None]:
    query = sa.select(Meeting)
    for column, value in (
        (Meeting.station_id, station_id),
        (Meeting.project_id, project_id),
        (Meeting.case_id, case_id),
        (Meeting.kind, kind),
        (Meeting.state, state),
    ):
        if value is not None:
            query = query.where(column == value)
    if starts_after is not None:
        query = query.where(Meeting.starts_at >= starts_after)
    return await keyset_page(session, query, Meeting.id, parameters)


async def upcoming_meetings(session: AsyncSession, station_id: uuid.UUID, now: datetime, limit: int) -> list[Meeting]:
    """Meetings at a station not yet over and not closed, soonest first (the calendar feed)."""
    query = (
        sa.select(Meeting)
        .where(Meeting.station_id == station_id, Meeting.state != "closed", Meeting.ends_at >= now)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
