"""Tests for the walking-distance rules of the 15-minute walk."""

from __future__ import annotations

import math
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog_service.stations.geography import (
    EARTH_MEAN_RADIUS_METRES,
    METRES_PER_DEGREE_LATITUDE,
    BoundingBox,
    GeographyError,
    GeoPoint,
    StationDistance,
    StationIndex,
    WalkingModel,
    coverage,
    grid_over,
    haversine_metres,
    nearest_within,
    point_in_polygon,
    validate_coordinates,
)

LUJIAZUI = (31.235, 121.505)
PEOPLES_SQUARE = (31.2304, 121.4737)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return (point[0] + metres / METRES_PER_DEGREE_LATITUDE, point[1])


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return (point[0], point[1] + metres / (METRES_PER_DEGREE_LATITUDE * math.cos(math.radians(point[0]))))


# -- distances ----------------------------------------------------------------------------------------------


def test_haversine_known_distances() -> None:
    assert haversine_metres(0, 0, 1, 0) == pytest.approx(111_195.08, abs=0.01)
    assert haversine_metres(0, 0, 0, 1) == pytest.approx(111_195.08, abs=0.01)
    assert haversine_metres(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_MEAN_RADIUS_METRES)
    assert haversine_metres(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_MEAN_RADIUS_METRES)
    assert haversine_metres(*LUJIAZUI, *LUJIAZUI) == 0.0
    # Lujiazui to People's Square across the Huangpu: about 3 km.
    assert haversine_metres(*LUJIAZUI, *PEOPLES_SQUARE) == pytest.approx(3_020, rel=0.01)
    assert haversine_metres(10, 179.9, 10, -179.9) == pytest.approx(haversine_metres(10, 0, 10, 0.2))  # antimeridian
    assert haversine_metres(31, 121, 31, 121) == 0.0  # integers are accepted


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ((91, 0, 0, 0), "latitude", "out_of_range"),
        ((0, 0, -90.5, 0), "latitude", "out_of_range"),
        ((0, 180.01, 0, 0), "longitude", "out_of_range"),
        ((0, 0, 0, -181), "longitude", "out_of_range"),
        ((math.nan, 0, 0, 0), "latitude", "not_finite"),
        ((0, math.inf, 0, 0), "longitude", "not_finite"),
        (("31.2", 0, 0, 0), "latitude", "not_a_number"),
        ((True, 0, 0, 0), "latitude", "not_a_number"),
        ((0, None, 0, 0), "longitude", "not_a_number"),
    ],
)
def test_haversine_rejects_bad_coordinates(arguments: tuple[object, ...], field: str, reason: str) -> None:
    with pytest.raises(GeographyError) as caught:
        haversine_metres(*arguments)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert isinstance(caught.value, ValueError)


def test_validate_coordinates_prefixes_the_field_and_accepts_bounds() -> None:
    assert validate_coordinates(90, -180) == GeoPoint(90.0, -180.0)
    with pytest.raises(GeographyError) as caught:
        validate_coordinates(31.2, 200, field_prefix="address.")
    assert caught.value.field == "address.longitude"
    error = pickle.loads(pickle.dumps(caught.value))
    assert (error.field, error.reason) == ("address.longitude", "out_of_range")


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)
points = st.tuples(latitudes, longitudes)


@given(points, points)
def test_distance_is_symmetric_non_negative_and_bounded(
    first: tuple[float, float], second: tuple[float, float]
) -> None:
    forward = haversine_metres(*first, *second)
    assert forward == haversine_metres(*second, *first)
    assert 0.0 <= forward <= math.pi * EARTH_MEAN_RADIUS_METRES * (1 + 1e-12)
    assert haversine_metres(*first, *first) == 0.0


@given(points, points, points)
def test_distance_obeys_the_triangle_inequality(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> None:
    assert haversine_metres(*a, *c) <= haversine_metres(*a, *b) + haversine_metres(*b, *c) + 1e-3


# -- walking model ------------------------------------------------------------------------------------------


def test_walking_model_defaults() -> None:
    model = WalkingModel()
    assert model.walking_minutes(1000.0) == 15.0  # a 15-minute walk is 1 km as the crow flies
    assert model.straight_line_metres(15) == 1000.0
    assert model.walking_minutes(0) == 0.0
    slow = WalkingModel(detour_factor=1.4, speed_kmh=3.6)
    assert slow.walking_minutes(1000.0) == pytest.approx(23.333, abs=1e-3)


@given(st.floats(0, 1e6), st.floats(1, 3), st.floats(0.5, 20))
def test_walking_model_round_trips(metres: float, detour: float, speed: float) -> None:
    model = WalkingModel(detour, speed)
    assert model.straight_line_metres(model.walking_minutes(metres)) == pytest.approx(metres, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({"detour_factor": 0.9}, "detour_factor", "below_one"),
        ({"detour_factor": math.nan}, "detour_factor", "not_finite"),
        ({"speed_kmh": 0}, "speed_kmh", "not_positive"),
        ({"speed_kmh": -5}, "speed_kmh", "not_positive"),
        ({"speed_kmh": "5"}, "speed_kmh", "not_a_number"),
    ],
)
def test_walking_model_rejects_bad_parameters(arguments: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(GeographyError) as caught:
        WalkingModel(**arguments)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.reason) == (field, reason)


# -- nearest_within -------------------------------------------------------------------------------------------


@pytest.fixture
def around_lujiazui() -> list[tuple[str, float, float]]:
    return [
        ("far", *north_of(LUJIAZUI, 1_001)),
        ("near", *east_of(LUJIAZUI, 200)),
        ("edge", *north_of(LUJIAZUI, -999)),
        ("middle", *east_of(LUJIAZUI, -500)),
        ("puxi", *PEOPLES_SQUARE),
    ]


def test_nearest_within_orders_and_filters(around_lujiazui: list[tuple[str, float, float]]) -> None:
    found = nearest_within(LUJIAZUI, around_lujiazui)
    assert [item.station_id for item in found] == ["near", "middle", "edge"]
    assert found[0].distance_metres == pytest.approx(200, abs=0.01)
    assert found[0].walking_minutes == pytest.approx(3.0, abs=1e-4)
    assert found[2].walking_minutes < 15.0
    assert [item.station_id for item in nearest_within(LUJIAZUI, around_lujiazui, limit=2)] == ["near", "middle"]
    assert nearest_within(LUJIAZUI, around_lujiazui, limit=0) == []
    assert [item.station_id for item in nearest_within(LUJIAZUI, around_lujiazui, max_minutes=5)] == ["near"]
    assert [item.station_id for item in nearest_within(LUJIAZUI, around_lujiazui, max_minutes=60)][-1] == "puxi"
    assert nearest_within(LUJIAZUI, []) == []


def test_nearest_within_uses_the_walking_model(around_lujiazui: list[tuple[str, float, float]]) -> None:
    slow = WalkingModel(speed_kmh=3.6)  # 15 minutes reach 720 m straight line
    assert [item.station_id for item in nearest_within(LUJIAZUI, around_lujiazui, model=slow)] == ["near", "middle"]


def test_ties_keep_candidate_order() -> None:
    spot = east_of(LUJIAZUI, 300)
    found = nearest_within(LUJIAZUI, [("b", *spot), ("a", *spot), ("c", *LUJIAZUI)])
    assert [item.station_id for item in found] == ["c", "b", "a"]
    index = StationIndex([("b", *spot), ("a", *spot), ("c", *LUJIAZUI)])
    assert index.nearest_within(LUJIAZUI) == found


@pytest.mark.parametrize(
    ("call", "field", "reason"),
    [
        (lambda: nearest_within((91.0, 121.5), []), "point.latitude", "out_of_range"),
        (lambda: nearest_within((31.2,), []), "point", "not_a_coordinate_pair"),  # type: ignore[arg-type]  # bad input on purpose
        (lambda: nearest_within("31.2,121.5", []), "point", "not_a_coordinate_pair"),  # type: ignore[arg-type]  # bad input on purpose
        (
            lambda: nearest_within(LUJIAZUI, [("a", 31.2, 121.5), ("b", 31.2, 190.0)]),
            "candidates[1].longitude",
            "out_of_range",
        ),
        (lambda: nearest_within(LUJIAZUI, [("a", math.nan, 121.5)]), "candidates[0].latitude", "not_finite"),
        (lambda: nearest_within(LUJIAZUI, [("a", "31.2", 121.5)]), "candidates[0].latitude", "not_a_number"),  # type: ignore[list-item]  # bad input on purpose
        (lambda: nearest_within(LUJIAZUI, [("a", 31.2)]), "candidates[0]", "not_a_candidate"),  # type: ignore[arg-type]  # bad input on purpose
        (lambda: nearest_within(LUJIAZUI, [None]), "candidates[0]", "not_a_candidate"),  # type: ignore[arg-type]  # bad input on purpose
        (lambda: nearest_within(LUJIAZUI, [], max_minutes=-1), "max_minutes", "negative"),
        (lambda: nearest_within(LUJIAZUI, [], max_minutes=math.inf), "max_minutes", "not_finite"),
        (lambda: nearest_within(LUJIAZUI, [], limit=-1), "limit", "negative"),
        (lambda: nearest_within(LUJIAZUI, [], limit=1.5), "limit", "not_an_integer"),  # type: ignore[arg-type]  # bad input on purpose
        (lambda: StationIndex([("a", 31.2, -181.0)]), "candidates[0].longitude", "out_of_range"),
        (lambda: StationIndex([], cell_metres=0), "cell_metres", "not_positive"),
        (lambda: StationIndex([]).nearest_within((31.2, 121.5), max_minutes=-1), "max_minutes", "negative"),
        (lambda: StationIndex([]).nearest((31.2, 400)), "point.longitude", "out_of_range"),
    ],
)
def test_invalid_queries_name_the_field(call: object, field: str, reason: str) -> None:
    with pytest.raises(GeographyError) as caught:
        call()  # type: ignore[operator]
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_candidates_far_away_are_still_validated() -> None:
    # The degree prefilter must not let an invalid candidate slip through just because it is far away.
    with pytest.raises(GeographyError):
        nearest_within(LUJIAZUI, [("x", -95.0, 0.0)])
    with pytest.raises(GeographyError):
        nearest_within(LUJIAZUI, [("x", -95.0, 0.0)], limit=0)


def test_prefilter_is_exact_near_poles_and_antimeridian() -> None:
    candidates = [
        ("across", 10.0, -179.998),
        ("pole", 89.999, 0.0),
        ("pole_other_side", 89.999, 180.0),
        ("south", -89.9995, 45.0),
    ]
    assert [item.station_id for item in nearest_within((10.0, 179.998), candidates)] == ["across"]
    assert {item.station_id for item in nearest_within((89.9995, 90.0), candidates)} == {"pole", "pole_other_side"}
    index = StationIndex(candidates)
    for point in [(10.0, 179.998), (89.9995, 90.0), (-90.0, 0.0), (0.0, 0.0)]:
        for minutes in (0.0, 15.0, 600.0):
            assert index.nearest_within(point, minutes) == nearest_within(point, candidates, minutes)


def test_accepts_lists_and_integer_coordinates() -> None:
    found: list[StationDistance] = nearest_within([31, 121], [["a", 31, 121]])  # type: ignore[arg-type, list-item]  # lists on purpose
    assert found == [StationDistance("a", 0.0, 0.0)]
    assert StationIndex([["a", 31, 121]]).nearest_within([31, 121]) == found  # type: ignore[arg-type]  # lists on purpose


# -- StationIndex ------------------------------------------------------------------------------------------------

pudong_latitudes = st.floats(30.85, 31.40)
pudong_longitudes = st.floats(121.45, 121.98)
pudong_points = st.tuples(pudong_latitudes, pudong_longitudes)
pudong_candidates = st.lists(st.tuples(st.integers(0, 10**6), pudong_latitudes, pudong_longitudes), max_size=80)


@settings(max_examples=200, deadline=None)
@given(
    pudong_candidates,
    st.lists(pudong_points, min_size=1, max_size=10),
    st.floats(0, 120),
    st.none() | st.integers(0, 5),
    st.sampled_from([100.0, 1000.0, 7000.0]),
)
def test_index_equals_brute_force(
    candidates: list[tuple[int, float, float]],
    queries: list[tuple[float, float]],
    max_minutes: float,
    limit: int | None,
    cell_metres: float,
) -> None:
    index = StationIndex(candidates, cell_metres=cell_metres)
    assert len(index) == len(candidates)
    for point in queries:
        assert index.nearest_within(point, max_minutes, limit) == nearest_within(point, candidates, max_minutes, limit)


@settings(max_examples=200, deadline=None)
@given(pudong_candidates, pudong_points, st.floats(0, 60))
def test_brute_force_equals_the_definition(
    candidates: list[tuple[int, float, float]], point: tuple[float, float], max_minutes: float
) -> None:
    model = WalkingModel()
    expected = sorted(
        (
            (haversine_metres(*point, latitude, longitude), position, station_id)
            for position, (station_id, latitude, longitude) in enumerate(candidates)
        ),
    )
    expected_ids = [
        station_id for distance, _, station_id in expected if model.walking_minutes(distance) <= max_minutes
    ]
    assert [item.station_id for item in nearest_within(point, candidates, max_minutes)] == expected_ids


@settings(max_examples=200, deadline=None)
@given(pudong_candidates, pudong_points)
def test_nearest_equals_brute_force_minimum(
    candidates: list[tuple[int, float, float]], point: tuple[float, float]
) -> None:
    nearest = StationIndex(candidates).nearest(point)
    if not candidates:
        assert nearest is None
        return
    distance, _, station_id = min(
        (haversine_metres(*point, latitude, longitude), position, station_id)
        for position, (station_id, latitude, longitude) in enumerate(candidates)
    )
    assert nearest == StationDistance(station_id, distance, WalkingModel().walking_minutes(distance))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(), latitudes, longitudes), min_size=1, max_size=30), points)
def test_nearest_works_anywhere_on_earth(
    candidates: list[tuple[int, float, float]], point: tuple[float, float]
) -> None:
    nearest = StationIndex(candidates).nearest(point)
    assert nearest is not None
    assert nearest.distance_metres == min(haversine_metres(*point, lat, lon) for _, lat, lon in candidates)


def make_pudong_stations(count: int = 1285, seed: int = 7) -> list[tuple[int, float, float]]:
    generator = random.Random(seed)
    return [(number, generator.uniform(30.85, 31.40), generator.uniform(121.45, 121.98)) for number in range(count)]


def test_index_agrees_with_the_linear_scan_for_all_stations() -> None:
    stations = make_pudong_stations()
    index = StationIndex(stations)
    generator = random.Random(11)
    queries = [(generator.uniform(30.85, 31.40), generator.uniform(121.45, 121.98)) for _ in range(300)]
    for point in queries:
        assert index.nearest_within(point) == nearest_within(point, stations)


# -- coverage ------------------------------------------------------------------------------------------------------


def test_coverage_share_and_worst_served() -> None:
    index = StationIndex([("lujiazui", *LUJIAZUI)])
    homes = [
        north_of(LUJIAZUI, 100),
        north_of(LUJIAZUI, 900),
        north_of(LUJIAZUI, 3000),
        north_of(LUJIAZUI, 1500),
    ]
    report = coverage(homes, index, worst_count=2)
    assert (report.point_count, report.covered_count, report.covered_share) == (4, 2, 0.5)
    assert [round(point.distance_metres) for point in report.worst_served] == [3000, 1500]
    assert report.worst_served[0].nearest_station_id == "lujiazui"
    assert report.worst_served[0].walking_minutes == pytest.approx(45.0)
    assert report.worst_served[0].latitude == pytest.approx(homes[2][0])
    assert coverage(homes, index, max_minutes=60).covered_share == 1.0
    assert coverage(homes, index, worst_count=0).worst_served == ()


def test_coverage_without_stations() -> None:
    report = coverage([LUJIAZUI], StationIndex[str]([]))
    assert report.covered_share == 0.0
    assert report.worst_served[0].nearest_station_id is None
    assert report.worst_served[0].walking_minutes == math.inf


@pytest.mark.parametrize(
    ("call", "field", "reason"),
    [
        (lambda index: coverage([], index), "points", "empty"),
        (lambda index: coverage([LUJIAZUI, (31.0, 500.0)], index), "points[1].longitude", "out_of_range"),
        (lambda index: coverage([LUJIAZUI], index, max_minutes=-1), "max_minutes", "negative"),
        (lambda index: coverage([LUJIAZUI], index, worst_count=-1), "worst_count", "not_a_non_negative_integer"),
        (lambda index: coverage([LUJIAZUI], [("a", 31.0, 121.0)]), "index", "not_a_station_index"),  # type: ignore[arg-type]  # bad input on purpose
    ],
)
def test_coverage_rejects_bad_input(call: object, field: str, reason: str) -> None:
    with pytest.raises(GeographyError) as caught:
        call(StationIndex([("a", *LUJIAZUI)]))  # type: ignore[operator]
    assert (caught.value.field, caught.value.reason) == (field, reason)


@settings(max_examples=50, deadline=None)
@given(pudong_candidates, st.lists(pudong_points, min_size=1, max_size=30), st.floats(0, 60), st.integers(0, 5))
def test_coverage_agrees_with_nearest_within(
    candidates: list[tuple[int, float, float]], homes: list[tuple[float, float]], max_minutes: float, worst_count: int
) -> None:
    index = StationIndex(candidates)
    report = coverage(homes, index, max_minutes, worst_count=worst_count)
    covered = sum(1 for home in homes if index.nearest_within(home, max_minutes, limit=1))
    assert report.covered_count == covered
    assert 0.0 <= report.covered_share <= 1.0
    assert len(report.worst_served) == min(worst_count, len(homes))
    minutes = [point.walking_minutes for point in report.worst_served]
    assert minutes == sorted(minutes, reverse=True)
    if report.worst_served:
        nearest_minutes = [nearest.walking_minutes if (nearest := index.nearest(home)) else math.inf for home in homes]
        assert report.worst_served[0].walking_minutes == max(nearest_minutes)


# -- grids -------------------------------------------------------------------------------------------------------


def test_grid_over_a_box() -> None:
    south, west = 31.0, 121.5
    step_latitude = 500 / METRES_PER_DEGREE_LATITUDE
    step_longitude = step_latitude / math.cos(math.radians(south + step_latitude))
    box = BoundingBox(south, west, south + 2 * step_latitude, west + 3 * step_longitude)
    grid = list(grid_over(box, 500))
    assert len(grid) == 3 * 4  # corners included
    assert grid[0] == GeoPoint(south, west)
    assert grid[-1] == pytest.approx(GeoPoint(box.north, box.east), abs=1e-12)
    assert haversine_metres(*grid[0], *grid[1]) == pytest.approx(500, rel=1e-3)  # east-west neighbours
    assert haversine_metres(*grid[0], *grid[4]) == pytest.approx(500, rel=1e-9)  # north-south neighbours
    assert all(box.south <= point.latitude <= box.north and box.west <= point.longitude <= box.east for point in grid)


def test_grid_over_a_tiny_box_has_its_corner() -> None:
    assert list(grid_over(BoundingBox(31.0, 121.5, 31.0, 121.5), 1000)) == [GeoPoint(31.0, 121.5)]


def test_grid_over_a_polygon_keeps_only_inside_points() -> None:
    triangle = [(31.0, 121.5), (31.0, 121.6), (31.1, 121.5)]
    grid = list(grid_over(triangle, 1000))
    box_count = len(list(grid_over(BoundingBox(31.0, 121.5, 31.1, 121.6), 1000)))
    assert 0.35 * box_count < len(grid) < 0.65 * box_count  # about half of the box
    assert all(point.latitude - 31.0 + point.longitude - 121.5 <= 0.1 + 1e-9 for point in grid)


def test_point_in_polygon() -> None:
    square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
    assert point_in_polygon(0.5, 0.5, square)
    assert not point_in_polygon(1.5, 0.5, square)
    concave = [(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 1.5), (0.5, 1.0), (2.0, 0.5), (2.0, 0.0)]
    assert point_in_polygon(0.25, 1.0, concave)
    assert not point_in_polygon(1.5, 1.0, concave)  # in the notch


@pytest.mark.parametrize(
    ("call", "field", "reason"),
    [
        (lambda: grid_over(BoundingBox(31, 121, 31.1, 121.1), 0), "spacing_metres", "not_positive"),
        (lambda: grid_over(BoundingBox(31, 121, 31.1, 121.1), math.nan), "spacing_metres", "not_finite"),
        (lambda: grid_over([(31, 121), (31.1, 121)], 100), "area", "too_few_vertices"),
        (lambda: grid_over([(31, 121), (31.1, 121), (31.1, 191)], 100), "area[2].longitude", "out_of_range"),
        (lambda: grid_over("Pudong", 100), "area", "not_a_box_or_polygon"),  # type: ignore[arg-type]  # bad input on purpose
        (lambda: BoundingBox(31.2, 121, 31.1, 121.1), "north", "south_of_south"),
        (lambda: BoundingBox(31.0, 121.2, 31.1, 121.1), "east", "west_of_west"),
        (lambda: BoundingBox(-91, 121, 31.1, 121.1), "south_west.latitude", "out_of_range"),
    ],
)
def test_grid_rejects_bad_input_eagerly(call: object, field: str, reason: str) -> None:
    with pytest.raises(GeographyError) as caught:
        call()  # type: ignore[operator]
    assert (caught.value.field, caught.value.reason) == (field, reason)


@settings(max_examples=100, deadline=None)
@given(
    pudong_points,
    st.floats(0, 0.05),
    st.floats(0, 0.05),
    st.floats(200, 5000),
)
def test_grid_points_stay_in_the_box_and_are_spaced(
    corner: tuple[float, float], height: float, width: float, spacing: float
) -> None:
    box = BoundingBox(corner[0], corner[1], corner[0] + height, corner[1] + width)
    grid = list(grid_over(box, spacing))
    assert grid and grid[0] == GeoPoint(*corner)
    assert all(box.south <= point.latitude <= box.north and box.west <= point.longitude <= box.east for point in grid)
    rows = sorted({point.latitude for point in grid})
    for lower, upper in zip(rows, rows[1:], strict=False):
        assert haversine_metres(lower, corner[1], upper, corner[1]) == pytest.approx(spacing, rel=1e-6)


def test_pudong_coverage_end_to_end() -> None:
    index = StationIndex(make_pudong_stations())
    report = coverage(grid_over(BoundingBox(30.85, 121.45, 31.40, 121.98), 1000), index, worst_count=5)
    assert report.point_count > 2500
    assert 0.5 < report.covered_share < 1.0
    assert len(report.worst_served) == 5
    assert report.worst_served[0].walking_minutes > 15.0
