"""The overview's use case: the ticket service's figures with this service's own ratings, for one scope."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.overview.figures import OverviewFigures, Satisfaction, TicketFigures, mean_of
from evaluation_service.reports import repository as reports_repository
from evaluation_service.reports import service as reports
from evaluation_service.reports.periods import year_bounds
from evaluation_service.reports.repository import Level, Scope
from evaluation_service.reports.scoring import YearMonth

DISTRICT_NAME = "浦东新区"


def _satisfaction(item: reports.ScopeReport) -> Satisfaction:
    return Satisfaction(item.summary.count, mean_of(item.summary.mean_attitude, item.summary.mean_ability))


async def _monthly(
    session: AsyncSession, year: int, subdistrict_id: uuid.UUID | None, minimum_sample: int
) -> list[Satisfaction]:
    """The scope's mean rating per month of rating, January to December (the reports' ratings: tickets
    closed in the year, upheld appeals left out)."""
    start, end = year_bounds(year)
    counts = await reports_repository.rating_counts(
        session, Level.subdistrict, Scope(start, end, subdistrict_id), YearMonth(year, 1)
    )
    ratings: dict[int, int] = defaultdict(int)
    points: dict[int, int] = defaultdict(int)
    for scope_counts in counts.values():
        for (index, attitude, ability), count in scope_counts.cells.items():
            ratings[index] += count
            points[index] += (attitude + ability) * count
    return [
        Satisfaction(
            ratings[index],
            points[index] / (2 * ratings[index]) if ratings[index] >= minimum_sample else None,
        )
        for index in range(12)
    ]


async def overview_figures(
    session: AsyncSession,
    tickets: TicketFigures,
    *,
    year: int,
    subdistrict_id: uuid.UUID | None,
    minimum_sample: int,
) -> OverviewFigures:
    stations = await reports.scope_reports(
        session, Level.station, year, minimum_sample=minimum_sample, subdistrict_id=subdistrict_id
    )
    subdistricts = await reports.scope_reports(
        session, Level.subdistrict, year, minimum_sample=minimum_sample, subdistrict_id=subdistrict_id
    )
    names = {item.key: item.name for item in subdistricts if item.key is not None and item.name}
    for station in tickets.stations:
        if station.subdistrict_name:
            names.setdefault(str(station.subdistrict_id), station.subdistrict_name)
    scope_name = DISTRICT_NAME if subdistrict_id is None else names.get(str(subdistrict_id), "本街镇")
    return OverviewFigures(
        year=year,
        scope_name=scope_name,
        minimum_sample=minimum_sample,
        tickets=tickets,
        stations={item.key: _satisfaction(item) for item in stations if item.key is not None},
        subdistricts={item.key: _satisfaction(item) for item in subdistricts if item.key is not None},
        subdistrict_names=names,
        months=await _monthly(session, year, subdistrict_id, minimum_sample),
    )
