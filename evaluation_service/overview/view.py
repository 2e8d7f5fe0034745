"""The overview page's values and geometry: the map's projection and colours, the ranking, the trend chart.

Pure (no I/O): Python keeps the numbers and coordinates, the template the markup and the fixed texts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from evaluation_service.overview.figures import OverviewFigures, Satisfaction


class Colouring(StrEnum):
    backlog = "backlog"
    satisfaction = "satisfaction"


MAP_WIDTH = 360
MAP_PADDING = 12
NO_DATA = "#bdbdbd"
# Open tickets at a station now: (lowest count of the band, colour, legend).
BACKLOG_BANDS = (
    (0, "#2e7d32", "0"),
    (1, "#9ccc65", "1–2"),
    (3, "#fdd835", "3–5"),
    (6, "#fb8c00", "6–9"),
    (10, "#c62828", "10 及以上"),
)
# Mean rating (1-5): (lowest mean of the band, colour, legend).
SATISFACTION_BANDS = (
    (0.0, "#c62828", "低于 3.5"),
    (3.5, "#fb8c00", "3.5–4.0"),
    (4.0, "#9ccc65", "4.0–4.5"),
    (4.5, "#2e7d32", "4.5 及以上"),
)


def _band_colour(value: float, bands: Sequence[tuple[float, str, str]]) -> str:
    """The colour of the highest band whose lower bound the value reaches (the bands ascend)."""
    colour = bands[0][1]
    for lowest, band_colour, _ in bands:
        if value >= lowest:
            colour = band_colour
    return colour


def backlog_colour(open_tickets: int) -> str:
    return _band_colour(open_tickets, BACKLOG_BANDS)


def satisfaction_colour(mean: float | None) -> str:
    return NO_DATA if mean is None else _band_colour(mean, SATISFACTION_BANDS)


def score(mean: float | None) -> str:
    return "—" if mean is None else f"{mean:.2f}"


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    radius: float
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Map:
    width: int
    height: int
    points: list[Point]
    unplaced: int  # stations without coordinates (not drawn)
    legend: list[tuple[str, str]]  # (colour, text)


def _projection(
    places: list[tuple[float, float]], width: int, padding: int
) -> tuple[int, float, float, float, float, float]:
    """Equirectangular within the bounding box: x from longitude shrunk by cos(mean latitude), so the
    district keeps its shape; returns (height, scale, west, north, x shrink, offset for a centred x)."""
    latitudes = [lat for lat, _ in places]
    longitudes = [lon for _, lon in places]
    north, south = max(latitudes), min(latitudes)
    west, east = min(longitudes), max(longitudes)
    shrink = math.cos(math.radians((north + south) / 2))
    span_x = max((east - west) * shrink, 1e-6)
    span_y = max(north - south, 1e-6)
    inner = width - 2 * padding
    scale = inner / max(span_x, span_y)
    height = round(span_y * scale + 2 * padding)
    offset = padding + (inner - span_x * scale) / 2
    return height, scale, west, north, shrink, offset


def station_map(figures: OverviewFigures, colouring: Colouring) -> Map:
    stations = figures.tickets.stations
    placed = [s for s in stations if s.latitude is not None and s.longitude is not None]
    legend = [
        (colour, text) for _, colour, text in (BACKLOG_BANDS if colouring is Colouring.backlog else SATISFACTION_BANDS)
    ]
    if colouring is Colouring.satisfaction:
        legend.append((NO_DATA, f"评价少于 {figures.minimum_sample} 条"))
    if not placed:
        return Map(MAP_WIDTH, 2 * MAP_PADDING, [], len(stations), legend)
    coordinates = [(float(s.latitude or 0), float(s.longitude or 0)) for s in placed]
    height, scale, west, north, shrink, offset = _projection(coordinates, MAP_WIDTH, MAP_PADDING)
    radius = 3.0 if len(placed) > 200 else 6.0
    points = []
    for station, (latitude, longitude) in zip(placed, coordinates, strict=True):
        rated = figures.stations.get(str(station.id), Satisfaction(0, None))
        colour = backlog_colour(station.open) if colouring is Colouring.backlog else satisfaction_colour(rated.mean)
        title = (
            f"{station.name}（{station.subdistrict_name or ''}）未办结 {station.open}，超期 {station.overdue}，"
            f"满意度 {score(rated.mean)}（{rated.ratings} 条评价）"
        )
        x = offset + (longitude - west) * shrink * scale
        y = MAP_PADDING + (north - latitude) * scale
        points.append(Point(round(x, 1), round(y, 1), radius, colour, title))
    return Map(MAP_WIDTH, height, points, len(stations) - len(placed), legend)


@dataclass(frozen=True, slots=True)
class SubdistrictRow:
    rank: int
    name: str
    stations: int
    open: int
    overdue: int
    satisfaction: str
    ratings: int


def ranking(figures: OverviewFigures, colouring: Colouring) -> list[SubdistrictRow]:
    """Backlog: the most open tickets first (then overdue). Satisfaction: the highest mean first, those
    without enough ratings last."""
    totals: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for station in figures.tickets.stations:
        key = str(station.subdistrict_id)
        counts = totals.setdefault(key, [0, 0, 0])
        counts[0] += 1
        counts[1] += station.open
        counts[2] += station.overdue
        if station.subdistrict_name:
            names[key] = station.subdistrict_name
    rows = []
    for key, (stations, open_tickets, overdue) in totals.items():
        rated = figures.subdistricts.get(key, Satisfaction(0, None))
        rows.append((key, stations, open_tickets, overdue, rated))

    def order(row: tuple[str, int, int, int, Satisfaction]) -> tuple[float, float, str]:
        key, _, open_tickets, overdue, rated = row
        name = names.get(key) or figures.subdistrict_names.get(key, key)
        if colouring is Colouring.satisfaction:
            return (-(rated.mean if rated.mean is not None else -1.0), -rated.ratings, name)
        return (-open_tickets, -overdue, name)

    rows.sort(key=order)
    return [
        SubdistrictRow(
            rank=index + 1,
            name=names.get(key) or figures.subdistrict_names.get(key, "—"),
            stations=stations,
            open=open_tickets,
            overdue=overdue,
            satisfaction=score(rated.mean),
            ratings=rated.ratings,
        )
        for index, (key, stations, open_tickets, overdue, rated) in enumerate(rows)
    ]


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    axis_y: int
    bars: list[Bar]
    bar_width: float
    labels: list[tuple[float, str]]  # (x, month label)
    count_grid: list[tuple[float, int]]  # (y, tickets)
    score_grid: list[tuple[float, int]]  # (y, mean rating)
    lines: list[str]  # polyline point lists of the mean rating (broken where a month has too few ratings)
    dots: list[tuple[float, float, str]]  # (x, y, title)


def trend_chart(figures: OverviewFigures) -> TrendChart:
    """Per month: tickets raised and closed (bars, left axis) and the mean rating (line, right axis, 1-5)."""
    width, height, left, right, top, axis_y = 360, 220, 34, 30, 10, 180
    plot = width - left - right
    slot = plot / 12
    bar_width = round(slot * 0.36, 1)
    months = figures.tickets.months[:12]
    peak = max([1, *(m.raised for m in months), *(m.closed for m in months)])
    step = _nice_step(peak)
    top_count = step * math.ceil(peak / step)
    per_ticket = (axis_y - top) / top_count

    def count_y(count: int) -> float:
        return round(axis_y - count * per_ticket, 1)

    def score_y(mean: float) -> float:
        return round(axis_y - (mean - 1) / 4 * (axis_y - top), 1)

    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    dots: list[tuple[float, float, str]] = []
    lines: list[str] = []
    current: list[str] = []
    for index, month in enumerate(months):
        x = left + index * slot + slot * 0.12
        label = f"{int(month.month[-2:])}月"
        for offset, value, colour, what in (
            (0.0, month.raised, "#90caf9", "新增"),
            (bar_width, month.closed, "#1565c0", "办结"),
        ):
            y = count_y(value)
            bars.append(Bar(round(x + offset, 1), y, round(axis_y - y, 1), colour, f"{label}{what} {value} 件"))
        labels.append((round(left + index * slot + slot / 2, 1), label))
    for index, rated in enumerate(figures.months[:12]):
        cx = round(left + index * slot + slot / 2, 1)
        if rated.mean is None:
            if len(current) > 1:
                lines.append(" ".join(current))
            current = []
            continue
        cy = score_y(rated.mean)
        current.append(f"{cx},{cy}")
        dots.append((cx, cy, f"{index + 1}月满意度 {score(rated.mean)}（{rated.ratings} 条评价）"))
    if len(current) > 1:
        lines.append(" ".join(current))
    count_grid = [(count_y(value), value) for value in range(0, top_count + 1, step)]
    score_grid = [(score_y(value), value) for value in range(1, 6)]
    return TrendChart(
        width, height, left, right, top, axis_y, bars, bar_width, labels, count_grid, score_grid, lines, dots
    )


def _nice_step(peak: int) -> int:
    """A round grid step giving at most five lines up to `peak`."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if peak / step <= 5:
            return step
    return int(10 ** len(str(peak)))
