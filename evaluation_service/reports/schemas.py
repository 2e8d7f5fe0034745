from __future__ import annotations

from pydantic import BaseModel, Field

from evaluation_service.reports.scoring import MonthlyPoint, RatingSummary


class TrendPoint(BaseModel):
    month: str = Field(description="YYYY-MM, Shanghai time, by when the rating was submitted")
    count: int
    mean_attitude: float | None
    mean_ability: float | None
    follow_up_count: int


class Summary(BaseModel):
    count: int
    closed_tickets: int
    mean_attitude: float | None = Field(description="null under the minimum sample")
    mean_ability: float | None
    attitude_distribution: dict[str, int]
    ability_distribution: dict[str, int]
    response_rate: float | None = Field(description="ratings over closed tickets; null when none closed")
    follow_up_count: int
    minimum_sample: int
    sample_sufficient: bool


class ScopeRow(BaseModel):
    id: str | None
    name: str | None
    summary: Summary
    trend: list[TrendPoint]


class ScopeReportRead(BaseModel):
    level: str
    year: int
    minimum_sample: int
    items: list[ScopeRow]


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def summary_read(summary: RatingSummary, closed_tickets: int) -> Summary:
    return Summary(
        count=summary.count,
        closed_tickets=closed_tickets,
        mean_attitude=_rounded(summary.mean_attitude),
        mean_ability=_rounded(summary.mean_ability),
        attitude_distribution={str(k): v for k, v in summary.attitude_distribution.items()},
        ability_distribution={str(k): v for k, v in summary.ability_distribution.items()},
        response_rate=_rounded(summary.response_rate),
        follow_up_count=summary.follow_up_count,
        minimum_sample=summary.minimum_sample,
        sample_sufficient=summary.sample_sufficient,
    )


def trend_read(points: tuple[MonthlyPoint, ...]) -> list[TrendPoint]:
    return [
        TrendPoint(
            month=str(point.month),
            count=point.count,
            mean_attitude=_rounded(point.mean_attitude),
            mean_ability=_rounded(point.mean_ability),
            follow_up_count=point.follow_up_count,
        )
        for point in points
    ]


class Component(BaseModel):
    name: str
    score: float | None
    configured_weight: float
    applied_weight: float
    points: float
    inputs: dict[str, float | int | None]
    omitted_reason: str | None


class TicketFiguresRead(BaseModel):
    accepted_count: int
    accepted_on_time_count: int
    resolved_count: int
    resolved_on_time_count: int
    backstop_handled_count: int


class AssessmentRead(BaseModel):
    staff_id: str
    name: str | None
    station_id: str | None
    station_name: str | None
    subdistrict_id: str | None
    subdistrict_name: str | None
    year: int
    score: float | None = Field(description="0-100; null when no weighted component has evidence")
    grade: str | None
    renormalised: bool
    components: list[Component]
    ticket_figures: TicketFiguresRead
    ratings: Summary
    trend: list[TrendPoint]


class FormulaRead(BaseModel):
    resident_weight: float
    acceptance_on_time_weight: float
    resolution_on_time_weight: float
    backstop_weight: float
    backstop_target: int


class AssessmentReportRead(BaseModel):
    year: int
    formula: FormulaRead
    items: list[AssessmentRead]
