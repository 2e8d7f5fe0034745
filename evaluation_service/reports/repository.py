"""Report queries: counted in the database, grouped by scope, so a year of the district stays cheap."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.directory.models import StaffCopy, StationCopy
from evaluation_service.ratings.models import Appeal, Rating
from evaluation_service.reports.periods import TREND_MONTHS, month_start, months_from
from evaluation_service.reports.scoring import YearMonth
from evaluation_service.tickets.models import ClosedTicket


class Level(StrEnum):
    social_worker = "social_worker"
    station = "station"
    community = "community"
    subdistrict = "subdistrict"


_RATING_KEY = {
    Level.social_worker: Rating.social_worker_id,
    Level.station: Rating.station_id,
    Level.community: Rating.community_id,
    Level.subdistrict: Rating.subdistrict_id,
}
_TICKET_KEY = {
    Level.social_worker: ClosedTicket.completed_by,
    Level.station: ClosedTicket.station_id,
    Level.community: ClosedTicket.community_id,
    Level.subdistrict: ClosedTicket.subdistrict_id,
}


@dataclass(frozen=True, slots=True)
class Scope:
    start: datetime
    end: datetime
    subdistrict_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    staff_id: str | None = None


# A rating whose appeal the department upheld stays stored, unchanged, but counts nowhere.
_NOT_UPHELD = ~sa.exists().where(Appeal.rating_id == Rating.id, Appeal.status == "upheld")


def _rating_filters(scope: Scope) -> list[Any]:
    filters: list[Any] = [Rating.ticket_closed_at >= scope.start, Rating.ticket_closed_at < scope.end, _NOT_UPHELD]
    if scope.subdistrict_id is not None:
        filters.append(Rating.subdistrict_id == scope.subdistrict_id)
    if scope.station_id is not None:
        filters.append(Rating.station_id == scope.station_id)
    if scope.staff_id is not None:
        filters.append(Rating.social_worker_id == scope.staff_id)
    return filters


def _ticket_filters(scope: Scope) -> list[Any]:
    filters: list[Any] = [ClosedTicket.closed_at >= scope.start, ClosedTicket.closed_at < scope.end]
    if scope.subdistrict_id is not None:
        filters.append(ClosedTicket.subdistrict_id == scope.subdistrict_id)
    if scope.station_id is not None:
        filters.append(ClosedTicket.station_id == scope.station_id)
    return filters


@dataclass
class Counts:
    """For one scope key: how many ratings of each (month index, attitude, ability)."""

    cells: dict[tuple[int, int, int], int] = field(default_factory=lambda: defaultdict(int))


def _key(value: object) -> str | None:
    return None if value is None else str(value)


async def rating_counts(
    session: AsyncSession, level: Level, scope: Scope, first_month: YearMonth
) -> dict[str | None, Counts]:
    """Ratings of tickets closed in the scope's period, by key, submission month, attitude and ability."""
    months = months_from(first_month, TREND_MONTHS + 1)
    month_index = sa.case(
        *((Rating.submitted_at < month_start(edge), index - 1) for index, edge in enumerate(months) if index),
        else_=TREND_MONTHS,
    )
    key = _RATING_KEY[level]
    query = (
        sa.select(key, month_index, Rating.attitude, Rating.ability, sa.func.count())
        .where(*_rating_filters(scope))
        .group_by(key, month_index, Rating.attitude, Rating.ability)
    )
    result: dict[str | None, Counts] = defaultdict(Counts)
    for value, index, attitude, ability, count in (await session.execute(query)).all():
        result[_key(value)].cells[(int(index), int(attitude), int(ability))] += int(count)
    return result


async def closed_counts(session: AsyncSession, level: Level, scope: Scope) -> dict[str | None, int]:
    key = _TICKET_KEY[level]
    filters = _ticket_filters(scope)
    if scope.staff_id is not None:
        filters.append(ClosedTicket.completed_by == scope.staff_id)
    query = sa.select(key, sa.func.count()).where(*filters).group_by(key)
    return {_key(value): int(count) for value, count in (await session.execute(query)).all()}


@dataclass
class StaffFigures:
    accepted: int = 0
    accepted_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    backstop: int = 0
    closed: int = 0
    stations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    subdistricts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


async def staff_figures(session: AsyncSession, scope: Scope) -> dict[str, StaffFigures]:
    """Per staff member, the ticket service's figures for tickets closed in the period.

    Acceptance counts for the ticket's owner (who accepted it); resolution, backstop and the rating's
    denominator count for the staff member who completed it."""
    filters = _ticket_filters(scope)
    figures: dict[str, StaffFigures] = defaultdict(StaffFigures)
    acceptor = sa.func.coalesce(ClosedTicket.owner_id, ClosedTicket.completed_by)
    accepted = (
        sa.select(
            acceptor,
            sa.func.count(ClosedTicket.accepted_on_time),
            sa.func.sum(sa.case((ClosedTicket.accepted_on_time.is_(True), 1), else_=0)),
        )
        .where(*filters, acceptor.is_not(None))
        .group_by(acceptor)
    )
    if scope.staff_id is not None:
        accepted = accepted.where(acceptor == scope.staff_id)
    for staff_id, total, on_time in (await session.execute(accepted)).all():
        figures[staff_id].accepted = int(total or 0)
        figures[staff_id].accepted_on_time = int(on_time or 0)
    completed = (
        sa.select(
            ClosedTicket.completed_by,
            ClosedTicket.station_id,
            ClosedTicket.subdistrict_id,
            sa.func.count(),
            sa.func.count(ClosedTicket.resolved_on_time),
            sa.func.sum(sa.case((ClosedTicket.resolved_on_time.is_(True), 1), else_=0)),
            sa.func.sum(sa.case((ClosedTicket.responsibility_level == "backstop", 1), else_=0)),
        )
        .where(*filters, ClosedTicket.completed_by.is_not(None))
        .group_by(ClosedTicket.completed_by, ClosedTicket.station_id, ClosedTicket.subdistrict_id)
    )
    if scope.staff_id is not None:
        completed = completed.where(ClosedTicket.completed_by == scope.staff_id)
    for staff_id, station_id, subdistrict_id, closed, resolved, on_time, backstop in (
        await session.execute(completed)
    ).all():
        item = figures[staff_id]
        item.closed += int(closed)
        item.resolved += int(resolved or 0)
        item.resolved_on_time += int(on_time or 0)
        item.backstop += int(backstop or 0)
        item.stations[str(station_id)] += int(closed)
        item.subdistricts[str(subdistrict_id)] += int(closed)
    return figures


@dataclass(frozen=True, slots=True)
class Names:
    staff: dict[str, tuple[str, str | None]]  # id -> (name, role)
    stations: dict[str, str]
    communities: dict[str, str]
    subdistricts: dict[str, str]


async def names(session: AsyncSession) -> Names:
    stations: dict[str, str] = {}
    communities: dict[str, str] = {}
    subdistricts: dict[str, str] = {}
    for station in (await session.scalars(sa.select(StationCopy))).all():
        stations[str(station.id)] = station.name
        if station.community_id is not None:
            communities[str(station.community_id)] = station.community_name
        if station.subdistrict_name:
            subdistricts[str(station.subdistrict_id)] = station.subdistrict_name
    staff = {member.id: (member.name, member.role) for member in (await session.scalars(sa.select(StaffCopy))).all()}
    return Names(staff=staff, stations=stations, communities=communities, subdistricts=subdistricts)


async def community_names_from_tickets(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    """Communities the catalogue never told us about still have the name the ticket carried."""
    wanted = [uuid.UUID(value) for value in ids]
    if not wanted:
        return {}
    query = (
        sa.select(ClosedTicket.community_id, sa.func.max(ClosedTicket.community_name))
        .where(ClosedTicket.community_id.in_(wanted))
        .group_by(ClosedTicket.community_id)
    )
    return {str(key): name for key, name in (await session.execute(query)).all()}


@dataclass(frozen=True)
class SubdistrictScores:
    subdistrict_id: uuid.UUID
    ratings: int
    score_sum: int  # attitude + ability over the ratings: the mean score is score_sum / (2 * ratings)


async def subdistrict_scores(session: AsyncSession, start: datetime, end: datetime) -> list[SubdistrictScores]:
    """Per subdistrict, the ratings of tickets closed in [start, end) that count (no upheld appeal), as the
    reports read a year; one grouped query."""
    query = (
        sa.select(Rating.subdistrict_id, sa.func.count(), sa.func.sum(Rating.attitude + Rating.ability))
        .where(*_rating_filters(Scope(start=start, end=end)))
        .group_by(Rating.subdistrict_id)
    )
    return [
        SubdistrictScores(subdistrict_id, int(count), int(total or 0))
        for subdistrict_id, count, total in (await session.execute(query)).all()
    ]
