"""The annual assessment as CSV and as a printable HTML report with inline SVG charts (no JavaScript).

The report's markup is in templates/reports/; here are its values and the charts' geometry."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evaluation_service.pages import render
from evaluation_service.reports.schemas import AssessmentRead, FormulaRead, Summary, TrendPoint
from shared.csv_safety import SafeWriter

GRADE_NAMES = {"excellent": "优秀", "good": "良好", "adequate": "合格", "poor": "不合格"}
COMPONENT_NAMES = {
    "resident": "居民评价",
    "acceptance_on_time": "按时受理",
    "resolution_on_time": "按时办结",
    "backstop": "兜底案件",
}
OMITTED = {
    "below_minimum_sample": "评价数不足，未计入",
    "no_accepted_tickets": "无受理记录，未计入",
    "no_resolved_tickets": "无办结记录，未计入",
}

CSV_COLUMNS = [
    "year", "staff_id", "name", "station_id", "station_name", "subdistrict_id", "subdistrict_name",
    "ratings", "closed_tickets", "response_rate", "mean_attitude", "mean_ability", "follow_ups",
    "resident_score", "accepted", "accepted_on_time", "resolved", "resolved_on_time", "backstop_handled",
    "score", "grade",
]  # fmt: skip


def assessments_csv(items: Sequence[AssessmentRead]) -> str:
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator="\r\n")  # names typed into the catalogue: never a formula
    writer.writerow(CSV_COLUMNS)
    for item in items:
        resident = next(c for c in item.components if c.name == "resident")
        row = [
            item.year, item.staff_id, item.name, item.station_id, item.station_name, item.subdistrict_id,
            item.subdistrict_name, item.ratings.count, item.ratings.closed_tickets, item.ratings.response_rate,
            item.ratings.mean_attitude, item.ratings.mean_ability, item.ratings.follow_up_count,
            None if resident.score is None else round(resident.score, 2),
            item.ticket_figures.accepted_count, item.ticket_figures.accepted_on_time_count,
            item.ticket_figures.resolved_count, item.ticket_figures.resolved_on_time_count,
            item.ticket_figures.backstop_handled_count, item.score, item.grade,
        ]  # fmt: skip
        writer.writerow(row)
    return buffer.getvalue()


# --- charts: the geometry here, the SVG markup in templates/reports/charts.html ----------------------


@dataclass(frozen=True, slots=True)
class ComponentBar:
    label: str
    y: int
    bar_width: str | None  # None: the component is left out of the score
    omitted: str
    figures: str


@dataclass(frozen=True, slots=True)
class ComponentsChart:
    height: int
    rows: list[ComponentBar]


def components_chart(item: AssessmentRead) -> ComponentsChart:
    rows = []
    for index, component in enumerate(item.components):
        label = COMPONENT_NAMES.get(component.name, component.name)
        y = 8 + index * 28
        if component.score is None:
            reason = OMITTED.get(component.omitted_reason or "", "未计入")
            rows.append(ComponentBar(label, y, None, reason, ""))
            continue
        figures = f"{component.score:.1f} 分 × {component.applied_weight:.0%} = {component.points:.1f}"
        rows.append(ComponentBar(label, y, str(round(component.score * 3, 1)), "", figures))
    return ComponentsChart(8 + 28 * len(item.components), rows)


@dataclass(frozen=True, slots=True)
class MonthBar:
    x: str
    y: str
    width: str
    height: str
    title: str
    label_x: str
    label: str


@dataclass(frozen=True, slots=True)
class Series:
    colour: str
    points: list[tuple[str, str]]
    lines: list[str]  # polylines' points; a month under the minimum sample breaks the line


@dataclass(frozen=True, slots=True)
class TrendChart:
    width: int
    height: int
    left: int
    axis_y: int
    grid: list[tuple[int, str, str]]  # (score, label's y, line's y)
    bars: list[MonthBar]
    series: list[Series]


def trend_chart(points: Sequence[TrendPoint]) -> TrendChart | None:
    if not points:
        return None
    width, height, left, top, bottom = 560, 190, 30, 10, 40
    plot_height = height - top - bottom
    step = (width - left - 10) / len(points)
    most = max((p.count for p in points), default=0) or 1
    grid = []
    for score in range(1, 6):
        y = top + plot_height - (score - 1) / 4 * plot_height
        grid.append((score, f"{y + 4:.1f}", f"{y:.1f}"))
    bars = []
    for index, point in enumerate(points):
        x = left + index * step
        bar = point.count / most * plot_height * 0.5
        bars.append(
            MonthBar(
                x=f"{x + step * 0.2:.1f}",
                y=f"{top + plot_height - bar:.1f}",
                width=f"{step * 0.6:.1f}",
                height=f"{bar:.1f}",
                title=f"{point.month}: {point.count}",
                label_x=f"{x + step / 2:.1f}",
                label=f"{int(point.month[5:])}月",
            )
        )
    series = []
    for field, colour in (("mean_attitude", "#b71c1c"), ("mean_ability", "#1565c0")):
        circles: list[tuple[str, str]] = []
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, point in enumerate(points):
            value = getattr(point, field)
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = left + index * step + step / 2
            y = top + plot_height - (value - 1) / 4 * plot_height
            segment.append(f"{x:.1f},{y:.1f}")
            circles.append((f"{x:.1f}", f"{y:.1f}"))
        if segment:
            segments.append(segment)
        series.append(Series(colour, circles, [" ".join(line) for line in segments if len(line) > 1]))
    return TrendChart(width, height, left, top + plot_height, grid, bars, series)


@dataclass(frozen=True, slots=True)
class ScoreBar:
    x: int
    y: str
    height: str
    count_y: str
    count: int
    score: int


@dataclass(frozen=True, slots=True)
class DistributionGroup:
    label: str
    x: int
    colour: str
    bars: list[ScoreBar]


def distribution_chart(summary: Summary) -> list[DistributionGroup]:
    most = max([*summary.attitude_distribution.values(), *summary.ability_distribution.values(), 1])
    groups = []
    for group, (label, distribution, colour) in enumerate(
        (
            ("服务态度", summary.attitude_distribution, "#b71c1c"),
            ("服务能力", summary.ability_distribution, "#1565c0"),
        )
    ):
        x0 = 10 + group * 280
        bars = []
        for score in range(1, 6):
            count = distribution.get(str(score), 0)
            bar = count / most * 80
            bars.append(
                ScoreBar(x0 + (score - 1) * 50, f"{110 - bar:.1f}", f"{bar:.1f}", f"{104 - bar:.1f}", count, score)
            )
        groups.append(DistributionGroup(label, x0, colour, bars))
    return groups


# --- the printable report (templates/reports/assessments.html) ---------------------------------------


def _number(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ratio(on_time: int, total: int) -> str:
    return f"{on_time}/{total}" if total else "—"


def _staff_report(item: AssessmentRead) -> dict[str, Any]:
    figures = item.ticket_figures
    return {
        "name": item.name or item.staff_id,
        "station_name": item.station_name,
        "subdistrict_name": item.subdistrict_name,
        "cells": [
            str(item.ratings.count),
            _number(item.ratings.mean_attitude),
            _number(item.ratings.mean_ability),
            _percent(item.ratings.response_rate),
            _ratio(figures.accepted_on_time_count, figures.accepted_count),
            _ratio(figures.resolved_on_time_count, figures.resolved_count),
            str(figures.backstop_handled_count),
            _number(item.score),
        ],
        "score": _number(item.score),
        "grade": GRADE_NAMES.get(item.grade or ""),
        "components": components_chart(item),
        "distribution": distribution_chart(item.ratings),
        "trend": trend_chart(item.trend),
    }


def assessments_html(year: int, formula: FormulaRead, items: Sequence[AssessmentRead], minimum_sample: int) -> str:
    weights = {
        "resident": f"{formula.resident_weight:.0%}",
        "acceptance_on_time": f"{formula.acceptance_on_time_weight:.0%}",
        "resolution_on_time": f"{formula.resolution_on_time_weight:.0%}",
        "backstop": f"{formula.backstop_weight:.0%}",
    }
    return render(
        "reports/assessments.html",
        year=year,
        weights=weights,
        backstop_target=formula.backstop_target,
        minimum_sample=minimum_sample,
        staff=[_staff_report(item) for item in items],
    )
