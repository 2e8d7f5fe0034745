from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation_service import access
from evaluation_service.access import Caller
from evaluation_service.pages import html_response
from evaluation_service.reports import render, service
from evaluation_service.reports.periods import year_bounds
from evaluation_service.reports.repository import Level
from evaluation_service.reports.schemas import (
    AssessmentRead,
    AssessmentReportRead,
    Component,
    FormulaRead,
    ScopeReportRead,
    ScopeRow,
    TicketFiguresRead,
    summary_read,
    trend_read,
)
from evaluation_service.reports.scoring import SHANGHAI, AssessmentFormula, InvalidInput
from evaluation_service.reviews import repository as reviews
from evaluation_service.reviews.scores import summarize_reviews
from evaluation_service.settings import EvaluationSettings
from shared.clock import Now
from shared.errors import Unprocessable
from shared.service import SessionDep

router = APIRouter(tags=["reports"])

LEVELS = {
    "social-workers": Level.social_worker,
    "stations": Level.station,
    "communities": Level.community,
    "subdistricts": Level.subdistrict,
}


def _year_of(now: datetime) -> int:
    return now.astimezone(SHANGHAI).year


Year = Annotated[int | None, Query(ge=2000, le=2100, description="Calendar year (Shanghai); default this year.")]


def _settings(request: Request) -> EvaluationSettings:
    settings: EvaluationSettings = request.app.state.runtime.settings
    return settings


@router.get("/api/v1/evaluations/reports/{level}", response_model=ScopeReportRead, summary="Ratings per scope")
async def scope_report(
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    level: Annotated[Literal["social-workers", "stations", "communities", "subdistricts"], Path()],
    year: Year = None,
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
) -> ScopeReportRead:
    chosen = LEVELS[level]
    scope = access.report_scope(principal, subdistrict_id, station_id, subdistrict_level=chosen is Level.subdistrict)
    year = year or _year_of(now)
    minimum_sample = _settings(request).minimum_sample
    reports = await service.scope_reports(
        session,
        chosen,
        year,
        minimum_sample=minimum_sample,
        subdistrict_id=scope.subdistrict_id,
        station_id=scope.station_id,
    )
    return ScopeReportRead(
        level=chosen.value,
        year=year,
        minimum_sample=minimum_sample,
        items=[
            ScopeRow(
                id=item.key,
                name=item.name,
                summary=summary_read(item.summary, item.closed_tickets),
                trend=trend_read(item.trend),
            )
            for item in reports
        ],
    )


def _formula(
    settings: EvaluationSettings,
    resident_weight: float | None,
    acceptance_on_time_weight: float | None,
    resolution_on_time_weight: float | None,
    backstop_weight: float | None,
    backstop_target: int | None,
) -> AssessmentFormula:
    base = settings.assessment_formula()
    try:
        return AssessmentFormula(
            resident_weight=base.resident_weight if resident_weight is None else resident_weight,
            acceptance_on_time_weight=(
                base.acceptance_on_time_weight if acceptance_on_time_weight is None else acceptance_on_time_weight
            ),
            resolution_on_time_weight=(
                base.resolution_on_time_weight if resolution_on_time_weight is None else resolution_on_time_weight
            ),
            backstop_weight=base.backstop_weight if backstop_weight is None else backstop_weight,
            backstop_target=base.backstop_target if backstop_target is None else backstop_target,
        )
    except InvalidInput as error:
        raise Unprocessable(str(error), field=error.field, code=error.reason) from error


def _assessment_read(item: service.StaffAssessment) -> AssessmentRead:
    figures = item.figures
    return AssessmentRead(
        staff_id=item.staff_id,
        name=item.name,
        station_id=item.station_id,
        station_name=item.station_name,
        subdistrict_id=item.subdistrict_id,
        subdistrict_name=item.subdistrict_name,
        year=item.year,
        score=item.assessment.score,
        grade=item.assessment.grade.value if item.assessment.grade else None,
        renormalised=item.assessment.renormalised,
        components=[
            Component(
                name=c.name.value,
                score=None if c.score is None else round(c.score, 4),
                configured_weight=c.configured_weight,
                applied_weight=round(c.applied_weight, 6),
                points=round(c.points, 4),
                inputs=dict(c.inputs),
                omitted_reason=c.omitted_reason,
            )
            for c in item.assessment.components
        ],
        ticket_figures=TicketFiguresRead(
            accepted_count=figures.accepted_count,
            accepted_on_time_count=figures.accepted_on_time_count,
            resolved_count=figures.resolved_count,
            resolved_on_time_count=figures.resolved_on_time_count,
            backstop_handled_count=figures.backstop_handled_count,
        ),
        ratings=summary_read(item.summary, item.closed_tickets),
        trend=trend_read(item.trend),
    )


Format = Annotated[Literal["json", "csv", "html"], Query(description="json, csv, or a printable html report")]
FORMAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}}}
}
Weight = Annotated[float | None, Query(ge=0, le=1)]


async def _assessment_response(
    session: AsyncSession,
    settings: EvaluationSettings,
    formula: AssessmentFormula,
    year: int,
    scope: access.ReportScope,
    staff_id: str | None,
    output: str,
) -> AssessmentReportRead | Response:
    staff_id = access.assessed_staff(scope, staff_id)
    items = await service.assessments(
        session,
        year,
        formula,
        minimum_sample=settings.minimum_sample,
        subdistrict_id=scope.subdistrict_id,
        station_id=scope.station_id,
        staff_id=staff_id,
    )
    reads = [_assessment_read(item) for item in items]
    formula_read = FormulaRead(
        resident_weight=formula.resident_weight,
        acceptance_on_time_weight=formula.acceptance_on_time_weight,
        resolution_on_time_weight=formula.resolution_on_time_weight,
        backstop_weight=formula.backstop_weight,
        backstop_target=formula.backstop_target,
    )
    if output == "csv":
        return Response(
            render.assessments_csv(reads).encode("utf-8-sig"),  # the BOM lets spreadsheet programs read Chinese
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="performance-assessments-{year}.csv"'},
        )
    if output == "html":
        return html_response(render.assessments_html(year, formula_read, reads, settings.minimum_sample))
    return AssessmentReportRead(year=year, formula=formula_read, items=reads)


@router.get(
    "/api/v1/performance-assessments",
    response_model=AssessmentReportRead,
    summary="Annual performance assessment of social workers (JSON, CSV or printable HTML)",
    responses=FORMAT_RESPONSES,
)
async def list_assessments(
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    year: Year = None,
    format: Format = "json",
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
    resident_weight: Weight = None,
    acceptance_on_time_weight: Weight = None,
    resolution_on_time_weight: Weight = None,
    backstop_weight: Weight = None,
    backstop_target: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> AssessmentReportRead | Response:
    settings = _settings(request)
    formula = _formula(
        settings,
        resident_weight,
        acceptance_on_time_weight,
        resolution_on_time_weight,
        backstop_weight,
        backstop_target,
    )
    scope = access.report_scope(principal, subdistrict_id, station_id, assessment=True)
    return await _assessment_response(session, settings, formula, year or _year_of(now), scope, None, format)


@router.get(
    "/api/v1/performance-assessments/{staff_id}",
    response_model=AssessmentReportRead,
    summary="One social worker's annual assessment",
    responses=FORMAT_RESPONSES,
)
async def get_assessment(
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    staff_id: Annotated[str, Path(max_length=64)],
    year: Year = None,
    format: Format = "json",
    resident_weight: Weight = None,
    acceptance_on_time_weight: Weight = None,
    resolution_on_time_weight: Weight = None,
    backstop_weight: Weight = None,
    backstop_target: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> AssessmentReportRead | Response:
    settings = _settings(request)
    formula = _formula(
        settings,
        resident_weight,
        acceptance_on_time_weight,
        resolution_on_time_weight,
        backstop_weight,
        backstop_target,
    )
    scope = access.report_scope(principal, None, None, assessment=True)
    return await _assessment_response(session, settings, formula, year or _year_of(now), scope, staff_id, format)


@router.get("/api/v1/evaluations/reviews", summary="Review-meeting ratings per project or station")
async def review_report(
    request: Request,
    session: SessionDep,
    principal: Caller,
    now: Now,
    group_by: Annotated[Literal["project", "station"], Query()] = "project",
    year: Year = None,
    subdistrict_id: Annotated[uuid.UUID | None, Query()] = None,
    station_id: Annotated[uuid.UUID | None, Query()] = None,
) -> dict[str, Any]:
    scope = access.report_scope(principal, subdistrict_id, station_id)
    year = year or _year_of(now)
    start, end = year_bounds(year)
    minimum_sample = _settings(request).minimum_sample
    results = await reviews.review_results(
        session, start, end, subdistrict_id=scope.subdistrict_id, station_id=scope.station_id
    )
    groups: dict[str, list[Any]] = {}
    for result in results:
        key = str(result.project_id if group_by == "project" else result.station_id)
        groups.setdefault(key, []).append(result)
    items = []
    for key, members in sorted(groups.items()):
        summary = summarize_reviews(
            [{int(s): n for s, n in m.distribution.items()} for m in members],
            [m.accepted for m in members],
            minimum_sample,
        )
        items.append(
            {
                "id": key,
                "station_id": str(members[0].station_id),
                "meetings": summary.meetings,
                "accepted_meetings": summary.accepted_count,
                "count": summary.count,
                "mean": None if summary.mean is None else round(summary.mean, 4),
                "distribution": {str(s): n for s, n in summary.distribution.items()},
            }
        )
    return {"group_by": group_by, "year": year, "minimum_sample": minimum_sample, "items": items}
