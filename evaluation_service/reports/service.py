"""Reports and annual assessments, built from the database's counts with the pure scoring rules."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service.reports import repository
from evaluation_service.reports.periods import TREND_MONTHS, month_start, months_from, year_bounds
from evaluation_service.reports.repository import Counts, Level, Scope
from evaluation_service.reports.scoring import (
    Assessment,
    AssessmentFormula,
    MonthlyPoint,
    Rating,
    RatingSummary,
    TicketFigures,
    YearMonth,
    assess,
    monthly_trend,
    summarize,
)


def _ratings(counts: Counts, months: list[YearMonth]) -> Iterator[Rating]:
    """The counted cells as rating values again (each value made once and repeated, not per row)."""
    for (index, attitude, ability), count in counts.cells.items():
        moment = month_start(months[index]) if 0 <= index < TREND_MONTHS else None
        yield from itertools.repeat(Rating(attitude, ability, moment), count)


@dataclass(frozen=True, slots=True)
class ScopeReport:
    key: str | None
    name: str | None
    closed_tickets: int
    summary: RatingSummary
    trend: tuple[MonthlyPoint, ...]


def _summary_and_trend(
    counts: Counts, closed: int, year: int, minimum_sample: int
) -> tuple[RatingSummary, tuple[MonthlyPoint, ...]]:
    months = months_from(YearMonth(year, 1), TREND_MONTHS)
    count = sum(counts.cells.values())
    # Every rating is of a ticket closed in scope; should a copy be missing, never report a rate above 1.
    summary = summarize(_ratings(counts, months), max(closed, count), minimum_sample)
    charted = [r for r in _ratings(counts, months) if r.submitted_at is not None]
    last_with_data = max(
        (YearMonth.of(r.submitted_at) for r in charted if r.submitted_at is not None), default=YearMonth(year, 12)
    )
    trend = monthly_trend(
        charted,
        minimum_sample=minimum_sample,
        first_month=YearMonth(year, 1),
        last_month=max(YearMonth(year, 12), last_with_data),
    )
    return summary, trend


async def scope_reports(
    session: AsyncSession,
    level: Level,
    year: int,
    *,
    minimum_sample: int,
    subdistrict_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
    staff_id: str | None = None,
) -> list[ScopeReport]:
    start, end = year_bounds(year)
    scope = Scope(start, end, subdistrict_id, station_id, staff_id)
    counts = await repository.rating_counts(session, level, scope, YearMonth(year, 1))
    closed = await repository.closed_counts(session, level, scope)
    known = await repository.names(session)
    names = {
        Level.social_worker: {key: value[0] for key, value in known.staff.items()},
        Level.station: known.stations,
        Level.community: known.communities,
        Level.subdistrict: known.subdistricts,
    }[level]
    keys = sorted(set(counts) | set(closed), key=lambda k: (k is None, k or ""))
    if level is Level.community:
        missing = {k for k in keys if k is not None and k not in names}
        names = {**names, **await repository.community_names_from_tickets(session, missing)}
    reports = []
    for key in keys:
        if staff_id is not None and key != staff_id:
            continue
        summary, trend = _summary_and_trend(counts.get(key, Counts()), closed.get(key, 0), year, minimum_sample)
        reports.append(
            ScopeReport(
                key=key,
                name=names.get(key) if key is not None else None,
                closed_tickets=closed.get(key, 0),
                summary=summary,
                trend=trend,
            )
        )
    return reports


@dataclass(frozen=True, slots=True)
class StaffAssessment:
    staff_id: str
    name: str | None
    station_id: str | None
    station_name: str | None
    subdistrict_id: str | None
    subdistrict_name: str | None
    year: int
    figures: TicketFigures
    closed_tickets: int
    summary: RatingSummary
    trend: tuple[MonthlyPoint, ...]
    assessment: Assessment


# Unknown role: the catalogue has not told us of this staff member (yet), so they are not left out.
ASSESSED_ROLES = {"social_worker", None}


async def assessments(
    session: AsyncSession,
    year: int,
    formula: AssessmentFormula,
    *,
    minimum_sample: int,
    subdistrict_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
    staff_id: str | None = None,
) -> list[StaffAssessment]:
    start, end = year_bounds(year)
    scope = Scope(start, end, subdistrict_id, station_id, staff_id)
    figures = await repository.staff_figures(session, scope)
    counts = await repository.rating_counts(session, Level.social_worker, scope, YearMonth(year, 1))
    known = await repository.names(session)
    results = []
    for member_id in sorted(set(figures) | {k for k in counts if k is not None}):
        if staff_id is not None and member_id != staff_id:
            continue
        name, role = known.staff.get(member_id, (None, None))
        if role not in ASSESSED_ROLES:
            continue
        item = figures.get(member_id) or repository.StaffFigures()
        ticket_figures = TicketFigures(
            accepted_count=item.accepted,
            accepted_on_time_count=item.accepted_on_time,
            resolved_count=item.resolved,
            resolved_on_time_count=item.resolved_on_time,
            backstop_handled_count=item.backstop,
        )
        summary, trend = _summary_and_trend(counts.get(member_id, Counts()), item.closed, year, minimum_sample)
        station = _most_common(item.stations)
        subdistrict = _most_common(item.subdistricts)
        results.append(
            StaffAssessment(
                staff_id=member_id,
                name=name,
                station_id=station,
                station_name=known.stations.get(station) if station else None,
                subdistrict_id=subdistrict,
                subdistrict_name=known.subdistricts.get(subdistrict) if subdistrict else None,
                year=year,
                figures=ticket_figures,
                closed_tickets=item.closed,
                summary=summary,
                trend=trend,
                assessment=assess(summary, ticket_figures, formula),
            )
        )
    return results


def _most_common(counter: dict[str, int]) -> str | None:
    if not counter:
        return None
    return max(counter.items(), key=lambda item: (item[1], item[0]))[0]
