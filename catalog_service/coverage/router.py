"""Coverage reports: the share of points within a walk of a station, and the worst-served points."""

from __future__ import annotations

import csv
import io
import math
import uuid
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.access import Reader
from catalog_service.dependencies import Settings, walking_model
from catalog_service.settings import CatalogSettings
from catalog_service.stations import repository
from catalog_service.stations.geography import BoundingBox, GeographyError, coverage, grid_over
from catalog_service.stations.snapshot import station_snapshot
from shared.errors import NotFound, Problem, Unprocessable
from shared.service import SessionDep

router = APIRouter(prefix="/api/v1", tags=["coverage"])


class PointIn(BaseModel):
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    label: str | None = Field(None, max_length=200, description="An address or a name")


class CoverageRequest(BaseModel):
    points: list[PointIn] = Field(min_length=1)
    minutes: float | None = Field(None, gt=0, le=120)
    speed_kmh: float | None = Field(None, gt=0, le=20)
    detour_factor: float | None = Field(None, ge=1, le=3)
    worst_count: int = Field(10, ge=0, le=1000)


class ServedPointRead(BaseModel):
    latitude: float
    longitude: float
    label: str | None
    nearest_station_id: uuid.UUID | None
    nearest_station_name: str | None
    distance_metres: float | None
    walking_minutes: float | None


class CoverageRead(BaseModel):
    area: str
    point_count: int
    covered_count: int
    covered_share: float
    max_minutes: float
    detour_factor: float
    speed_kmh: float
    worst_served: list[ServedPointRead]


async def _report(
    session: AsyncSession,
    settings: CatalogSettings,
    points: list[tuple[float, float]],
    labels: list[str | None],
    minutes: float | None,
    speed_kmh: float | None,
    detour_factor: float | None,
    worst_count: int,
    area: str,
) -> CoverageRead:
    if len(points) > settings.coverage_max_points:
        raise Unprocessable(
            f"At most {settings.coverage_max_points} points per report.", field="points", code="too_many_points"
        )
    model = walking_model(settings, detour_factor, speed_kmh)
    max_minutes = settings.walking_minutes if minutes is None else minutes
    snapshot = await station_snapshot(session)
    try:
        report = coverage(points, snapshot.index(model), max_minutes, worst_count=worst_count)
    except GeographyError as error:
        raise Unprocessable(str(error), field=error.field, code=error.reason) from error
    positions = {(lat, lon): label for (lat, lon), label in zip(points, labels, strict=True)}

    def finite(value: float) -> float | None:
        return round(value, 2) if math.isfinite(value) else None

    return CoverageRead(
        area=area,
        point_count=report.point_count,
        covered_count=report.covered_count,
        covered_share=round(report.covered_share, 4),
        max_minutes=max_minutes,
        detour_factor=model.detour_factor,
        speed_kmh=model.speed_kmh,
        worst_served=[
            ServedPointRead(
                latitude=point.latitude,
                longitude=point.longitude,
                label=positions.get((point.latitude, point.longitude)),
                nearest_station_id=point.nearest_station_id,
                nearest_station_name=snapshot.by_id[point.nearest_station_id].name
                if point.nearest_station_id
                else None,
                distance_metres=finite(point.distance_metres),
                walking_minutes=finite(point.walking_minutes),
            )
            for point in report.worst_served
        ],
    )


@router.get(
    "/coverage/subdistricts/{subdistrict_id}",
    response_model=CoverageRead,
    summary="Coverage of a grid of points laid over a subdistrict",
)
async def subdistrict_coverage(
    subdistrict_id: uuid.UUID,
    session: SessionDep,
    settings: Settings,
    _: Reader,
    spacing_metres: Annotated[float, Query(ge=50, le=5000)] = 250,
    minutes: Annotated[float | None, Query(gt=0, le=120)] = None,
    speed_kmh: Annotated[float | None, Query(gt=0, le=20)] = None,
    detour_factor: Annotated[float | None, Query(ge=1, le=3)] = None,
    worst_count: Annotated[int, Query(ge=0, le=1000)] = 10,
) -> CoverageRead:
    subdistrict = await repository.get_subdistrict(session, subdistrict_id)
    if subdistrict is None:
        raise NotFound("No such subdistrict.", code="subdistrict_not_found")
    snapshot = await station_snapshot(session)
    area: BoundingBox | list[tuple[float, float]]
    if subdistrict.boundary:
        # (latitude, longitude) pairs; grid_over checks each vertex
        area = cast(list[tuple[float, float]], [tuple(vertex) for vertex in subdistrict.boundary])
    else:  # no boundary on file: the box around its stations, with a 500 m margin
        mine = [p for p in snapshot.points if p.subdistrict_id == subdistrict.id]
        if not mine:
            raise Unprocessable(
                "The subdistrict has no boundary and no station.", field="subdistrict_id", code="no_area"
            )
        margin = 0.0045
        area = BoundingBox(
            min(p.latitude for p in mine) - margin,
            min(p.longitude for p in mine) - margin,
            max(p.latitude for p in mine) + margin,
            max(p.longitude for p in mine) + margin,
        )
    points = []
    for point in grid_over(area, spacing_metres):
        points.append((point.latitude, point.longitude))
        if len(points) > settings.coverage_max_points:
            raise Unprocessable(
                "Too many grid points: widen the spacing.", field="spacing_metres", code="too_many_points"
            )
    if not points:
        raise Unprocessable("The grid is empty.", field="spacing_metres", code="empty_grid")
    return await _report(
        session,
        settings,
        points,
        [None] * len(points),
        minutes,
        speed_kmh,
        detour_factor,
        worst_count,
        subdistrict.name,
    )


@router.post(
    "/coverage", response_model=CoverageRead, summary="Coverage of uploaded points (addresses with coordinates)"
)
async def points_coverage(data: CoverageRequest, session: SessionDep, settings: Settings, _: Reader) -> CoverageRead:
    points = [(p.latitude, p.longitude) for p in data.points]
    return await _report(
        session,
        settings,
        points,
        [p.label for p in data.points],
        data.minutes,
        data.speed_kmh,
        data.detour_factor,
        data.worst_count,
        "uploaded points",
    )


@router.post(
    "/coverage.csv",
    response_model=CoverageRead,
    summary="Coverage of an uploaded CSV (columns: address, latitude, longitude)",
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}, "required": True}
    },
)
async def csv_coverage(
    request: Request,
    session: SessionDep,
    settings: Settings,
    _: Reader,
    minutes: Annotated[float | None, Query(gt=0, le=120)] = None,
    speed_kmh: Annotated[float | None, Query(gt=0, le=20)] = None,
    detour_factor: Annotated[float | None, Query(ge=1, le=3)] = None,
    worst_count: Annotated[int, Query(ge=0, le=1000)] = 10,
) -> CoverageRead:
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unprocessable("The file is not UTF-8.", field="body", code="not_utf8") from error
    # newline="": the csv module splits lines itself, so \r and \r\n endings (Excel) parse too.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    points: list[tuple[float, float]] = []
    labels: list[str | None] = []
    errors: list[dict[str, Any]] = []
    try:
        missing = {"latitude", "longitude"} - set(reader.fieldnames or [])
        if missing:
            raise Unprocessable(
                f"Missing columns: {', '.join(sorted(missing))}.", field=sorted(missing)[0], code="missing_column"
            )
        for row in reader:
            line = reader.line_num
            try:
                latitude, longitude = float(row["latitude"]), float(row["longitude"])
                if not (math.isfinite(latitude) and -90 <= latitude <= 90):
                    raise ValueError("latitude")
                if not (math.isfinite(longitude) and -180 <= longitude <= 180):
                    raise ValueError("longitude")
            except (TypeError, ValueError) as error:
                field = "longitude" if "longitude" in str(error) else "latitude"
                errors.append({"line": line, "field": field, "message": "not a valid coordinate"})
                continue
            points.append((latitude, longitude))
            labels.append(row.get("address") or row.get("label"))
    except csv.Error as error:
        raise Unprocessable(f"Line {reader.line_num}: {error}.", field="body", code="malformed_csv") from error
    if errors:
        raise Problem(
            f"{len(errors)} rows are invalid.", status=422, code="invalid_rows", field=errors[0]["field"], errors=errors
        )
    if not points:
        raise Unprocessable("The file has no points.", field="points", code="empty")
    return await _report(
        session, settings, points, labels, minutes, speed_kmh, detour_factor, worst_count, "uploaded CSV"
    )
