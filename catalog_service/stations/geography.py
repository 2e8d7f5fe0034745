"""Walking-distance rules for the "15-minute walk" (15分鐘生活圈): is a station near enough?

Pure rules: no I/O. Coordinates are WGS-84 decimal degrees, distances great-circle metres on a sphere of
the Earth's mean radius (error < 0.5 % against the ellipsoid — far below the uncertainty of a walk).

Walking time is estimated from the straight-line distance (see ``WalkingModel``), not routed on a
street network: the catalogue needs a fast, explainable, reproducible rule it can check for every
station and every resident's location, and the detour factor absorbs the street pattern on average.

Known limits: polygons for ``grid_over`` are treated as planar in degrees and must not cross the
antimeridian; boxes must have ``west <= east``. Neither matters within Shanghai.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Generic, NamedTuple, TypeVar

__all__ = [
    "DEFAULT_WALKING_MODEL",
    "EARTH_MEAN_RADIUS_METRES",
    "METRES_PER_DEGREE_LATITUDE",
    "BoundingBox",
    "CoverageReport",
    "GeoPoint",
    "GeographyError",
    "ServedPoint",
    "StationDistance",
    "StationIndex",
    "WalkingModel",
    "coverage",
    "grid_over",
    "haversine_metres",
    "nearest_within",
    "point_in_polygon",
    "validate_coordinates",
]

EARTH_MEAN_RADIUS_METRES: Final = 6_371_008.8  # IUGG mean radius
METRES_PER_DEGREE_LATITUDE: Final = math.pi * EARTH_MEAN_RADIUS_METRES / 180.0  # ~111,195 m
_HALF_CIRCUMFERENCE_METRES: Final = math.pi * EARTH_MEAN_RADIUS_METRES
# Safety margin on the degree prefilter, so float rounding can never drop a station that is in range.
_RELATIVE_MARGIN: Final = 1e-9
_ABSOLUTE_MARGIN_DEGREES: Final = 1e-9

StationId = TypeVar("StationId", bound=Hashable)


class GeographyError(ValueError):
    """Invalid coordinates or parameters: names the offending ``field`` and a snake_case ``reason``."""

    def __init__(self, field: str, reason: str, detail: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.detail = detail
        super().__init__(f"{field}: {reason}" + (f" ({detail})" if detail else ""))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.field, self.reason, self.detail))


class GeoPoint(NamedTuple):
    latitude: float
    longitude: float


# -- validation ------------------------------------------------------------------------------------------


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GeographyError(field, "not_a_number")
    number = float(value)
    if not math.isfinite(number):
        raise GeographyError(field, "not_finite")
    return number


def validate_coordinates(latitude: float, longitude: float, *, field_prefix: str = "") -> GeoPoint:
    """Check a latitude in [-90, 90] and a longitude in [-180, 180]; errors name ``<prefix>latitude``."""
    latitude_value = _number(latitude, f"{field_prefix}latitude")
    if not -90.0 <= latitude_value <= 90.0:
        raise GeographyError(f"{field_prefix}latitude", "out_of_range", "must be within [-90, 90]")
    longitude_value = _number(longitude, f"{field_prefix}longitude")
    if not -180.0 <= longitude_value <= 180.0:
        raise GeographyError(f"{field_prefix}longitude", "out_of_range", "must be within [-180, 180]")
    return GeoPoint(latitude_value, longitude_value)


def _point(value: object, field: str) -> GeoPoint:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or len(value) != 2:
        raise GeographyError(field, "not_a_coordinate_pair", "expected (latitude, longitude)")
    return validate_coordinates(value[0], value[1], field_prefix=f"{field}.")


def _non_negative(value: object, field: str) -> float:
    number = _number(value, field)
    if number < 0:
        raise GeographyError(field, "negative")
    return number


def _limit(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GeographyError("limit", "not_an_integer")
    if value < 0:
        raise GeographyError("limit", "negative")
    return value


# -- distances -------------------------------------------------------------------------------------------


def _haversine_radians(
    latitude_1: float,
    longitude_1: float,
    cos_latitude_1: float,
    latitude_2: float,
    longitude_2: float,
    cos_latitude_2: float,
) -> float:
    # Unchecked inner form, fed precomputed radians and cosines by the index's hot loop.
    sin_half_latitude = math.sin((latitude_2 - latitude_1) / 2.0)
    sin_half_longitude = math.sin((longitude_2 - longitude_1) / 2.0)
    haversine = sin_half_latitude * sin_half_latitude + (
        cos_latitude_1 * cos_latitude_2 * sin_half_longitude * sin_half_longitude
    )
    return 2.0 * EARTH_MEAN_RADIUS_METRES * math.asin(min(1.0, math.sqrt(haversine)))


def haversine_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in decimal degrees."""
    first = validate_coordinates(lat1, lon1)
    second = validate_coordinates(lat2, lon2)
    latitude_1, latitude_2 = math.radians(first.latitude), math.radians(second.latitude)
    return _haversine_radians(
        latitude_1,
        math.radians(first.longitude),
        math.cos(latitude_1),
        latitude_2,
        math.radians(second.longitude),
        math.cos(latitude_2),
    )


@dataclass(frozen=True, slots=True)
class WalkingModel:
    """Walking time estimated from straight-line distance.

    ``minutes = straight-line metres × detour_factor ÷ speed``.

    Why a detour factor: people walk along streets, not as the crow flies. Route-directness studies put
    urban network distances at about 1.2–1.4 times the straight line; Pudong's large gated residential
    compounds with few gates, wide arterial roads and creeks add detours that a straight line ignores.
    1.25 is a simple middle value, and with 5 km/h (a usual planning pace for adults) it makes a
    15-minute walk 1,250 m on foot, i.e. 1,000 m in a straight line — the radius commonly used for a
    15-minute community life circle. Lower ``speed_kmh`` (e.g. 3.6) to model elderly residents.
    """

    detour_factor: float = 1.25
    speed_kmh: float = 5.0

    def __post_init__(self) -> None:
        detour_factor = _number(self.detour_factor, "detour_factor")
        if detour_factor < 1.0:
            raise GeographyError("detour_factor", "below_one", "a walk cannot be shorter than the straight line")
        speed_kmh = _number(self.speed_kmh, "speed_kmh")
        if speed_kmh <= 0:
            raise GeographyError("speed_kmh", "not_positive")

    def walking_minutes(self, straight_line_metres: float) -> float:
        # Written as one product over one quotient so 1,000 m gives exactly 15.0 minutes by default.
        return straight_line_metres * self.detour_factor * 60.0 / (self.speed_kmh * 1000.0)

    def straight_line_metres(self, minutes: float) -> float:
        """The straight-line radius reachable in ``minutes`` of walking."""
        return minutes * self.speed_kmh * 1000.0 / (60.0 * self.detour_factor)


DEFAULT_WALKING_MODEL: Final = WalkingModel()


@dataclass(frozen=True, slots=True)
class StationDistance(Generic[StationId]):
    station_id: StationId
    distance_metres: float  # straight line
    walking_minutes: float


# -- prefilter window ------------------------------------------------------------------------------------


class _Window(NamedTuple):
    latitude_degrees: float
    longitude_degrees: float | None  # None: every longitude can be in range (near a pole, huge radius)


def _window(latitude: float, radius_metres: float) -> _Window:
    """Half-widths in degrees of the smallest box holding every point within ``radius_metres``.

    Latitude: ``radius / R``. Longitude: ``asin(sin(radius / R) / cos(latitude))``, the widest point
    of a spherical cap — exact, so the prefilter never rejects a point in range.
    """
    angle = radius_metres / EARTH_MEAN_RADIUS_METRES
    latitude_degrees = math.degrees(angle) * (1 + _RELATIVE_MARGIN) + _ABSOLUTE_MARGIN_DEGREES
    cos_latitude = math.cos(math.radians(latitude))
    if angle >= math.pi / 2 or math.sin(angle) >= cos_latitude:
        return _Window(latitude_degrees, None)  # the cap contains a pole
    longitude = math.degrees(math.asin(math.sin(angle) / cos_latitude))
    return _Window(latitude_degrees, longitude * (1 + _RELATIVE_MARGIN) + _ABSOLUTE_MARGIN_DEGREES)


def _longitude_gap(first: float, second: float) -> float:
    gap = abs(first - second)
    return 360.0 - gap if gap > 180.0 else gap  # across the antimeridian


class _Entry(NamedTuple):
    position: int  # order in the input: the tie-breaker, so index and brute force agree exactly
    station_id: Hashable
    latitude: float
    longitude: float
    latitude_radians: float
    longitude_radians: float
    cos_latitude: float


def _entry(position: int, candidate: object, field: str) -> _Entry:
    if not isinstance(candidate, Sequence) or isinstance(candidate, str | bytes) or len(candidate) != 3:
        raise GeographyError(field, "not_a_candidate", "expected (id, latitude, longitude)")
    station_id, latitude, longitude = candidate
    point = validate_coordinates(latitude, longitude, field_prefix=f"{field}.")
    latitude_radians = math.radians(point.latitude)
    return _Entry(
        position,
        station_id,
        point.latitude,
        point.longitude,
        latitude_radians,
        math.radians(point.longitude),
        math.cos(latitude_radians),
    )


def _measure(
    point: GeoPoint, entries: Iterable[_Entry], window: _Window, max_distance_metres: float
) -> list[tuple[float, int, _Entry]]:
    """(distance, position, entry) of the entries within ``max_distance_metres``, nearest first."""
    latitude_radians = math.radians(point.latitude)
    longitude_radians = math.radians(point.longitude)
    cos_latitude = math.cos(latitude_radians)
    found: list[tuple[float, int, _Entry]] = []
    for entry in entries:
        # Cheap degree comparisons first: most candidates fail here and never reach the trigonometry.
        if abs(entry.latitude - point.latitude) > window.latitude_degrees:
            continue
        if window.longitude_degrees is not None and (
            _longitude_gap(entry.longitude, point.longitude) > window.longitude_degrees
        ):
            continue
        distance = _haversine_radians(
            latitude_radians,
            longitude_radians,
            cos_latitude,
            entry.latitude_radians,
            entry.longitude_radians,
            entry.cos_latitude,
        )
        if distance <= max_distance_metres:
            found.append((distance, entry.position, entry))
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def _within_walk(
    point: GeoPoint, entries: Iterable[_Entry], max_minutes: float, limit: int | None, model: WalkingModel
) -> list[StationDistance[StationId]]:
    radius = model.straight_line_metres(max_minutes)
    # The radius only prefilters; the walking-minutes test below is the rule, identical everywhere.
    measured = _measure(point, entries, _window(point.latitude, radius), radius * (1 + _RELATIVE_MARGIN) + 1e-6)
    results: list[StationDistance[StationId]] = []
    for distance, _, entry in measured:  # measured in full first: every candidate gets validated
        if limit is not None and len(results) >= limit:
            break
        minutes = model.walking_minutes(distance)
        if minutes <= max_minutes:
            # _Entry (a NamedTuple, which cannot be generic here) holds a StationId typed as Hashable.
            results.append(StationDistance(entry.station_id, distance, minutes))  # type: ignore[arg-type]
    return results


def nearest_within(
    point: tuple[float, float],
    candidates: Iterable[tuple[StationId, float, float]],
    max_minutes: float = 15.0,
    limit: int | None = None,
    *,
    model: WalkingModel = DEFAULT_WALKING_MODEL,
) -> list[StationDistance[StationId]]:
    """Candidates ``(id, latitude, longitude)`` within ``max_minutes`` of walking, nearest first.

    Ties keep the candidates' order. A linear scan with a degree prefilter; build a ``StationIndex``
    once when querying the same candidates many times.
    """
    origin = _point(point, "point")
    max_minutes = _non_negative(max_minutes, "max_minutes")
    limit = _limit(limit)
    if not isinstance(model, WalkingModel):
        raise GeographyError("model", "not_a_walking_model")
    window = _window(origin.latitude, model.straight_line_metres(max_minutes))
    return _within_walk(origin, _prefiltered(origin, candidates, window), max_minutes, limit, model)


def _prefiltered(point: GeoPoint, candidates: Iterable[object], window: _Window) -> Iterator[_Entry]:
    """Entries for the candidates inside ``window``; every candidate is still validated.

    The common case (two in-range floats) is checked inline and only the few candidates that pass the
    degree box pay for building an entry — the linear scan stays cheap over a thousand candidates.
    """
    longitude_degrees = window.longitude_degrees
    for position, candidate in enumerate(candidates):
        if type(candidate) is not tuple or len(candidate) != 3:  # exact-type test first: ABC checks are slow
            if not isinstance(candidate, Sequence) or isinstance(candidate, str | bytes) or len(candidate) != 3:
                raise GeographyError(f"candidates[{position}]", "not_a_candidate", "expected (id, latitude, longitude)")
        _, latitude, longitude = candidate
        if not (
            type(latitude) is float
            and type(longitude) is float
            and -90.0 <= latitude <= 90.0
            and -180.0 <= longitude <= 180.0
        ):
            latitude, longitude = validate_coordinates(latitude, longitude, field_prefix=f"candidates[{position}].")
        if abs(latitude - point.latitude) > window.latitude_degrees:
            continue
        if longitude_degrees is not None and _longitude_gap(longitude, point.longitude) > longitude_degrees:
            continue
        yield _entry(position, candidate, f"candidates[{position}]")


class StationIndex(Generic[StationId]):
    """A grid of ~1 km cells over the candidates, built once, for many fast walk queries.

    A query only measures the candidates of the cells overlapping its (exact) prefilter box, so it
    returns exactly what ``nearest_within`` returns over the same candidates, in the same order.
    """

    __slots__ = ("_cell_latitude_degrees", "_cell_longitude_degrees", "_cells", "_entries", "_model")

    def __init__(
        self,
        candidates: Iterable[tuple[StationId, float, float]],
        *,
        model: WalkingModel = DEFAULT_WALKING_MODEL,
        cell_metres: float = 1000.0,
    ) -> None:
        cell_metres = _number(cell_metres, "cell_metres")
        if cell_metres <= 0:
            raise GeographyError("cell_metres", "not_positive")
        if not isinstance(model, WalkingModel):
            raise GeographyError("model", "not_a_walking_model")
        self._model = model
        self._entries = [
            _entry(position, candidate, f"candidates[{position}]") for position, candidate in enumerate(candidates)
        ]
        # Cells are square in metres at the candidates' mean latitude; elsewhere they are merely less square.
        mean_latitude = sum(entry.latitude for entry in self._entries) / len(self._entries) if self._entries else 0.0
        self._cell_latitude_degrees = cell_metres / METRES_PER_DEGREE_LATITUDE
        self._cell_longitude_degrees = self._cell_latitude_degrees / max(math.cos(math.radians(mean_latitude)), 0.01)
        self._cells: dict[tuple[int, int], list[_Entry]] = {}
        for entry in self._entries:
            self._cells.setdefault(self._cell_of(entry.latitude, entry.longitude), []).append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def model(self) -> WalkingModel:
        return self._model

    def _cell_of(self, latitude: float, longitude: float) -> tuple[int, int]:
        return (
            math.floor(latitude / self._cell_latitude_degrees),
            math.floor(longitude / self._cell_longitude_degrees),
        )

    def _entries_near(self, point: GeoPoint, window: _Window) -> Iterable[_Entry]:
        longitude_degrees = window.longitude_degrees
        if (
            longitude_degrees is None
            or point.longitude - longitude_degrees < -180.0
            or point.longitude + longitude_degrees > 180.0
        ):
            return self._entries  # wraps round a pole or the antimeridian: scan all, still exact
        low_row, low_column = self._cell_of(
            point.latitude - window.latitude_degrees, point.longitude - longitude_degrees
        )
        high_row, high_column = self._cell_of(
            point.latitude + window.latitude_degrees, point.longitude + longitude_degrees
        )
        cell_count = (high_row - low_row + 1) * (high_column - low_column + 1)
        if cell_count > len(self._cells):
            # A huge radius: walking the occupied cells is cheaper than walking the empty ones.
            return [
                entry
                for (row, column), entries in self._cells.items()
                if low_row <= row <= high_row and low_column <= column <= high_column
                for entry in entries
            ]
        near: list[_Entry] = []
        for row in range(low_row, high_row + 1):
            for column in range(low_column, high_column + 1):
                entries = self._cells.get((row, column))
                if entries:
                    near.extend(entries)
        return near

    def nearest_within(
        self, point: tuple[float, float], max_minutes: float = 15.0, limit: int | None = None
    ) -> list[StationDistance[StationId]]:
        """Same answer as the module-level ``nearest_within`` over the indexed candidates."""
        origin = _point(point, "point")
        max_minutes = _non_negative(max_minutes, "max_minutes")
        limit = _limit(limit)
        window = _window(origin.latitude, self._model.straight_line_metres(max_minutes))
        return _within_walk(origin, self._entries_near(origin, window), max_minutes, limit, self._model)

    def nearest(self, point: tuple[float, float]) -> StationDistance[StationId] | None:
        """The nearest candidate whatever its distance; ``None`` for an empty index."""
        origin = _point(point, "point")
        return self._nearest(origin)

    def _nearest(self, origin: GeoPoint) -> StationDistance[StationId] | None:
        if not self._entries:
            return None
        # Grow the search radius until something is found: anything nearer lies inside that radius too.
        radius = self._cell_latitude_degrees * METRES_PER_DEGREE_LATITUDE
        while True:
            window = _window(origin.latitude, radius)
            # On the last round every distance qualifies, whatever the float rounding of pi * R.
            max_distance = math.inf if radius >= _HALF_CIRCUMFERENCE_METRES else radius
            measured = _measure(origin, self._entries_near(origin, window), window, max_distance)
            if measured:
                distance, _, entry = measured[0]
                # _Entry (a NamedTuple, which cannot be generic here) holds a StationId typed as Hashable.
                return StationDistance(entry.station_id, distance, self._model.walking_minutes(distance))  # type: ignore[arg-type]
            if radius >= _HALF_CIRCUMFERENCE_METRES:
                raise AssertionError("unreachable: the whole sphere was searched")  # pragma: no cover
            radius = min(radius * 4.0, _HALF_CIRCUMFERENCE_METRES)


# -- coverage --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServedPoint(Generic[StationId]):
    latitude: float
    longitude: float
    nearest_station_id: StationId | None  # None when there are no stations at all
    distance_metres: float  # straight line to the nearest station; inf without stations
    walking_minutes: float


@dataclass(frozen=True, slots=True)
class CoverageReport(Generic[StationId]):
    point_count: int
    covered_count: int
    covered_share: float  # covered_count / point_count, in [0, 1]
    worst_served: tuple[ServedPoint[StationId], ...]  # largest walking minutes first


def coverage(
    points: Iterable[tuple[float, float]],
    index: StationIndex[StationId],
    max_minutes: float = 15.0,
    *,
    worst_count: int = 10,
) -> CoverageReport[StationId]:
    """Share of ``points`` (e.g. residents' homes, or ``grid_over`` a subdistrict) within the walk.

    Uses the index's walking model. ``worst_served`` lists the ``worst_count`` points farthest from
    their nearest station (ties in input order) — where a new station would help most.
    """
    if not isinstance(index, StationIndex):
        raise GeographyError("index", "not_a_station_index")
    max_minutes = _non_negative(max_minutes, "max_minutes")
    if isinstance(worst_count, bool) or not isinstance(worst_count, int) or worst_count < 0:
        raise GeographyError("worst_count", "not_a_non_negative_integer")
    served: list[tuple[float, int, ServedPoint[StationId]]] = []
    covered = 0
    for position, raw_point in enumerate(points):
        point = _point(raw_point, f"points[{position}]")
        nearest = index._nearest(point)
        if nearest is None:
            entry: ServedPoint[StationId] = ServedPoint(point.latitude, point.longitude, None, math.inf, math.inf)
        else:
            entry = ServedPoint(
                point.latitude, point.longitude, nearest.station_id, nearest.distance_metres, nearest.walking_minutes
            )
        if entry.walking_minutes <= max_minutes:
            covered += 1
        served.append((entry.walking_minutes, -position, entry))
    if not served:
        raise GeographyError("points", "empty")
    worst = heapq.nlargest(worst_count, served, key=lambda item: (item[0], item[1]))
    return CoverageReport(len(served), covered, covered / len(served), tuple(item[2] for item in worst))


# -- grids ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        validate_coordinates(self.south, self.west, field_prefix="south_west.")
        validate_coordinates(self.north, self.east, field_prefix="north_east.")
        if self.north < self.south:
            raise GeographyError("north", "south_of_south")
        if self.east < self.west:
            raise GeographyError("east", "west_of_west", "boxes across the antimeridian are not supported")


def point_in_polygon(latitude: float, longitude: float, vertices: Sequence[tuple[float, float]]) -> bool:
    """Ray casting in the (longitude, latitude) plane; points exactly on an edge may go either way."""
    inside = False
    previous_latitude, previous_longitude = vertices[-1]
    for vertex_latitude, vertex_longitude in vertices:
        if (vertex_latitude > latitude) != (previous_latitude > latitude):
            crossing = vertex_longitude + (latitude - vertex_latitude) * (previous_longitude - vertex_longitude) / (
                previous_latitude - vertex_latitude
            )
            if longitude < crossing:
                inside = not inside
        previous_latitude, previous_longitude = vertex_latitude, vertex_longitude
    return inside


def grid_over(area: BoundingBox | Sequence[tuple[float, float]], spacing_metres: float) -> Iterator[GeoPoint]:
    """Grid points about ``spacing_metres`` apart over a box, or inside a polygon of (lat, lon) vertices.

    The grid is anchored at the south-west corner of the area's box and runs south to north, west to
    east; north-south spacing is exact, east-west spacing is exact at the box's middle latitude. Points
    are generated lazily; arguments are checked now.
    """
    spacing = _number(spacing_metres, "spacing_metres")
    if spacing <= 0:
        raise GeographyError("spacing_metres", "not_positive")
    vertices: list[GeoPoint] | None = None
    if isinstance(area, BoundingBox):
        box = area
    else:
        if not isinstance(area, Sequence) or isinstance(area, str | bytes):
            raise GeographyError("area", "not_a_box_or_polygon")
        if len(area) < 3:
            raise GeographyError("area", "too_few_vertices", "a polygon needs at least 3 vertices")
        vertices = [_point(vertex, f"area[{number}]") for number, vertex in enumerate(area)]
        box = BoundingBox(
            min(vertex.latitude for vertex in vertices),
            min(vertex.longitude for vertex in vertices),
            max(vertex.latitude for vertex in vertices),
            max(vertex.longitude for vertex in vertices),
        )
    return _grid(box, spacing, vertices)


def _grid(box: BoundingBox, spacing: float, vertices: list[GeoPoint] | None) -> Iterator[GeoPoint]:
    latitude_step = spacing / METRES_PER_DEGREE_LATITUDE
    middle_latitude = math.radians((box.south + box.north) / 2.0)
    longitude_step = latitude_step / max(math.cos(middle_latitude), 1e-6)
    # A tiny tolerance keeps an edge that is an exact multiple of the step despite float rounding.
    rows = math.floor((box.north - box.south) / latitude_step + 1e-9) + 1
    columns = math.floor((box.east - box.west) / longitude_step + 1e-9) + 1
    for row in range(rows):
        latitude = min(box.south + row * latitude_step, box.north)  # multiply, never accumulate, the step
        for column in range(columns):
            longitude = min(box.west + column * longitude_step, box.east)
            if vertices is None or point_in_polygon(latitude, longitude, vertices):
                yield GeoPoint(latitude, longitude)
