"""The district overview's pure rules (evaluation_service/overview/view.py): colour bands and the map."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from evaluation_service.overview.figures import OverviewFigures, TicketFigures, TicketStation
from evaluation_service.overview.view import (
    BACKLOG_BANDS,
    MAP_PADDING,
    NO_DATA,
    SATISFACTION_BANDS,
    Colouring,
    backlog_colour,
    satisfaction_colour,
    station_map,
)

# Pudong's extent, with margin: the projection must keep every station inside the drawing.
latitudes = st.floats(min_value=30.8, max_value=31.45, allow_nan=False)
longitudes = st.floats(min_value=121.4, max_value=122.0, allow_nan=False)


def test_the_bands_are_read_from_their_lower_bounds():
    assert [backlog_colour(count) for count in (0, 1, 2, 3, 5, 6, 9, 10, 500)] == [
        BACKLOG_BANDS[0][1],
        BACKLOG_BANDS[1][1],
        BACKLOG_BANDS[1][1],
        BACKLOG_BANDS[2][1],
        BACKLOG_BANDS[2][1],
        BACKLOG_BANDS[3][1],
        BACKLOG_BANDS[3][1],
        BACKLOG_BANDS[4][1],
        BACKLOG_BANDS[4][1],
    ]
    assert satisfaction_colour(None) == NO_DATA
    assert satisfaction_colour(3.49) == SATISFACTION_BANDS[0][1]
    assert satisfaction_colour(4.0) == SATISFACTION_BANDS[2][1]
    assert satisfaction_colour(5.0) == SATISFACTION_BANDS[3][1]


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_more_open_tickets_never_look_better(fewer: int, more: int):
    fewer, more = sorted((fewer, more))
    colours = [colour for _, colour, _ in BACKLOG_BANDS]
    assert colours.index(backlog_colour(fewer)) <= colours.index(backlog_colour(more))


@given(st.lists(st.tuples(latitudes, longitudes), min_size=1, max_size=40))
def test_every_placed_station_is_drawn_inside_the_map_north_up(places: list[tuple[float, float]]):
    stations = [
        TicketStation(
            id=uuid.uuid4(),
            name=f"站{index}",
            subdistrict_id=uuid.uuid4(),
            latitude=latitude,
            longitude=longitude,
            open=index,
            overdue=0,
        )
        for index, (latitude, longitude) in enumerate(places)
    ]
    unplaced = TicketStation(id=uuid.uuid4(), name="无坐标", subdistrict_id=uuid.uuid4(), open=0, overdue=0)
    figures = OverviewFigures(
        year=2026,
        scope_name="浦东新区",
        minimum_sample=5,
        tickets=TicketFigures(year=2026, stations=[*stations, unplaced], months=[]),
        stations={},
        subdistricts={},
        subdistrict_names={},
        months=[],
    )
    drawn = station_map(figures, Colouring.backlog)
    assert len(drawn.points) == len(places) and drawn.unplaced == 1
    for point in drawn.points:
        assert MAP_PADDING - 0.1 <= point.x <= drawn.width - MAP_PADDING + 0.1
        # The height is whole pixels (rounded): half a pixel either way.
        assert MAP_PADDING - 0.1 <= point.y <= drawn.height - MAP_PADDING + 0.6
    # North is up: a station further north is never drawn lower.
    by_latitude = sorted(zip(places, drawn.points, strict=True), key=lambda pair: pair[0][0])
    for (_, south_point), (_, north_point) in zip(by_latitude, by_latitude[1:], strict=False):
        assert north_point.y <= south_point.y + 0.1
